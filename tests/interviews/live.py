"""A live portal for browser tests: daphne as a subprocess on the test database, so that the
websockets are real and no forked event loop is inherited (see SERVICES.md)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client

BASE_DIR = Path(settings.BASE_DIR)
APPLICATION_NAME = "interviews-daphne"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"daphne did not listen on {port}")


@contextlib.contextmanager
def daphne(extra_env: dict | None = None):
    """Yields the base URL of a daphne serving portal.asgi on the current test database."""
    port = free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        # libpq names the server's connections, so that teardown can wait for them to end.
        "PGAPPNAME": APPLICATION_NAME,
        "PYTHONPATH": str(BASE_DIR),
        **(extra_env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = tempfile.NamedTemporaryFile(prefix="daphne-interviews-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(
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
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    except BaseException:
        log.flush()
        print(Path(log.name).read_text(errors="replace")[-4000:])  # the server's side of it
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        wait_for_backends_gone()


def wait_for_backends_gone(timeout: float = 10) -> None:
    """PostgreSQL ends a dead client's backend a moment after the client: wait for it, so that
    the test database can be flushed or dropped."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = %s",
                [APPLICATION_NAME],
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


def until(page, expression: str, timeout: float = 10) -> None:
    """Waits until a JavaScript expression (awaited if it is a promise) is truthy.

    It polls with page.evaluate, which runs over the DevTools protocol: the portal's
    Content-Security-Policy (no 'unsafe-eval') blocks Playwright's wait_for_function, whose
    in-page predicate is built with eval."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def session_cookie(user, base_url: str) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}
