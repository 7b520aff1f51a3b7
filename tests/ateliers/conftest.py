"""Fixtures of the e-ateliers tests: a followed seeker with their referent, strangers, and a
private media root of its own per test."""

import pytest

from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def followed(agency, advisor):
    return SeekerFactory(agency=agency, followed=True, referent=advisor)


@pytest.fixture
def other_seeker(agency):
    other_advisor = AdvisorFactory(agency=agency)
    return SeekerFactory(agency=agency, followed=True, referent=other_advisor)


@pytest.fixture
def other_advisor(agency):
    return AdvisorFactory(agency=agency)
