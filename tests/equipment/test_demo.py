"""The demo seed of the equipment app: passed and failed checks, and idempotent."""

import io

import pytest

from equipment import demo
from equipment.models import EquipmentCheck, Profile, Verdict
from seekers.models import TimelineKind
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_seed_shows_passed_and_failed_checks_and_runs_twice_without_adding(advisor):
    seekers = SeekerFactory.create_batch(12, agency=advisor.agency, followed=True, referent=advisor)
    signing = SeekerFactory(agency=advisor.agency, followed=True, referent=advisor, signing=True)

    demo.seed(agency=advisor.agency, advisors=[advisor], stdout=io.StringIO())
    count = EquipmentCheck.objects.count()
    demo.seed(agency=advisor.agency, advisors=[advisor], stdout=io.StringIO())

    assert EquipmentCheck.objects.count() == count == 13 + 2
    assert EquipmentCheck.objects.filter(verdict=Verdict.FAILED).count() == 2
    assert (
        EquipmentCheck.objects.filter(verdict__in=[Verdict.PASSED, Verdict.WARNINGS]).count() == 13
    )
    assert EquipmentCheck.objects.get(user=signing.user).profile == Profile.LSF
    assert seekers[0].timeline.filter(kind=TimelineKind.EQUIPMENT_CHECK).exists()
