"""Brings back advisors whose absence ended (run daily, e.g. from cron or the worker host)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from advisors.services import advisors_end_absences


class Command(BaseCommand):
    help = "Marks active again the advisors whose declared absence has ended."

    def handle(self, *args, **options):
        count = advisors_end_absences(today=timezone.localdate())
        self.stdout.write(f"{count} advisor(s) back from absence.")
