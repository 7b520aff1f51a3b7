"""Deployment files and settings: compose file, production refusals, health checks."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_declares_the_services_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    services = compose["services"]
    for name in ("postgres", "redis", "web", "worker", "coturn"):
        assert name in services, name
        assert "test" in services[name]["healthcheck"], name
    assert services["web"]["command"][0] == "daphne"
    assert services["web"]["healthcheck"]["test"][-1].endswith("/readyz")
    assert services["worker"]["command"][-1] == "db_worker"
    assert "--use-auth-secret" in services["coturn"]["command"]
    assert services["web"]["environment"]["DJANGO_SETTINGS_MODULE"] == (
        "portal.settings.production"
    )
    assert (ROOT / "Dockerfile").read_text().count("portal.asgi:application") == 1


def test_env_example_lists_every_variable_the_settings_read():
    import re

    names = set()
    for path in (ROOT / "portal" / "settings").glob("*.py"):
        names |= set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', path.read_text()))
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert names - listed == set()


def _production_env(**overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.production"
    env.update(overrides)
    return env


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({}, "SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS"),
        (
            {"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.fr"},
            "DATABASE_URL",
        ),
        (
            {
                "SECRET_KEY": "x" * 50,
                "ALLOWED_HOSTS": "example.fr",
                "DATABASE_URL": "sqlite:////tmp/x.sqlite3",
            },
            "DATABASE_URL must point to PostgreSQL",
        ),
        (
            {
                "SECRET_KEY": "x" * 50,
                "ALLOWED_HOSTS": "example.fr",
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
            },
            "REDIS_URL",
        ),
    ],
)
def test_production_refuses_to_start_naming_what_is_missing(overrides, named):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_production_env(**overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert named in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_settings_start_daphne_and_answer_healthz(tmp_path):
    """The embedded default (SQLite, in-memory layer) serves /healthz and /readyz."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.dev", VAR_DIR=str(tmp_path))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "portal.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = (r.status, r.read())
                    break
            except OSError:
                time.sleep(0.2)
        assert body == (200, b'{"status": "ok"}')
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            assert r.status == 200
            assert b'"database": "ok"' in r.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert "Être suivi 100 % en ligne" in r.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert (tmp_path / "portal.sqlite3").exists()


@pytest.mark.django_db
def test_healthz_and_readyz_on_the_real_services(client):
    health = client.get("/healthz")
    ready = client.get("/readyz")

    assert health.status_code == 200
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok"},
    }
    assert "no-cache" in ready["Cache-Control"] or "max-age=0" in ready["Cache-Control"]


@pytest.mark.django_db
def test_readyz_names_the_channel_layer_when_redis_does_not_answer(client, settings):
    from channels.layers import channel_layers

    # The configured layer class, on a port where nothing listens.
    unreachable = {
        "default": {
            "BACKEND": settings.CHANNEL_LAYERS["default"]["BACKEND"],
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=unreachable):
        channel_layers.backends.clear()
        try:
            response = client.get("/readyz")
        finally:
            channel_layers.backends.clear()

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["channel_layer"].startswith("error")


async def test_the_readyz_round_trip_gives_its_channel_back(settings):
    """Under daphne the check runs on the server's loop, whose layer lives as long as the
    process: the pub/sub layer keeps a channel and its Redis subscription until a receive on it
    is cancelled, so each check left one behind."""
    from redis import asyncio as aioredis

    from portal.views import _round_trip_channel_layer

    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    admin = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        for _ in range(3):
            await _round_trip_channel_layer()
        assert await admin.pubsub_channels(f"{prefix}specific.*") == []
    finally:
        await admin.aclose()


@pytest.mark.django_db
def test_authenticated_pages_are_never_stored(seeker, client):
    from tests.conftest import login

    anonymous = client.get("/")
    personal = login(seeker.user).get("/espace/demandeur/")

    assert "no-store" not in anonymous.get("Cache-Control", "")
    assert "no-store" in personal["Cache-Control"]
    assert "private" in personal["Cache-Control"]
