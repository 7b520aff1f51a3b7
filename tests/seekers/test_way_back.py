"""The way back to the agency, and the way in again."""

import pytest
from django.urls import reverse

from seekers import services
from seekers.models import AssignmentReason, FollowUpStatus, ReturnReason, TimelineKind
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_returning_needs_a_confirmation(agency, advisor):
    seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)
    client = login(seeker.user)

    response = client.post(reverse("seekers:return_to_agency"), {"reason": "equipment"})

    assert response.status_code == 400
    assert "Cochez la case" in response.content.decode()
    seeker.refresh_from_db()
    assert seeker.status == FollowUpStatus.FOLLOWED_ONLINE


def test_returning_frees_the_caseload_and_keeps_the_history(agency, advisor):
    seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)
    client = login(seeker.user)

    response = client.post(
        reverse("seekers:return_to_agency"),
        {"confirm": "on", "reason": "prefer_agency", "comment": "Je préfère me déplacer."},
    )

    assert response.status_code == 302
    seeker.refresh_from_db()
    assert seeker.status == FollowUpStatus.RETURNED_TO_AGENCY
    assert seeker.referent is None
    assert seeker.return_reason == ReturnReason.PREFER_AGENCY
    assert advisor.caseload.count() == 0
    period = seeker.assignments.get()
    assert period.advisor == advisor and period.ended_at is not None
    event = seeker.timeline.get(kind=TimelineKind.RETURNED_TO_AGENCY)
    assert event.advisor == advisor and event.detail["reason"] == "prefer_agency"
    home = client.get(reverse("seekers:home"))
    assert "Revenir au suivi 100 % web" in home.content.decode()


def test_coming_back_gives_the_former_advisor_when_they_have_room(agency):
    former = AdvisorFactory(agency=agency)
    AdvisorFactory(agency=agency)  # emptier, but the former advisor comes first
    SeekerFactory.create_batch(2, agency=agency, followed=True, referent=former)
    seeker = SeekerFactory(agency=agency, followed=True, referent=former)
    services.seeker_return_to_agency(seeker=seeker)
    client = login(seeker.user)

    response = client.post(reverse("seekers:rejoin"))

    assert response.status_code == 302
    seeker.refresh_from_db()
    assert seeker.referent == former
    assert seeker.status == FollowUpStatus.FOLLOWED_ONLINE
    assert seeker.assignments.count() == 2
    assert seeker.assignments.filter(ended_at__isnull=True).get().reason == (
        AssignmentReason.FORMER_ADVISOR
    )
    kinds = list(seeker.timeline.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == [TimelineKind.REJOINED, TimelineKind.REFERENT_ASSIGNED]


def test_coming_back_to_a_full_former_advisor_gives_another(agency):
    former = AdvisorFactory(agency=agency, capacity=1)
    other = AdvisorFactory(agency=agency)
    seeker = SeekerFactory(agency=agency, followed=True, referent=former)
    services.seeker_return_to_agency(seeker=seeker)
    SeekerFactory(agency=agency, followed=True, referent=former)

    assert services.seeker_rejoin(seeker=seeker) == other


def test_a_seeker_who_left_mid_enrolment_resumes_where_they_were(agency, advisor):
    seeker = SeekerFactory(agency=agency, declared=True)
    services.seeker_return_to_agency(seeker=seeker)
    client = login(seeker.user)

    response = client.post(reverse("seekers:rejoin"))

    assert response["Location"] == reverse("seekers:enrol_accessibility")
    seeker.refresh_from_db()
    assert seeker.status == FollowUpStatus.ENROLLING
    assert seeker.referent is None


def test_rejoining_twice_is_refused_kindly(agency, advisor):
    seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)
    client = login(seeker.user)

    response = client.post(reverse("seekers:rejoin"), follow=True)

    assert "Vous êtes déjà suivi en ligne" in response.content.decode()
    assert seeker.assignments.count() == 1
