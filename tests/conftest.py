"""Shared fixtures. Tests run on the real PostgreSQL and Redis; browser tests on Debian's
Chromium, skipped without it unless REQUIRE_SERVICES=1."""

import os
import shutil

import pytest
from django.test import Client

from tests.accounts.factories import AgencyFactory, UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def require_or_skip(available: bool, what: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's rate limits live in the cache: each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test builds its own channel layer: channels_redis binds its locks to the event loop
    that first used them, and every async test runs its own loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session", autouse=True)
def _collect_thread_connections(django_db_setup):
    """The websocket auth loads the session and the user on any thread of the event loop's
    default executor (accounts.sockets); those threads end with their test's loop, and the
    connection each held is closed only when collected. Collected before the test database is
    dropped, which fails while any session is open (whichever tests ran)."""
    yield
    import gc

    gc.collect()


@pytest.fixture
def agency(db):
    return AgencyFactory(name="Lille Grand-Sud", code="lille-grand-sud")


@pytest.fixture
def other_agency(db):
    return AgencyFactory(name="Roubaix", code="roubaix")


@pytest.fixture
def advisor(agency):
    return AdvisorFactory(agency=agency)


@pytest.fixture
def signing_advisor(agency):
    return AdvisorFactory(agency=agency, signs_lsf=True)


@pytest.fixture
def manager(agency):
    return UserFactory(manager=True, agency=agency)


@pytest.fixture
def seeker(agency):
    return SeekerFactory(agency=agency)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def make_client():
    return login
