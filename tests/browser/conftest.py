"""Playwright driving Debian's Chromium, with a fake webcam where a test asks for one."""

import os

import pytest
from django.db import connections

from tests.conftest import CHROMIUM, require_or_skip

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
    """Per test, never per session: the sync API keeps an event loop running in the main
    thread, beside which the suite's async tests (pytest-asyncio) could not run their own."""
    require_or_skip(os.path.exists(CHROMIUM), "Chromium")
    from playwright.sync_api import sync_playwright

    # The sync API runs an event loop in this thread; the ORM must be allowed beside it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        yield playwright
        # The ORM's connections opened beside Playwright's loop: close them, or the test
        # database cannot be flushed or dropped.
        connections.close_all()


@pytest.fixture
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=BASE_ARGS + FAKE_MEDIA_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
