"""Live sessions: registration, the waiting list and its promotion (with email and .ics),
reminders, attendance correction, and no overbooking under concurrent registrations."""

import threading
from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from ateliers import services, tasks
from ateliers.models import Registration, RegistrationStatus
from tests.ateliers.factories import LiveSessionFactory
from tests.seekers.factories import SeekerFactory


@pytest.fixture
def live(advisor):
    return LiveSessionFactory(facilitator=advisor, capacity=2)


def seekers(agency, count):
    return [SeekerFactory(agency=agency, followed=False) for _ in range(count)]


@pytest.mark.django_db
def test_register_then_waiting_list_beyond_capacity(
    live, agency, django_capture_on_commit_callbacks
):
    a, b, c, d = seekers(agency, 4)
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            services.session_register(session_id=live.pk, seeker=s).status for s in (a, b, c, d)
        ]
    assert statuses == ["registered", "registered", "waiting", "waiting"]
    # Registering twice gives the same registration back.
    assert services.session_register(session_id=live.pk, seeker=a).status == "registered"
    assert Registration.objects.filter(session=live).count() == 4
    subjects = [m.subject for m in mail.outbox]
    assert sum("waiting list" in s or "liste d'attente" in s for s in subjects) == 2
    invitation = next(m for m in mail.outbox if m.to == [a.user.email])
    name, content, mimetype = invitation.attachments[0]
    assert mimetype == "text/calendar"
    event = icalendar.Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == live.starts_at.replace(microsecond=0)


@pytest.mark.django_db
def test_cancel_promotes_the_first_waiting_and_emails_them(
    live, agency, django_capture_on_commit_callbacks
):
    a, b, c, d = seekers(agency, 4)
    for s in (a, b, c, d):
        services.session_register(session_id=live.pk, seeker=s)
    registration = Registration.objects.get(seeker=a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.registration_cancel(registration_id=registration.pk, seeker=a)
    assert promoted.seeker == c
    assert Registration.objects.get(pk=promoted.pk).status == RegistrationStatus.REGISTERED
    assert Registration.objects.get(seeker=d).status == RegistrationStatus.WAITING
    to_c = [m for m in mail.outbox if m.to == [c.user.email]]
    assert len(to_c) == 1 and to_c[0].attachments[0][2] == "text/calendar"
    assert "place" in to_c[0].body.lower()
    to_a = [m for m in mail.outbox if m.to == [a.user.email]]
    cancel = icalendar.Calendar.from_ical(to_a[0].attachments[0][1])
    assert str(cancel["method"]) == "CANCEL"
    # Leaving the waiting list promotes nobody.
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            services.registration_cancel(
                registration_id=Registration.objects.get(seeker=d).pk, seeker=d
            )
            is None
        )


@pytest.mark.django_db
def test_register_and_cancel_through_the_pages(live, agency, make_client):
    seeker = SeekerFactory(agency=agency)
    client = make_client(seeker.user)
    assert client.get(live.get_absolute_url()).status_code == 200
    response = client.post(reverse("ateliers:session_register", args=[live.pk]))
    assert response.status_code == 302
    ics = client.get(reverse("ateliers:session_ics", args=[live.pk]))
    assert ics.status_code == 200 and ics["Content-Type"] == "text/calendar"
    client.post(reverse("ateliers:session_cancel", args=[live.pk]))
    assert Registration.objects.get(seeker=seeker).status == RegistrationStatus.CANCELLED
    assert client.get(reverse("ateliers:session_ics", args=[live.pk])).status_code == 404


@pytest.mark.django_db
def test_sessions_of_another_agency_are_hidden(live, other_agency, make_client):
    stranger = SeekerFactory(agency=other_agency)
    client = make_client(stranger.user)
    assert client.get(live.get_absolute_url()).status_code == 404
    assert client.post(reverse("ateliers:session_register", args=[live.pk])).status_code == 404
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_reminder_sent_once_within_the_window(advisor, agency, settings):
    settings.ATELIERS_REMINDER_HOURS_BEFORE = 24
    soon = LiveSessionFactory(facilitator=advisor, starts_at=timezone.now() + timedelta(hours=5))
    later = LiveSessionFactory(facilitator=advisor, starts_at=timezone.now() + timedelta(days=5))
    seeker = SeekerFactory(agency=agency)
    r_soon = Registration.objects.create(session=soon, seeker=seeker, status="registered")
    Registration.objects.create(session=later, seeker=seeker, status="registered")
    mail.outbox.clear()
    assert tasks.send_due_reminders.call() == 1
    assert tasks.send_due_reminders.call() == 0
    assert tasks.remind_registration.call(r_soon.pk) == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [seeker.user.email]


@pytest.mark.django_db
def test_facilitator_corrects_attendance(advisor, other_advisor, agency, make_client):
    live = LiveSessionFactory(facilitator=advisor, open_now=True)
    present, absent = seekers(agency, 2)
    r1 = Registration.objects.create(session=live, seeker=present, status="registered")
    r2 = Registration.objects.create(session=live, seeker=absent, status="registered")
    services.attendance_mark_joined(session_id=live.pk, user=present.user)
    r1.refresh_from_db()
    assert r1.attended and not Registration.objects.get(pk=r2.pk).attended
    url = reverse("ateliers:attendance_correct", args=[live.pk])
    assert (
        make_client(other_advisor.user)
        .post(url, {"registration": r2.pk, "attended": "present"})
        .status_code
        == 404
    )
    assert (
        make_client(present.user)
        .post(url, {"registration": r2.pk, "attended": "present"})
        .status_code
        == 404
    )
    response = make_client(advisor.user).post(url, {"registration": r2.pk, "attended": "present"})
    assert response.status_code == 302
    assert Registration.objects.get(pk=r2.pk).attended
    make_client(advisor.user).post(url, {"registration": r1.pk, "attended": "absent"})
    assert not Registration.objects.get(pk=r1.pk).attended


@pytest.mark.django_db
def test_manager_raising_capacity_promotes_waiting(live, agency, manager, make_client):
    a, b, c = seekers(agency, 3)
    for s in (a, b, c):
        services.session_register(session_id=live.pk, seeker=s)
    promoted = services.session_fill(session_id=live.pk)
    assert promoted == []
    live.capacity = 3
    live.save()
    promoted = services.session_fill(session_id=live.pk)
    assert [r.seeker for r in promoted] == [c]


def _race(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            close_old_connections()
            barrier.wait(timeout=10)
            target(index)
        except Exception as exc:  # collected and raised by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_no_overbooking_under_concurrent_registrations(advisor, agency):
    live = LiveSessionFactory(facilitator=advisor, capacity=3)
    people = seekers(agency, 12)
    errors = _race(12, lambda i: services.session_register(session_id=live.pk, seeker=people[i]))
    assert errors == []
    statuses = list(Registration.objects.filter(session=live).values_list("status", flat=True))
    assert statuses.count("registered") == 3
    assert statuses.count("waiting") == 9


@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_promote_each_waiting_person_once(advisor, agency):
    live = LiveSessionFactory(facilitator=advisor, capacity=4)
    people = seekers(agency, 10)
    for person in people:
        services.session_register(session_id=live.pk, seeker=person)
    registered = list(
        Registration.objects.filter(session=live, status="registered").select_related("seeker")
    )
    errors = _race(
        4,
        lambda i: services.registration_cancel(
            registration_id=registered[i].pk, seeker=registered[i].seeker
        ),
    )
    assert errors == []
    rows = Registration.objects.filter(session=live)
    assert rows.filter(status="registered").count() == 4
    assert rows.filter(status="waiting").count() == 2
    # First come, first served: the four who waited longest got the places.
    promoted = set(rows.filter(promoted_at__isnull=False).values_list("seeker_id", flat=True))
    assert promoted == {p.pk for p in people[4:8]}


@pytest.mark.django_db
def test_room_page_for_registered_and_facilitator_only(advisor, other_advisor, agency, make_client):
    live = LiveSessionFactory(facilitator=advisor, open_now=True)
    registered, waiting, stranger = seekers(agency, 3)
    Registration.objects.create(session=live, seeker=registered, status="registered")
    Registration.objects.create(session=live, seeker=waiting, status="waiting")
    url = reverse("ateliers:room", args=[live.pk])
    assert make_client(registered.user).get(url).status_code == 200
    assert make_client(advisor.user).get(url).status_code == 200
    for user in (waiting.user, stranger.user, other_advisor.user):
        assert make_client(user).get(url).status_code == 404


@pytest.mark.django_db
def test_sessions_list_query_count_does_not_grow(advisor, agency, make_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seeker = SeekerFactory(agency=agency)
    client = make_client(seeker.user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("ateliers:sessions")).status_code == 200
        return len(queries)

    LiveSessionFactory(facilitator=advisor)
    few = count()
    for _ in range(6):
        live = LiveSessionFactory(facilitator=advisor)
        for person in seekers(agency, 2):
            services.session_register(session_id=live.pk, seeker=person)
        services.session_register(session_id=live.pk, seeker=seeker)
    assert count() == few


@pytest.mark.django_db
def test_managers_see_only_their_agencys_sessions_in_the_admin(
    advisor, manager, other_agency, make_client
):
    from tests.accounts.factories import UserFactory
    from tests.advisors.factories import AdvisorFactory

    ours = LiveSessionFactory(facilitator=advisor)
    theirs = LiveSessionFactory(facilitator=AdvisorFactory(agency=other_agency))
    client = make_client(manager)
    assert (
        client.get(reverse("admin:ateliers_livesession_change", args=[ours.pk])).status_code == 200
    )
    response = client.get(reverse("admin:ateliers_livesession_change", args=[theirs.pk]))
    assert response.status_code == 302  # "does not exist" redirect, nothing shown
    other_manager = UserFactory(manager=True, agency=other_agency)
    listing = make_client(other_manager).get(reverse("admin:ateliers_livesession_changelist"))
    assert listing.status_code == 200 and f"/{ours.pk}/change/" not in listing.content.decode()


@pytest.mark.django_db
def test_manager_cancelling_a_session_tells_everyone(
    live, agency, manager, make_client, django_capture_on_commit_callbacks
):
    a, b, c = seekers(agency, 3)
    for person in (a, b, c):
        services.session_register(session_id=live.pk, seeker=person)
    mail.outbox.clear()
    client = make_client(manager)
    url = reverse("admin:ateliers_livesession_change", args=[live.pk])
    page = client.get(url)
    assert page.status_code == 200
    local = timezone.localtime(live.starts_at)
    now = timezone.localtime()
    data = {
        "workshop": live.workshop_id,
        "facilitator": live.facilitator_id,
        "starts_at_0": local.strftime("%d/%m/%Y"),
        "starts_at_1": local.strftime("%H:%M:%S"),
        "duration_minutes": live.duration_minutes,
        "capacity": live.capacity,
        "cancelled_at_0": now.strftime("%d/%m/%Y"),
        "cancelled_at_1": now.strftime("%H:%M:%S"),
        "registrations-TOTAL_FORMS": 3,
        "registrations-INITIAL_FORMS": 3,
    }
    for index, registration in enumerate(Registration.objects.filter(session=live)):
        data[f"registrations-{index}-id"] = registration.pk
        data[f"registrations-{index}-session"] = live.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    live.refresh_from_db()
    assert live.cancelled_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.user.email for p in (a, b, c))
    invitation = next(m for m in mail.outbox if m.to == [a.user.email])
    assert str(icalendar.Calendar.from_ical(invitation.attachments[0][1])["method"]) == "CANCEL"
    waiting = next(m for m in mail.outbox if m.to == [c.user.email])
    assert waiting.attachments == []


@pytest.mark.django_db
def test_counts_stay_right_for_a_session_of_another_agency_one_is_registered_to(
    advisor, agency, other_agency, make_client
):
    from tests.advisors.factories import AdvisorFactory

    elsewhere = LiveSessionFactory(facilitator=AdvisorFactory(agency=other_agency), capacity=2)
    seeker = SeekerFactory(agency=agency)
    others = [SeekerFactory(agency=other_agency) for _ in range(3)]
    for person in [*others[:1], seeker, *others[1:]]:
        services.session_register(session_id=elsewhere.pk, seeker=person)
    page = make_client(seeker.user).get(elsewhere.get_absolute_url())
    assert page.status_code == 200
    assert page.context["live"].registered_count == 2
    assert page.context["live"].waiting_count == 2
