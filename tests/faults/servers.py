"""Throw-away PostgreSQL, Redis and daphne processes for the fault tests. They listen on free
loopback ports and live in temporary directories: stopping them never touches the shared
servers that other test runs and CI use."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from tests.chat.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
# The checkout daphne serves; another one (a clean worktree) can be named while debugging.
PORTAL_ROOT = Path(os.environ.get("FAULTS_PORTAL_ROOT", str(ROOT)))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def available() -> bool:
    return (PG_BIN / "initdb").exists() and shutil.which("redis-server") is not None


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="faults-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(self.ping, 10):
            raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        if AS_POSTGRES:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def _run(self, *args) -> None:
        subprocess.run(
            [*AS_POSTGRES, *map(str, args)], check=True, capture_output=True, cwd=self.dir
        )

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -h 127.0.0.1 -c fsync=off"
        self._run(PG_BIN / "pg_ctl", action, "-D", self.data, "-l", self.log, "-o", options,
                  "-w", *extra)  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def create_database(self) -> None:
        self._run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres",
                  "portal")  # fmt: skip

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Portal:
    """daphne processes of the portal on the servers above, and what they need to start."""

    def __init__(self, database: PostgresServer, redis: RedisServer):
        self.database = database
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
            "DATABASE_URL": database.url,
            "REDIS_URL": redis.url,
            "FAULTS_LAYER_PREFIX": f"faults{uuid.uuid4().hex[:8]}",
            "PYTHONPATH": str(PORTAL_ROOT),
            "DJANGO_ALLOW_ASYNC_UNSAFE": "",
            "LOG_LEVEL": "WARNING",
        }
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PORTAL_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)}: {result.stderr[-3000:]}")
        return result.stdout

    def seed(self) -> dict:
        """Creates an agency, a signing advisor, a followed seeker, their conversation and a
        session for each; returns the ids and session keys."""
        out = subprocess.run(
            [sys.executable, "-m", "tests.faults.seed"],
            cwd=PORTAL_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])

    def start(self, port: int | None = None) -> str:
        port = port or free_port()
        log = Path(tempfile.mkstemp(prefix="faults-daphne-", suffix=".log")[1])
        handle = log.open("wb")
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
            ],  # fmt: skip
            cwd=PORTAL_ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        self.processes.append(process)
        self.logs.append(log)
        url = f"http://127.0.0.1:{port}"
        if not wait_until(lambda: _answers(url + "/healthz") or process.poll() is not None, 30):
            raise RuntimeError(f"daphne did not start: {log.read_text()[-3000:]}")
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited: {log.read_text()[-3000:]}")
        return url

    def terminate(self, index: int = -1) -> float:
        """Sends SIGTERM to a daphne process and returns how long it took to exit (seconds),
        or raises after 10 s (and kills it)."""
        process = self.processes[index]
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("daphne did not exit within 10 s of SIGTERM") from None
        return time.monotonic() - started

    def psql(self, sql: str) -> str:
        result = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.database.port),
                "-U",
                "postgres",
                "-d",
                "portal",
                "-At",
                "-c",
                sql,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def log_text(self) -> str:
        return "\n".join(f"--- {log}\n{log.read_text()[-4000:]}" for log in self.logs)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in self.logs:
            log.unlink(missing_ok=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False
