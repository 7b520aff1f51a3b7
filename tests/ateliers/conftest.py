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


# Browser fixtures (copied from tests/browser/conftest.py): Playwright driving Debian's
# Chromium with a fake webcam and microphone.
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAKE_MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
def playwright_instance(monkeypatch):
    """Per test, not per session: the sync API keeps an event loop running in the main thread,
    which the async tests of this directory (pytest-asyncio) could not run beside."""
    import os

    from tests.conftest import CHROMIUM, require_or_skip

    require_or_skip(os.path.exists(CHROMIUM), "Chromium")
    from playwright.sync_api import sync_playwright

    # The sync API runs an event loop in this thread; the ORM must be allowed beside it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser(playwright_instance):
    from tests.conftest import CHROMIUM

    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=BASE_ARGS + FAKE_MEDIA_ARGS
    )
    yield browser
    browser.close()
