"""Enqueues the periodic work of the interviews app: due reminders (24 h and 1 h before) and the
outcome of interviews whose call window has closed. Run it every few minutes (cron, systemd
timer), or with --every to loop; the django-tasks worker (`manage.py db_worker`) runs the tasks.
Each reminder is sent exactly once however often, and by however many workers, this runs."""

import time

from django.core.management.base import BaseCommand

from interviews.tasks import send_due_reminders, settle_finished_appointments


class Command(BaseCommand):
    help = "Enqueue due interview reminders and outcomes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, help="Loop, enqueuing every N seconds (0: once)."
        )

    def handle(self, *args, every: int, **options):
        while True:
            reminders = send_due_reminders.enqueue()
            outcomes = settle_finished_appointments.enqueue()
            self.stdout.write(f"enqueued {reminders.id} (reminders), {outcomes.id} (outcomes)")
            if not every:
                return
            time.sleep(every)
