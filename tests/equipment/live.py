"""A real daphne, as a subprocess on a free port, serving the test database: the browser and
shutdown tests need websockets and a process of their own (daphne forked in-process inherits
asgiref's executor and hangs, see docs/SERVICES.md)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Daphne:
    def __init__(self, process: subprocess.Popen, url: str, log: Path):
        self.process, self.url, self.log = process, url, log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self) -> float:
        """Sends SIGTERM and returns the seconds the process took to exit (inf if it did not
        within 15 s, after which it is killed)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            return float("inf")
        return time.monotonic() - started


@contextlib.contextmanager
def daphne(**extra_env):
    """Yields a daphne serving portal.asgi on the current test database."""
    settings = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}",
        "DB_POOL_MIN": "1",
        "PYTHONUNBUFFERED": "1",
        **{key: str(value) for key, value in extra_env.items()},
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = Path(tempfile.mkstemp(prefix="daphne-equipment-", suffix=".log")[1])
    with log.open("wb") as out:
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
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Daphne(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"daphne exited: {server.log_text()}")
            try:
                health = server.url + "/healthz"  # always http://127.0.0.1
                with urllib.request.urlopen(health, timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne did not start: {server.log_text()}") from None
                time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            server.terminate()
        log.unlink(missing_ok=True)
