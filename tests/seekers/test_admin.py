"""The managers' admin: scoped to their agency, reassignment written on the timeline."""

import pytest
from django.urls import reverse

from seekers.models import AssignmentReason, TimelineKind
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_a_manager_sees_only_their_agency(agency, other_agency, manager):
    mine = SeekerFactory(agency=agency)
    theirs = SeekerFactory(agency=other_agency)
    other_advisor = AdvisorFactory(agency=other_agency)
    client = login(manager)

    listing = client.get(reverse("admin:seekers_seeker_changelist"))
    advisors = client.get(reverse("admin:advisors_advisor_changelist"))
    foreign = client.get(reverse("admin:seekers_seeker_change", args=[theirs.pk]))
    foreign_advisor = client.get(reverse("admin:advisors_advisor_change", args=[other_advisor.pk]))

    assert listing.status_code == 200
    assert mine.user.email in listing.content.decode()
    assert theirs.user.email not in listing.content.decode()
    assert other_advisor.user.email not in advisors.content.decode()
    # "Not yours" looks like "does not exist": the admin redirects to its index with a notice.
    missing = client.get(reverse("admin:seekers_seeker_change", args=[999999]))
    assert foreign.status_code == missing.status_code == 302
    assert foreign_advisor.status_code == 302


def test_a_superuser_sees_every_agency(agency, other_agency):
    SeekerFactory(agency=agency)
    theirs = SeekerFactory(agency=other_agency)
    root = UserFactory(superuser=True)

    listing = login(root).get(reverse("admin:seekers_seeker_changelist"))

    assert theirs.user.email in listing.content.decode()


def _change(client, seeker, advisor):
    return client.post(
        reverse("admin:seekers_seeker_change", args=[seeker.pk]),
        {
            "referent": advisor.pk,
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
            "timeline-TOTAL_FORMS": "0",
            "timeline-INITIAL_FORMS": "0",
        },
    )


def test_a_manager_reassigns_and_the_timeline_keeps_who_followed(agency, manager):
    first = AdvisorFactory(agency=agency)
    second = AdvisorFactory(agency=agency)
    seeker = SeekerFactory(agency=agency, followed=True, referent=first)

    response = _change(login(manager), seeker, second)

    assert response.status_code == 302
    seeker.refresh_from_db()
    assert seeker.referent == second
    periods = list(seeker.assignments.order_by("started_at", "pk"))
    assert [(p.advisor, p.ended_at is None) for p in periods] == [(first, False), (second, True)]
    assert periods[-1].reason == AssignmentReason.MANAGER
    assert periods[-1].assigned_by == manager
    event = seeker.timeline.get(kind=TimelineKind.REFERENT_CHANGED)
    assert (event.actor, event.advisor) == (manager, second)


def test_the_admin_refuses_a_speaking_advisor_for_a_signing_seeker(agency, manager):
    signing = AdvisorFactory(agency=agency, signs_lsf=True)
    speaking = AdvisorFactory(agency=agency)
    seeker = SeekerFactory(agency=agency, followed=True, referent=signing, signing=True)

    response = _change(login(manager), seeker, speaking)

    assert response.status_code == 200
    assert "seul un conseiller qui signe en LSF" in response.content.decode()
    seeker.refresh_from_db()
    assert seeker.referent == signing


def test_the_admin_refuses_a_full_advisor(agency, manager):
    current = AdvisorFactory(agency=agency)
    full = AdvisorFactory(agency=agency, capacity=1)
    SeekerFactory(agency=agency, followed=True, referent=full)
    seeker = SeekerFactory(agency=agency, followed=True, referent=current)

    response = _change(login(manager), seeker, full)

    assert response.status_code == 200
    assert "est complet" in response.content.decode()
    assert seeker.assignments.count() == 1


def test_the_queue_is_visible_to_managers(agency, manager):
    SeekerFactory(agency=agency, awaiting_check=True, signing=True)
    from seekers import services
    from seekers.models import Seeker

    waiting = Seeker.objects.get()
    services.seeker_complete_enrolment(seeker=waiting)

    page = login(manager).get(reverse("admin:seekers_seekerqueueentry_changelist"))

    assert page.status_code == 200
    assert waiting.user.email in page.content.decode()


def test_a_manager_adds_an_advisor(agency, manager):
    from advisors.models import Advisor

    response = login(manager).post(
        reverse("admin:advisors_advisor_add"),
        {
            "email": "nouveau@demo.test",
            "first_name": "Inès",
            "last_name": "Roussel",
            "agency": agency.pk,
            "capacity": "150",
            "state": "active",
        },
    )

    assert response.status_code == 302
    advisor = Advisor.objects.get(user__email="nouveau@demo.test")
    assert (advisor.agency, advisor.capacity, advisor.user.role) == (agency, 150, "advisor")
    assert not advisor.user.has_usable_password()
