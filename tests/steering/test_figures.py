"""Managers' figures: computed in SQL, scoped to the agency, checked against hand counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from seekers import services
from seekers.models import AccessibilityNeed, AgeBand, TimelineEvent, TimelineKind
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def _table(response, key):
    return next(t for t in response.context["tables"] if t.key == key)


def test_figures_match_hand_counts_and_stay_in_the_agency(agency, other_agency, manager):
    first = AdvisorFactory(agency=agency, capacity=10)
    second = AdvisorFactory(agency=agency, capacity=20, signs_lsf=True)
    SeekerFactory.create_batch(
        3, agency=agency, followed=True, referent=first, age_band=AgeBand.UNDER_25
    )
    SeekerFactory(
        agency=agency, followed=True, referent=second, age_band=AgeBand.FROM_50, signing=True
    )
    leaving = SeekerFactory(agency=agency, followed=True, referent=first, age_band=AgeBand.FROM_50)
    services.seeker_return_to_agency(seeker=leaving, reason="equipment")
    quiet = SeekerFactory(agency=agency, followed=True, referent=first)
    services.seeker_return_to_agency(seeker=quiet)
    # Another agency's seekers never count.
    SeekerFactory.create_batch(
        4, agency=other_agency, followed=True, referent=AdvisorFactory(agency=other_agency)
    )

    response = login(manager).get(reverse("admin:steering_figures"))

    assert response.status_code == 200
    ages = dict(_table(response, "age_band").rows)
    assert ages["Moins de 25 ans"] == 3
    assert ages["50 ans et plus"] == 1
    needs = dict(_table(response, "accessibility").rows)
    assert needs["Sourd, je signe (langue des signes française, LSF)"] == 1
    assert needs["Aucun"] == 3
    loads = {row[0]: row[1:] for row in _table(response, "load").rows}
    assert loads[str(first.user)] == [3, 10, 30]
    assert loads[str(second.user)] == [1, 20, 5]
    assert len(loads) == 2
    returns = dict(_table(response, "returns").rows)
    assert returns["Mon équipement ou ma connexion ne le permet plus"] == 1
    assert returns["Non précisé"] == 1
    content = response.content.decode()
    assert "<svg" in content and "<table" in content and "<caption>" in content


def test_the_period_filter_counts_only_events_inside_it(agency, manager, advisor):
    seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)
    services.seeker_return_to_agency(seeker=seeker, reason="found_job")
    TimelineEvent.objects.filter(kind=TimelineKind.RETURNED_TO_AGENCY).update(
        occurred_at=timezone.now() - timedelta(days=200)
    )
    client = login(manager)

    recent = client.get(reverse("admin:steering_figures"))
    older = client.get(
        reverse("admin:steering_figures"),
        {
            "start": (timezone.localdate() - timedelta(days=365)).isoformat(),
            "end": timezone.localdate().isoformat(),
        },
    )
    reversed_period = client.get(
        reverse("admin:steering_figures"), {"start": "2026-02-01", "end": "2026-01-01"}
    )

    assert dict(_table(recent, "returns").rows)["J'ai trouvé un emploi ou une formation"] == 0
    assert dict(_table(older, "returns").rows)["J'ai trouvé un emploi ou une formation"] == 1
    assert "La période doit commencer avant de finir." in reversed_period.content.decode()


def test_each_table_exports_as_csv(agency, manager, advisor):
    SeekerFactory.create_batch(2, agency=agency, followed=True, referent=advisor)

    response = login(manager).get(reverse("admin:steering_figures"), {"export": "load"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Conseiller,Demandeurs,Capacité,Charge (%)"
    assert lines[1] == f"{advisor.user},2,180,1"
    assert (
        login(manager).get(reverse("admin:steering_figures"), {"export": "nope"}).status_code == 404
    )


def test_figures_query_count_does_not_grow_with_rows(agency, manager):
    client = login(manager)
    advisor = AdvisorFactory(agency=agency)
    SeekerFactory.create_batch(2, agency=agency, followed=True, referent=advisor)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin:steering_figures"))
    for _ in range(5):
        more = AdvisorFactory(agency=agency)
        SeekerFactory.create_batch(
            4,
            agency=agency,
            followed=True,
            referent=more,
            accessibility_need=AccessibilityNeed.OTHER,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("admin:steering_figures"))

    assert len(few) == len(many)


@pytest.mark.parametrize("role", ["advisor", "seeker", "anonymous"])
def test_only_managers_see_the_figures(agency, advisor, role, client):
    if role == "advisor":
        client = login(advisor.user)
    elif role == "seeker":
        client = login(SeekerFactory(agency=agency).user)

    response = client.get(reverse("admin:steering_figures"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
