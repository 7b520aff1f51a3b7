"""Running axe-core in Chromium on the portal's pages, as a given person."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

BLOCKING = {"serious", "critical"}
AXE = Axe()


def context_for(browser, live_server, user=None):
    """A browser context with `user`'s session (anonymous when None), French first."""
    context = browser.new_context(locale="fr-FR")
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )
    return context


def violations(page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now, one line each."""
    results = AXE.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"][:5]:
            lines.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} "
                f"at {node['target']} {node['html'][:160]}"
            )
    return lines


def audit(page, base_url: str, paths: list[str], *, ok_statuses=(200,)) -> list[str]:
    """Opens each path and returns every problem: a status that is not ok, or a violation."""
    problems = []
    for path in paths:
        try:
            response = page.goto(base_url + path, wait_until="load")
        except PlaywrightError as error:  # Chromium refuses to show some error answers
            problems.append(f"{path}: {error.message.splitlines()[0]}")
            continue
        status = response.status if response is not None else None
        if status not in ok_statuses:
            problems.append(f"{path}: status {status}")
            continue
        problems.extend(f"{path}: {line}" for line in violations(page))
    return problems
