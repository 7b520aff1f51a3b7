"""What happened: held with its real duration, seeker absent only when the seeker never came,
technical failure whenever they came but the call failed, cancelled with who and why."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from interviews import services
from interviews.models import Appointment, EventKind, Status
from interviews.services import BookingError
from tests.interviews.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished():
    """An interview that started an hour and a half ago: its call window has closed."""
    return AppointmentFactory(
        starts_at=timezone.now().replace(microsecond=0) - dt.timedelta(minutes=90)
    )


def at(appointment, minutes):
    return appointment.starts_at + dt.timedelta(minutes=minutes)


def settle(appointment):
    return services.appointment_settle(appointment=appointment, now=at(appointment, 80))


def test_media_both_ways_makes_it_held_with_the_real_duration(finished):
    advisor, seeker = finished.advisor.user, finished.seeker.user
    services.call_record_join(appointment_id=finished.pk, user=advisor, now=at(finished, -5))
    services.call_record_join(appointment_id=finished.pk, user=seeker, now=at(finished, -2))
    services.call_record_report(
        appointment_id=finished.pk, user=advisor, report="media_flowing", now=at(finished, 1)
    )
    services.call_record_report(
        appointment_id=finished.pk, user=seeker, report="media_flowing", now=at(finished, 1.5)
    )
    services.call_record_hang_up(appointment_id=finished.pk, user=advisor, now=at(finished, 38.5))
    assert settle(finished) == Status.HELD
    finished.refresh_from_db()
    assert finished.held_seconds == 37 * 60
    assert finished.media_started_at == at(finished, 1.5)


def test_media_on_one_side_only_does_not_start_the_clock(finished):
    services.call_record_join(appointment_id=finished.pk, user=finished.advisor.user)
    services.call_record_join(appointment_id=finished.pk, user=finished.seeker.user)
    services.call_record_report(
        appointment_id=finished.pk, user=finished.advisor.user, report="media_flowing"
    )
    finished.refresh_from_db()
    assert finished.media_started_at is None
    assert settle(finished) == Status.TECHNICAL_FAILURE


def test_without_a_hang_up_the_call_ends_when_the_last_page_left(finished):
    advisor, seeker = finished.advisor.user, finished.seeker.user
    services.call_record_join(appointment_id=finished.pk, user=advisor, now=at(finished, 0))
    services.call_record_join(appointment_id=finished.pk, user=seeker, now=at(finished, 0))
    for user in (advisor, seeker):
        services.call_record_report(
            appointment_id=finished.pk, user=user, report="media_flowing", now=at(finished, 2)
        )
    services.call_record_leave(appointment_id=finished.pk, user=seeker, now=at(finished, 30))
    services.call_record_leave(appointment_id=finished.pk, user=advisor, now=at(finished, 32))
    assert settle(finished) == Status.HELD
    finished.refresh_from_db()
    assert finished.held_seconds == 30 * 60


def test_a_seeker_who_never_came_is_absent(finished):
    services.call_record_join(appointment_id=finished.pk, user=finished.advisor.user)
    assert settle(finished) == Status.SEEKER_ABSENT


def test_a_seeker_who_joined_but_whose_connection_failed_is_never_absent(finished):
    services.call_record_join(appointment_id=finished.pk, user=finished.advisor.user)
    services.call_record_join(appointment_id=finished.pk, user=finished.seeker.user)
    services.call_record_report(
        appointment_id=finished.pk, user=finished.seeker.user, report="ice_failed"
    )
    assert settle(finished) == Status.TECHNICAL_FAILURE


def test_a_seeker_whose_websocket_never_opened_but_who_reported_it_is_never_absent(finished):
    # The page could not reach the signalling server and said so over HTTP.
    services.call_record_join(appointment_id=finished.pk, user=finished.advisor.user)
    services.call_record_report(
        appointment_id=finished.pk, user=finished.seeker.user, report="signalling_failed"
    )
    assert settle(finished) == Status.TECHNICAL_FAILURE


def test_a_seeker_whose_camera_was_refused_is_a_technical_failure(finished):
    services.call_record_join(appointment_id=finished.pk, user=finished.advisor.user)
    services.call_record_report(
        appointment_id=finished.pk, user=finished.seeker.user, report="media_denied"
    )
    assert settle(finished) == Status.TECHNICAL_FAILURE


def test_an_advisor_who_never_came_is_never_held_against_the_seeker(finished):
    assert settle(finished) == Status.ADVISOR_ABSENT
    other = AppointmentFactory(starts_at=finished.starts_at - dt.timedelta(days=1))
    services.call_record_join(appointment_id=other.pk, user=other.seeker.user)
    assert settle(other) == Status.ADVISOR_ABSENT


def test_the_advisor_cannot_write_an_absence_when_the_seeker_came(finished):
    services.call_record_join(appointment_id=finished.pk, user=finished.advisor.user)
    services.call_record_join(appointment_id=finished.pk, user=finished.seeker.user)
    with pytest.raises(BookingError, match="seeker_joined"):
        services.appointment_set_outcome(
            appointment=finished, by=finished.advisor.user, outcome=Status.SEEKER_ABSENT
        )
    services.appointment_set_outcome(
        appointment=finished, by=finished.advisor.user, outcome=Status.TECHNICAL_FAILURE
    )
    finished.refresh_from_db()
    assert finished.status == Status.TECHNICAL_FAILURE


def test_the_advisor_records_a_call_held_by_phone_after_the_call_back(finished):
    services.call_record_join(appointment_id=finished.pk, user=finished.seeker.user)
    services.call_switch_fallback(
        appointment_id=finished.pk, user=finished.seeker.user, level="phone"
    )
    services.appointment_set_outcome(
        appointment=finished, by=finished.advisor.user, outcome=Status.HELD
    )
    finished.refresh_from_db()
    assert finished.status == Status.HELD
    assert finished.fallback == "phone"


def test_only_the_advisor_records_an_outcome(finished):
    with pytest.raises(BookingError, match="forbidden"):
        services.appointment_set_outcome(
            appointment=finished, by=finished.seeker.user, outcome=Status.HELD
        )


def test_an_outcome_waits_for_the_window_to_close():
    running = AppointmentFactory(now_open=True)
    with pytest.raises(BookingError, match="not_finished"):
        services.appointment_settle(appointment=running)
    with pytest.raises(BookingError, match="not_finished"):
        services.appointment_set_outcome(
            appointment=running, by=running.advisor.user, outcome=Status.HELD
        )


def test_each_fallback_switch_is_written_and_the_lowest_rung_kept(finished):
    seeker = finished.seeker.user
    finished.seeker.phone = "06 12 34 56 78"
    finished.seeker.save()
    services.call_switch_fallback(appointment_id=finished.pk, user=seeker, level="audio")
    services.call_switch_fallback(appointment_id=finished.pk, user=seeker, level="chat")
    services.call_switch_fallback(
        appointment_id=finished.pk, user=finished.advisor.user, level="audio"
    )
    services.call_switch_fallback(appointment_id=finished.pk, user=seeker, level="phone")
    finished.refresh_from_db()
    assert finished.fallback == "phone"
    switches = list(
        finished.events.filter(kind=EventKind.FALLBACK).values_list("detail", flat=True)
    )
    assert [s["level"] for s in switches] == ["audio", "chat", "audio", "phone"]
    assert switches[-1]["phone"] == "06 12 34 56 78"


def test_the_tick_settles_every_finished_interview_and_leaves_the_rest(finished):
    upcoming = AppointmentFactory()
    cancelled = AppointmentFactory(
        starts_at=finished.starts_at - dt.timedelta(days=1), cancelled=True
    )
    call_command("interviews_tick", stdout=io.StringIO())
    assert Appointment.objects.get(pk=finished.pk).status == Status.ADVISOR_ABSENT
    assert Appointment.objects.get(pk=upcoming.pk).status == Status.CONFIRMED
    assert Appointment.objects.get(pk=cancelled.pk).status == Status.CANCELLED


def test_notes_are_the_advisors_alone(finished):
    services.appointment_save_notes(
        appointment=finished, by=finished.advisor.user, notes="CV à revoir"
    )
    assert Appointment.objects.get(pk=finished.pk).advisor_notes == "CV à revoir"
    with pytest.raises(BookingError, match="forbidden"):
        services.appointment_save_notes(appointment=finished, by=finished.seeker.user, notes="x")


def test_a_proposal_nobody_confirmed_is_cancelled_once_its_time_has_come():
    proposal = AppointmentFactory(
        proposed=True, starts_at=timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    )
    services.appointments_settle_due()
    proposal.refresh_from_db()
    assert proposal.status == Status.CANCELLED
    assert proposal.cancelled_by is None
    assert proposal.cancel_reason


def test_no_absence_before_the_window_closes_the_seeker_may_still_come():
    late = AppointmentFactory(
        starts_at=timezone.now().replace(microsecond=0) - dt.timedelta(minutes=50)
    )  # ended 5 minutes ago: the seeker may still join for 25 minutes
    with pytest.raises(BookingError, match="not_finished"):
        services.appointment_set_outcome(
            appointment=late, by=late.advisor.user, outcome=Status.SEEKER_ABSENT
        )
    later = late.starts_at + dt.timedelta(minutes=80)
    services.appointment_set_outcome(
        appointment=late, by=late.advisor.user, outcome=Status.SEEKER_ABSENT, now=later
    )
    late.refresh_from_db()
    assert late.status == Status.SEEKER_ABSENT
