"""Deployment settings and response headers (issue 9, part 1)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_reports_nothing_with_production_settings():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal",
        ALLOWED_HOSTS="suivi.example.fr",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_values():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal",
        ALLOWED_HOSTS="suivi.example.fr",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_SAMESITE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    hsts, session_secure, http_only, same_site, csrf_secure, csrf_same_site = result.stdout.split()
    assert int(hsts) >= 31536000
    assert (session_secure, http_only, csrf_secure) == ("True", "True", "True")
    assert same_site == csrf_same_site == "Lax"


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_SSL_REDIRECT=False)
def test_every_response_carries_the_security_headers(client, seeker):
    for response in (
        client.get("/", secure=True),
        login(seeker.user).get(reverse("seekers:home"), secure=True),
    ):
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "camera=()" in response["Permissions-Policy"]
        assert "microphone=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_camera_and_microphone_only_where_needed(agency, advisor):
    from tests.seekers.factories import SeekerFactory

    enrolling = SeekerFactory(agency=agency, awaiting_check=True)
    client = login(enrolling.user)

    check = client.get(reverse("seekers:enrol_equipment"))
    home = client.get(reverse("seekers:home"))

    assert "camera=(self)" in check["Permissions-Policy"]
    assert "microphone=(self)" in check["Permissions-Policy"]
    assert "camera=()" in home["Permissions-Policy"]


def test_media_views_exist():
    from django.conf import settings
    from django.urls import get_resolver

    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    assert names >= settings.PORTAL_MEDIA_VIEWS


def test_no_template_holds_an_inline_script_or_handler():
    import re

    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script(?P<attrs>[^>]*)>", text):
            attrs = match.group("attrs")
            if "src=" not in attrs and "application/json" not in attrs:
                offenders.append(f"{path}: {match.group(0)}")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path}: inline event handler")
        if "javascript:" in text:
            offenders.append(f"{path}: javascript: URL")
    assert offenders == []


def test_no_template_holds_an_inline_style():
    import re

    offenders = [
        str(path)
        for path in (ROOT / "templates").rglob("*.html")
        if re.search(r"\sstyle\s*=\s*[\"']", path.read_text()) or "<style" in path.read_text()
    ]
    assert offenders == []
