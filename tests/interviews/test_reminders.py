"""Reminders 24 h and 1 h before, sent by the task worker exactly once each."""

import datetime as dt
import io
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from interviews.models import Appointment, EventKind
from interviews.services import reminders_send_due
from tests.interviews.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def subjects():
    return [m.subject for m in mail.outbox]


def test_the_24_hour_reminder_goes_once():
    now = timezone.now()
    appointment = AppointmentFactory(starts_at=now + dt.timedelta(hours=23))
    AppointmentFactory(starts_at=now + dt.timedelta(hours=30))  # not yet due
    assert reminders_send_due(now) == 1
    assert reminders_send_due(now) == 0
    assert reminders_send_due(now + dt.timedelta(minutes=5)) == 0
    assert subjects() == ["[Suivi 100 % web] Rappel : entretien par webcam demain"]
    assert set(mail.outbox[0].to) == {appointment.seeker.user.email, appointment.advisor.user.email}
    assert mail.outbox[0].attachments[0][0] == "entretien.ics"
    appointment.refresh_from_db()
    assert appointment.reminder_24h_sent_at == now
    assert appointment.events.filter(kind=EventKind.REMINDER).count() == 1


def test_then_the_1_hour_reminder_goes_once():
    now = timezone.now()
    appointment = AppointmentFactory(starts_at=now + dt.timedelta(hours=23))
    reminders_send_due(now)
    later = appointment.starts_at - dt.timedelta(minutes=50)
    assert reminders_send_due(later) == 1
    assert reminders_send_due(later) == 0
    assert subjects()[-1] == "[Suivi 100 % web] Rappel : entretien par webcam dans une heure"
    assert len(mail.outbox) == 2


def test_a_late_run_sends_only_the_1_hour_reminder():
    now = timezone.now()
    AppointmentFactory(starts_at=now + dt.timedelta(minutes=40))
    assert reminders_send_due(now) == 1
    assert subjects() == ["[Suivi 100 % web] Rappel : entretien par webcam dans une heure"]


def test_no_reminder_for_an_interview_booked_after_it_was_due():
    now = timezone.now()
    AppointmentFactory(
        starts_at=now + dt.timedelta(hours=5), confirmed_at=now - dt.timedelta(minutes=1)
    )
    assert reminders_send_due(now) == 0


def test_no_reminder_for_cancelled_or_proposed_interviews():
    now = timezone.now()
    AppointmentFactory(starts_at=now + dt.timedelta(hours=2), cancelled=True)
    AppointmentFactory(starts_at=now + dt.timedelta(hours=3), proposed=True)
    assert reminders_send_due(now) == 0


def test_a_moved_interview_is_reminded_again(advisor):
    now = timezone.now()
    appointment = AppointmentFactory(advisor=advisor, starts_at=now + dt.timedelta(hours=20))
    reminders_send_due(now)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=now + dt.timedelta(hours=22),
        ends_at=now + dt.timedelta(hours=22, minutes=45),
        reminder_24h_sent_at=None,
    )
    assert reminders_send_due(now) == 1


def test_a_failed_send_is_retried_on_the_next_run(monkeypatch):
    now = timezone.now()
    AppointmentFactory(starts_at=now + dt.timedelta(hours=23))

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("interviews.emails.EmailMessage.send", broken)
    with pytest.raises(OSError):
        reminders_send_due(now)
    monkeypatch.undo()
    assert Appointment.objects.get().reminder_24h_sent_at is None
    assert reminders_send_due(now) == 1
    assert len(mail.outbox) == 1


def test_the_management_command_enqueues_the_task_and_the_worker_sends_once():
    # Tests run the immediate backend: enqueuing runs the task, as the worker would.
    now = timezone.now()
    AppointmentFactory(starts_at=now + dt.timedelta(hours=12))
    out = io.StringIO()
    call_command("interviews_tick", stdout=out)
    call_command("interviews_tick", stdout=out)
    assert out.getvalue().count("enqueued") == 2
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_reminder_exactly_once():
    now = timezone.now()
    AppointmentFactory.create_batch(10, starts_at=now + dt.timedelta(hours=23))
    # create_batch gives one advisor per interview, so they do not overlap.
    barrier = threading.Barrier(6)
    counts, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=30)
            counts.append(reminders_send_due(now))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(counts) == 10
    assert len(mail.outbox) == 10
    assert Appointment.objects.filter(reminder_24h_sent_at__isnull=True).count() == 0
