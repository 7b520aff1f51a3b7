"""Pages: who sees what (404 for everybody else), booking through the page, lists with their
outcomes and a query count that does not grow, the advisor's private notes."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interviews.models import (
    Appointment,
    AppointmentEvent,
    EventKind,
    Status,
    WeeklyAvailability,
)
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.interviews.factories import (
    AppointmentFactory,
    WeeklyAvailabilityFactory,
    followed_seeker,
)

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(advisor):
    return AppointmentFactory(advisor=advisor)


def outsiders(appointment):
    return [
        followed_seeker(appointment.advisor).user,
        AdvisorFactory(agency=appointment.advisor.agency).user,
        UserFactory(manager=True, agency=appointment.advisor.agency),
    ]


@pytest.mark.parametrize("name", ["detail", "call", "reschedule", "cancel"])
def test_participants_see_the_interview_and_nobody_else(appointment, name):
    url = reverse(f"interviews:{name}", args=[appointment.pk])
    for participant in (appointment.seeker.user, appointment.advisor.user):
        response = login(participant).get(url)
        assert response.status_code in (200, 302), (participant, response.status_code)
    for outsider in outsiders(appointment):
        assert login(outsider).get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(appointment):
    from django.test import Client

    response = Client().get(reverse("interviews:detail", args=[appointment.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_seeker_books_through_the_page(advisor):
    seeker = followed_seeker(advisor)
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=3, start_time=dt.time(14), end_time=dt.time(17)
    )
    client = login(seeker.user)
    page = client.get(reverse("interviews:book"))
    assert page.status_code == 200
    assert "Réserver un entretien par webcam" in page.content.decode()
    day, slots = page.context["days"][0]
    response = client.post(reverse("interviews:book"), {"slot": slots[0].starts_at.isoformat()})
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == appointment.get_absolute_url()
    assert appointment.starts_at == slots[0].starts_at
    assert appointment.status == Status.CONFIRMED


def test_a_seeker_without_referent_cannot_book(seeker):
    response = login(seeker.user).get(reverse("interviews:book"))
    assert response.status_code == 302


def test_advisors_cannot_book_and_seekers_cannot_publish_availability(advisor):
    seeker = followed_seeker(advisor)
    assert login(advisor.user).get(reverse("interviews:book")).status_code == 404
    assert login(seeker.user).get(reverse("interviews:availability")).status_code == 404
    assert login(seeker.user).get(reverse("interviews:propose")).status_code == 404


def test_the_advisor_publishes_a_weekly_range(advisor):
    client = login(advisor.user)
    response = client.post(
        reverse("interviews:availability"),
        {
            "action": "add_weekly",
            "weekly-weekday": "1",
            "weekly-start_time": "09:00",
            "weekly-end_time": "12:00",
        },
    )
    assert response.status_code == 302
    assert WeeklyAvailability.objects.get(advisor=advisor).weekday == 1
    page = client.get(reverse("interviews:availability"))
    assert page.status_code == 200
    assert "Mardi" in page.content.decode()


def test_the_advisor_proposes_and_the_seeker_confirms_through_the_pages(advisor):
    seeker = followed_seeker(advisor)
    starts = (timezone.localtime() + dt.timedelta(days=3)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    response = login(advisor.user).post(
        reverse("interviews:propose"),
        {"seeker": seeker.pk, "starts_at": starts.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.status == Status.PROPOSED
    page = login(seeker.user).get(appointment.get_absolute_url())
    assert "Confirmer cet entretien" in page.content.decode()
    login(seeker.user).post(reverse("interviews:confirm", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_cancelling_through_the_page_needs_a_reason(appointment):
    client = login(appointment.seeker.user)
    url = reverse("interviews:cancel", args=[appointment.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "Entretien d'embauche"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert appointment.cancelled_by == appointment.seeker.user


def test_the_notes_are_private_to_the_advisor(appointment):
    advisor_client = login(appointment.advisor.user)
    advisor_client.post(
        reverse("interviews:notes", args=[appointment.pk]), {"notes": "Motivé, CV à refaire"}
    )
    appointment.refresh_from_db()
    assert appointment.advisor_notes == "Motivé, CV à refaire"
    assert (
        "Motivé, CV à refaire"
        in advisor_client.get(appointment.get_absolute_url()).content.decode()
    )
    seeker_client = login(appointment.seeker.user)
    assert "Motivé" not in seeker_client.get(appointment.get_absolute_url()).content.decode()
    assert "Motivé" not in seeker_client.get(reverse("interviews:list")).content.decode()
    response = seeker_client.post(
        reverse("interviews:notes", args=[appointment.pk]), {"notes": "x"}
    )
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.advisor_notes == "Motivé, CV à refaire"


def test_the_advisor_cannot_mark_absent_a_seeker_who_came(advisor):
    appointment = AppointmentFactory(
        advisor=advisor,
        starts_at=timezone.now() - dt.timedelta(hours=2),
        seeker_joined_at=timezone.now() - dt.timedelta(hours=2),
    )
    client = login(advisor.user)
    response = client.post(
        reverse("interviews:notes", args=[appointment.pk]),
        {"outcome": Status.SEEKER_ABSENT},
        follow=True,
    )
    assert "ne peut pas être noté absent" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_the_call_page_opens_only_in_the_window(advisor):
    later = AppointmentFactory(advisor=advisor)
    response = login(later.seeker.user).get(reverse("interviews:call", args=[later.pk]))
    assert response.status_code == 302
    soon = AppointmentFactory(advisor=advisor, now_open=True)
    response = login(soon.seeker.user).get(reverse("interviews:call", args=[soon.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="interview-config"' in html
    assert "js/interview-call.js" in html
    assert 'data-hook="equipment-recheck"' in html or "equipment" in html
    config = response.context["config"]
    assert config["wsPath"] == f"/ws/interviews/{soon.pk}/"
    assert config["role"] == "seeker"
    assert "seekerPhone" not in config


def test_a_signing_seeker_gets_the_advisor_enlarged(advisor):
    appointment = AppointmentFactory(
        advisor=advisor, now_open=True, seeker=followed_seeker(advisor, signing=True)
    )
    html = login(appointment.seeker.user).get(reverse("interviews:call", args=[appointment.pk]))
    assert "interview-stage interview-enlarged" in html.content.decode()


def test_the_report_endpoint_records_a_failure_over_http(advisor):
    appointment = AppointmentFactory(advisor=advisor, now_open=True)
    client = login(appointment.seeker.user)
    url = reverse("interviews:report", args=[appointment.pk])
    response = client.post(
        url, json.dumps({"report": "signalling_failed"}), content_type="application/json"
    )
    assert response.status_code == 204
    appointment.refresh_from_db()
    assert appointment.seeker_joined_at is not None
    assert appointment.events.filter(kind=EventKind.SIGNALLING_FAILED).count() == 1
    bad = client.post(url, "{", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["type"] == "error"
    assert (
        login(outsiders(appointment)[0])
        .post(url, "{}", content_type="application/json")
        .status_code
        == 404
    )


def make_history(advisor, seeker, count, first=0):
    now = timezone.now().replace(microsecond=0)
    for index in range(first, first + count):
        AppointmentFactory(
            advisor=advisor, seeker=seeker, starts_at=now + dt.timedelta(days=1, hours=index)
        )
        AppointmentFactory(
            advisor=advisor,
            seeker=seeker,
            starts_at=now - dt.timedelta(days=1, hours=index),
            status=[Status.HELD, Status.SEEKER_ABSENT, Status.TECHNICAL_FAILURE][index % 3],
            held_seconds=1800,
        )
        AppointmentFactory(
            advisor=advisor,
            seeker=seeker,
            starts_at=now - dt.timedelta(days=3, hours=index),
            cancelled=True,
            cancelled_by=seeker.user,
        )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("role", ["seeker", "advisor"])
def test_the_lists_show_outcomes_in_a_constant_number_of_queries(advisor, role):
    seeker = followed_seeker(advisor)
    user = seeker.user if role == "seeker" else advisor.user
    client = login(user)
    url = reverse("interviews:list")
    make_history(advisor, seeker, 1)
    few, _ = count_queries(client, url)
    make_history(advisor, seeker, 6, first=1)
    many, response = count_queries(client, url)
    assert many == few
    assert few <= 8
    html = response.content.decode()
    for label in ("Tenu", "Demandeur absent", "Échec technique", "Annulé", "30 min"):
        assert label in html
    assert len(response.context["upcoming"]) == 7
    assert len(response.context["past"]) == 14


@pytest.mark.parametrize("role", ["seeker", "advisor"])
def test_the_home_pages_list_the_next_interviews_with_join_links(advisor, role):
    seeker = followed_seeker(advisor)
    open_now = AppointmentFactory(advisor=advisor, seeker=seeker, now_open=True)
    AppointmentFactory(advisor=advisor, seeker=seeker)
    user = seeker.user if role == "seeker" else advisor.user
    home = reverse("seekers:home") if role == "seeker" else reverse("advisors:home")
    response = login(user).get(home)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="upcoming-interviews"' in html
    assert reverse("interviews:call", args=[open_now.pk]) in html


def test_managers_read_their_agencys_interviews_in_the_admin_without_the_notes(appointment):
    appointment.advisor_notes = "Très privé"
    appointment.save()
    AppointmentEvent.objects.create(
        appointment=appointment, kind=EventKind.BOOKED, detail="Réservé"
    )
    client = login(UserFactory(manager=True, agency=appointment.advisor.agency))
    change_url = reverse("admin:interviews_appointment_change", args=[appointment.pk])

    listing = client.get(reverse("admin:interviews_appointment_changelist"))
    assert listing.status_code == 200
    assert change_url in listing.content.decode()
    change = client.get(change_url)
    assert change.status_code == 200
    html = change.content.decode()
    assert "Très privé" not in html
    assert "Réservé" in html  # the record of what happened
    assert 'name="_save"' not in html  # read-only: changes go through the booking rules
    before = appointment.starts_at
    refused = client.post(change_url, {"status": Status.CANCELLED})
    assert refused.status_code == 403
    appointment.refresh_from_db()
    assert appointment.starts_at == before and appointment.status != Status.CANCELLED


def test_managers_of_another_agency_do_not_see_the_interview(appointment, other_agency):
    client = login(UserFactory(manager=True, agency=other_agency))
    listing = client.get(reverse("admin:interviews_appointment_changelist"))
    assert listing.status_code == 200
    change_url = reverse("admin:interviews_appointment_change", args=[appointment.pk])
    assert change_url not in listing.content.decode()
    assert client.get(change_url).status_code == 302


def test_the_call_page_links_the_conversation_beside_the_video(advisor):
    appointment = AppointmentFactory(advisor=advisor, now_open=True)
    url = reverse("interviews:call", args=[appointment.pk])
    advisor_page = login(advisor.user).get(url).content.decode()
    assert reverse("chat:open_for_seeker", args=[appointment.seeker_id]) in advisor_page
    seeker_page = login(appointment.seeker.user).get(url).content.decode()
    assert reverse("chat:seeker_conversation") in seeker_page
    assert "seekerPhone" in advisor_page
    assert "seekerPhone" not in seeker_page
