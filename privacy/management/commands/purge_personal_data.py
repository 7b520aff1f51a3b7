"""Enqueues the purge of personal data past its retention period (run daily from cron)."""

from django.core.management.base import BaseCommand

from privacy.tasks import purge_expired_data


class Command(BaseCommand):
    help = "Purges personal data past its retention period (through the task worker)."

    def handle(self, *args, **options):
        result = purge_expired_data.enqueue()
        self.stdout.write(f"Purge enqueued: {result.id}")
