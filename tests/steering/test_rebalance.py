"""Rebalancing: previewed, honouring capacity and the sign-language rule, on every timeline."""

import pytest
from django.urls import reverse

from seekers.models import AssignmentReason, TimelineKind
from steering import services
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_the_preview_writes_nothing_and_the_apply_moves_and_records(agency, manager):
    overloaded = AdvisorFactory(agency=agency, capacity=5)
    roomy = AdvisorFactory(agency=agency, capacity=10)
    seekers = SeekerFactory.create_batch(6, agency=agency, followed=True, referent=overloaded)
    client = login(manager)

    preview = client.get(reverse("admin:steering_rebalance"), {"source": overloaded.pk, "count": 2})

    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert len(plan) == 2 and {m.advisor_id for m in plan} == {roomy.pk}
    assert overloaded.caseload.count() == 6

    response = client.post(
        reverse("admin:steering_rebalance"),
        {
            "source": overloaded.pk,
            "count": 2,
            "apply": "1",
            "move": [f"{m.seeker_id}:{m.advisor_id}" for m in plan],
        },
    )

    assert response.status_code == 302
    assert overloaded.caseload.count() == 4
    assert roomy.caseload.count() == 2
    moved = [s for s in seekers if s.pk in {m.seeker_id for m in plan}]
    for seeker in moved:
        event = seeker.timeline.get(kind=TimelineKind.REFERENT_CHANGED)
        assert event.actor == manager and event.advisor == roomy
        assert seeker.assignments.get(ended_at__isnull=True).reason == AssignmentReason.REBALANCING


def test_signing_seekers_only_move_to_signing_advisors(agency):
    source = AdvisorFactory(agency=agency, signs_lsf=True)
    speaking = AdvisorFactory(agency=agency)
    signing = AdvisorFactory(agency=agency, signs_lsf=True)
    deaf = SeekerFactory(agency=agency, followed=True, referent=source, signing=True)
    hearing = SeekerFactory(agency=agency, followed=True, referent=source)

    plan = services.rebalance_plan(source=source, count=2)

    targets = {m.seeker_id: m.advisor_id for m in plan}
    assert targets[deaf.pk] == signing.pk
    assert targets[hearing.pk] in {speaking.pk, signing.pk}


def test_a_signing_seeker_with_no_signing_colleague_stays(agency):
    source = AdvisorFactory(agency=agency, signs_lsf=True)
    AdvisorFactory(agency=agency)
    SeekerFactory(agency=agency, followed=True, referent=source, signing=True)

    assert services.rebalance_plan(source=source, count=1) == []


def test_a_stale_plan_is_refused_whole(agency, manager):
    source = AdvisorFactory(agency=agency)
    target = AdvisorFactory(agency=agency, capacity=1)
    first, second = SeekerFactory.create_batch(2, agency=agency, followed=True, referent=source)

    with pytest.raises(services.RebalanceError):
        services.rebalance_apply(
            source=source, moves=[(first.pk, target.pk), (second.pk, target.pk)], by=manager
        )

    assert source.caseload.count() == 2
    assert target.caseload.count() == 0


def test_a_manager_cannot_rebalance_another_agency(agency, other_agency, manager):
    foreign = AdvisorFactory(agency=other_agency)

    response = login(manager).get(
        reverse("admin:steering_rebalance"), {"source": foreign.pk, "count": 1}
    )

    assert response.status_code == 200
    assert "source" in response.context["form"].errors
    assert response.context["plan"] == []
