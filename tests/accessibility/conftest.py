"""Browser fixtures of the accessibility tests: Playwright's Chromium (tests/browser/conftest.py)
and a way to open the live server as a given person."""

from tests.browser.conftest import browser, page, playwright_instance  # noqa: F401
