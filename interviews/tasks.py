"""Background work of the interviews app, run by the django-tasks worker (`manage.py db_worker`
in production; immediately in development and tests). `manage.py interviews_tick`, run every few
minutes, enqueues the periodic ones."""

from __future__ import annotations

from django_tasks import task


@task()
def send_appointment_notice(appointment_id: int, kind: str) -> int:
    from .emails import send_appointment_email
    from .models import Appointment

    appointment = Appointment.objects.with_people().filter(pk=appointment_id).first()
    if appointment is None:
        return 0
    return send_appointment_email(appointment, kind)


@task()
def send_due_reminders() -> int:
    from .services import reminders_send_due

    return reminders_send_due()


@task()
def settle_finished_appointments() -> int:
    from .services import appointments_settle_due

    return appointments_settle_due()
