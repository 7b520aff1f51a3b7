"""Enqueues the periodic tasks of the e-ateliers, for cron or a systemd timer:

    manage.py ateliers_tasks reminders   # every 10 minutes: reminders now due
    manage.py ateliers_tasks purge       # daily: recordings past the retention period

The work runs in the task worker (`manage.py db_worker`), or at once with the immediate backend."""

from django.core.management.base import BaseCommand

from ateliers import tasks

JOBS = {"reminders": tasks.send_due_reminders, "purge": tasks.purge_expired_recordings}


class Command(BaseCommand):
    help = "Enqueue the e-ateliers' periodic tasks (reminders, retention purge)."

    def add_arguments(self, parser):
        parser.add_argument("job", choices=sorted(JOBS))

    def handle(self, *args, job: str, **options):
        result = JOBS[job].enqueue()
        self.stdout.write(f"{job}: task {result.id} enqueued ({result.status})")
