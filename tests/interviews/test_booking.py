"""Booking by the seeker, proposal by the advisor confirmed by the seeker, rescheduling and
cancellation with a reason and a minimum notice, and the emails with .ics they send."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from interviews import services
from interviews.models import Appointment, EventKind, Status
from interviews.services import BookingError
from tests.advisors.factories import AdvisorFactory
from tests.interviews.factories import (
    AppointmentFactory,
    AvailabilityExceptionFactory,
    WeeklyAvailabilityFactory,
    followed_seeker,
)
from tests.seekers.factories import SeekerFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=PARIS)  # a Monday morning
TUESDAY_9 = dt.datetime(2026, 6, 2, 9, 0, tzinfo=PARIS)

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(advisor):
    for weekday in range(5):
        WeeklyAvailabilityFactory(
            advisor=advisor, weekday=weekday, start_time=dt.time(9), end_time=dt.time(12)
        )
    return advisor


@pytest.fixture
def followed(advisor):
    return followed_seeker(advisor)


def ics_of(message):
    (name, content, mimetype) = message.attachments[0]
    assert name.endswith(".ics")
    return mimetype, icalendar.Calendar.from_ical(content)


def test_seeker_books_a_published_slot_and_both_get_an_ics(
    week, followed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = services.appointment_book(seeker=followed, starts_at=TUESDAY_9, now=NOW)
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert appointment.advisor == week
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=45)
    assert list(appointment.events.values_list("kind", flat=True)) == [EventKind.BOOKED]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {followed.user.email, week.user.email}
    mimetype, calendar = ics_of(message)
    assert "method=REQUEST" in mimetype
    assert calendar["method"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart") == TUESDAY_9
    assert event.decoded("dtend") == TUESDAY_9 + dt.timedelta(minutes=45)
    assert str(event["uid"]) == appointment.ical_uid
    assert int(event["sequence"]) == 0


def test_a_slot_outside_the_pattern_or_off_the_grid_is_refused(week, followed):
    for starts_at in (
        dt.datetime(2026, 6, 2, 14, 0, tzinfo=PARIS),  # afternoon: not published
        dt.datetime(2026, 6, 2, 9, 10, tzinfo=PARIS),  # not a slot start
        dt.datetime(2026, 6, 6, 9, 0, tzinfo=PARIS),  # Saturday
        dt.datetime(2026, 6, 1, 8, 30, tzinfo=PARIS),  # past
    ):
        with pytest.raises(BookingError) as error:
            services.appointment_book(seeker=followed, starts_at=starts_at, now=NOW)
        assert error.value.code == "slot_unavailable"
    assert not Appointment.objects.exists()


def test_a_slot_during_leave_is_refused(week, followed):
    AvailabilityExceptionFactory(
        advisor=week, starts_at=TUESDAY_9, ends_at=TUESDAY_9 + dt.timedelta(hours=3)
    )
    with pytest.raises(BookingError, match="slot_unavailable"):
        services.appointment_book(seeker=followed, starts_at=TUESDAY_9, now=NOW)


def test_a_taken_slot_is_refused_to_the_next_seeker(week, followed):
    services.appointment_book(seeker=followed, starts_at=TUESDAY_9, now=NOW)
    other = followed_seeker(week)
    with pytest.raises(BookingError, match="slot_unavailable"):
        services.appointment_book(seeker=other, starts_at=TUESDAY_9, now=NOW)


def test_only_a_followed_seeker_with_a_referent_books(week):
    enrolling = SeekerFactory(agency=week.agency)
    with pytest.raises(BookingError, match="no_referent"):
        services.appointment_book(seeker=enrolling, starts_at=TUESDAY_9, now=NOW)


def test_postgresql_itself_refuses_overlapping_interviews(advisor):
    first = AppointmentFactory(advisor=advisor)
    # Straight to the database, past every service check.
    with (
        pytest.raises(IntegrityError, match="appointment_no_advisor_overlap"),
        transaction.atomic(),
    ):
        AppointmentFactory(advisor=advisor, starts_at=first.starts_at + dt.timedelta(minutes=30))
    with pytest.raises(IntegrityError, match="appointment_no_seeker_overlap"), transaction.atomic():
        AppointmentFactory(
            advisor=AdvisorFactory(agency=advisor.agency),
            seeker=first.seeker,
            starts_at=first.starts_at + dt.timedelta(minutes=10),
        )
    # Back to back is fine, and a cancelled interview frees its range.
    AppointmentFactory(advisor=advisor, starts_at=first.ends_at)
    AppointmentFactory(advisor=advisor, starts_at=first.starts_at, cancelled=True)


def test_advisor_proposes_and_the_seeker_confirms(
    advisor, followed, django_capture_on_commit_callbacks
):
    at = dt.datetime(2026, 6, 3, 16, 0, tzinfo=PARIS)  # outside the pattern: the advisor's call
    with django_capture_on_commit_callbacks(execute=True):
        appointment = services.appointment_propose(
            advisor=advisor, seeker=followed, starts_at=at, now=NOW
        )
    assert appointment.status == Status.PROPOSED
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_confirm(appointment=appointment, by=followed.user, now=NOW)
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert appointment.confirmed_at == NOW
    assert [m.subject for m in mail.outbox] == [
        "[Suivi 100 % web] Votre conseiller vous propose un entretien par webcam",
        "[Suivi 100 % web] Entretien par webcam confirmé",
    ]
    assert int(ics_of(mail.outbox[1])[1].walk("VEVENT")[0]["sequence"]) == 1


def test_only_the_seeker_confirms_a_proposal(advisor, followed):
    appointment = AppointmentFactory(advisor=advisor, seeker=followed, proposed=True)
    for intruder in (advisor.user, followed_seeker(advisor).user):
        with pytest.raises(BookingError, match="forbidden"):
            services.appointment_confirm(appointment=appointment, by=intruder)


def test_advisor_cannot_propose_to_someone_elses_seeker(advisor):
    stranger = followed_seeker(AdvisorFactory(agency=advisor.agency))
    with pytest.raises(BookingError, match="not_referent"):
        services.appointment_propose(advisor=advisor, seeker=stranger, starts_at=TUESDAY_9, now=NOW)


def test_advisor_cannot_propose_over_an_interview_or_leave(advisor, followed):
    AppointmentFactory(advisor=advisor, starts_at=TUESDAY_9)
    with pytest.raises(BookingError, match="slot_taken"):
        services.appointment_propose(
            advisor=advisor,
            seeker=followed,
            starts_at=TUESDAY_9 + dt.timedelta(minutes=20),
            now=NOW,
        )
    AvailabilityExceptionFactory(
        advisor=advisor,
        starts_at=TUESDAY_9 + dt.timedelta(hours=4),
        ends_at=TUESDAY_9 + dt.timedelta(hours=8),
    )
    with pytest.raises(BookingError, match="advisor_unavailable"):
        services.appointment_propose(
            advisor=advisor, seeker=followed, starts_at=TUESDAY_9 + dt.timedelta(hours=5), now=NOW
        )


def test_seeker_reschedules_to_another_published_slot(
    week, followed, django_capture_on_commit_callbacks
):
    appointment = services.appointment_book(seeker=followed, starts_at=TUESDAY_9, now=NOW)
    later = dt.datetime(2026, 6, 4, 10, 30, tzinfo=PARIS)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(
            appointment=appointment,
            by=followed.user,
            starts_at=later,
            reason="Rendez-vous médical",
            now=NOW - dt.timedelta(days=1),
        )
    appointment.refresh_from_db()
    assert appointment.starts_at == later
    assert appointment.sequence == 1
    event = appointment.events.get(kind=EventKind.RESCHEDULED)
    assert event.detail["reason"] == "Rendez-vous médical"
    assert event.detail["by_role"] == "seeker"
    vevent = ics_of(mail.outbox[-1])[1].walk("VEVENT")[0]
    assert vevent.decoded("dtstart") == later
    assert int(vevent["sequence"]) == 1
    # The old slot is free again.
    services.appointment_book(seeker=followed_seeker(week), starts_at=TUESDAY_9, now=NOW)


def test_changes_need_a_reason_and_the_minimum_notice(week, followed, settings):
    settings.INTERVIEWS_CHANGE_NOTICE_HOURS = 24
    appointment = services.appointment_book(seeker=followed, starts_at=TUESDAY_9, now=NOW)
    with pytest.raises(BookingError, match="reason_required"):
        services.appointment_cancel(appointment=appointment, by=followed.user, reason=" ", now=NOW)
    # 25 hours before: allowed; 23 hours before: refused, for both participants.
    too_late = TUESDAY_9 - dt.timedelta(hours=23)
    for person in (followed.user, week.user):
        with pytest.raises(BookingError, match="notice_too_short"):
            services.appointment_cancel(
                appointment=appointment, by=person, reason="Empêchement", now=too_late
            )
        with pytest.raises(BookingError, match="notice_too_short"):
            services.appointment_reschedule(
                appointment=appointment,
                by=person,
                starts_at=TUESDAY_9 + dt.timedelta(days=2),
                reason="Empêchement",
                now=too_late,
            )
    settings.INTERVIEWS_CHANGE_NOTICE_HOURS = 2
    services.appointment_cancel(
        appointment=appointment, by=week.user, reason="Formation", now=too_late
    )


def test_cancellation_records_who_and_why_and_sends_a_cancel_ics(
    week, followed, django_capture_on_commit_callbacks
):
    appointment = services.appointment_book(
        seeker=followed, starts_at=TUESDAY_9, now=NOW - dt.timedelta(days=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(
            appointment=appointment,
            by=week.user,
            reason="Formation imprévue",
            now=NOW - dt.timedelta(days=1),
        )
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert appointment.cancelled_by == week.user
    assert appointment.cancel_reason == "Formation imprévue"
    mimetype, calendar = ics_of(mail.outbox[-1])
    assert "method=CANCEL" in mimetype
    assert calendar["method"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["status"] == "CANCELLED"
    assert "Formation imprévue" in mail.outbox[-1].body


def test_nobody_else_changes_an_interview(week, followed):
    appointment = services.appointment_book(seeker=followed, starts_at=TUESDAY_9, now=NOW)
    outsiders = [followed_seeker(week).user, AdvisorFactory(agency=week.agency).user]
    for outsider in outsiders:
        with pytest.raises(BookingError, match="forbidden"):
            services.appointment_cancel(
                appointment=appointment, by=outsider, reason="x", now=NOW - dt.timedelta(days=1)
            )


def test_a_proposal_may_be_declined_even_at_short_notice(advisor, followed):
    appointment = AppointmentFactory(
        advisor=advisor, seeker=followed, proposed=True, starts_at=NOW + dt.timedelta(hours=3)
    )
    services.appointment_cancel(
        appointment=appointment, by=followed.user, reason="Pas disponible", now=NOW
    )
    assert Appointment.objects.get().status == Status.CANCELLED
