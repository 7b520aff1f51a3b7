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


@pytest.fixture(scope="session", autouse=True)
def close_pools_at_end(django_db_setup, django_db_blocker):
    """Consumers and the recorder use the ORM from worker threads; their pooled connections
    must be closed before pytest-django drops the test database."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all():
            close_pool = getattr(conn, "close_pool", None)
            if close_pool is not None:
                close_pool()
            conn.close()
