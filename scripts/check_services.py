"""Says whether PostgreSQL, Redis and Chromium answer, and how to start the ones that do not.

PostgreSQL and Redis are needed by every test run; Chromium only by the browser tests, which
skip without it unless REQUIRE_SERVICES=1 (as in CI)."""

import os
import shutil
import socket
import sys
from urllib.parse import urlparse

HOW = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' "
    "--appendonly no",
    "Chromium": "apt-get update && apt-get install -y --no-install-recommends chromium",
}


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def main() -> int:
    database = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    required = os.environ.get("REQUIRE_SERVICES") == "1"
    missing = []
    if not reachable(database, 5432):
        missing.append(("PostgreSQL", database, True))
    if not reachable(redis, 6379):
        missing.append(("Redis", redis, True))
    if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
        missing.append(("Chromium", "/usr/bin/chromium", required))
    fatal = False
    for name, where, is_fatal in missing:
        level = "ERROR" if is_fatal else "NOTE"
        print(f"{level}: {name} cannot be reached ({where}). Start it with:\n    {HOW[name]}")
        if name == "Chromium" and not is_fatal:
            print("      (browser tests will be skipped; REQUIRE_SERVICES=1 makes them fail)")
        fatal = fatal or is_fatal
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
