"""Prints the current second-factor code of the demo staff (seed_demo's published secret)."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.management.commands.seed_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Prints the authenticator code of the demo advisors and manager (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp_code is for the demo: it refuses to run without DEBUG.")
        now = time.time()
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(now) // 30))
        left = 30 - int(now) % 30
        self.stdout.write(f"{code}  (valid for {left} more seconds)")
