"""Real daphne processes for the chat's multi-process and browser tests."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not answer {url}: {log.read_text()[-2000:]}")


@contextmanager
def daphne_servers(count: int, *, extra_env: dict | None = None, logs_out: list | None = None):
    """Starts `count` daphne processes on the test database and one channel-layer prefix;
    yields their base URLs and stops them (SIGTERM, then SIGKILL) whatever happens. With
    `logs_out`, what the processes logged is appended to it once they have stopped."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.chat.daphne_settings",
        "CHAT_TEST_DB_NAME": connection.settings_dict["NAME"],
        "CHAT_LAYER_PREFIX": f"chattest{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    processes, urls, logs, handles = [], [], [], []
    try:
        for _ in range(count):
            port = free_port()
            log = Path(tempfile.mkstemp(prefix="chat-daphne-", suffix=".log")[1])
            logs.append(log)
            handle = log.open("wb")
            handles.append(handle)
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
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
        for url, process, log in zip(urls, processes, logs, strict=True):
            _wait_ready(url + "/healthz", process, log)
        try:
            yield urls
        except BaseException:
            for log in logs:
                sys.stderr.write(f"--- {log}\n{log.read_text()[-4000:]}\n")
            raise
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for handle in handles:
            handle.close()
        for log in logs:
            if logs_out is not None and log.exists():
                logs_out.append(log.read_text(errors="replace"))
            log.unlink(missing_ok=True)
