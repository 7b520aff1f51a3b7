"""Runs a script on `make run`'s embedded default (SQLite, in-memory channel layer, mail on the
console) in a process of its own: the test process itself is set up on PostgreSQL."""

import subprocess
import sys

from django.conf import settings

# What the scripts start with: Django set up, the database migrated, one agency with one advisor.
AGENCY_WITH_ADVISOR = """
import datetime as dt
import uuid
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import Role, User
from advisors.models import Advisor
from agencies.models import Agency, Region
from seekers.models import FollowUpStatus, Seeker
region = Region.objects.create(name="R")
agency = Agency.objects.create(name="A", code="a", region=region)
advisor = Advisor.objects.create(
    user=User.objects.create_user("c@x.test", role=Role.ADVISOR), agency=agency
)
"""


def run_embedded(script: str, folder, timeout: int = 120) -> str:
    """Runs `script` with the dev settings on a fresh SQLite database in `folder`; returns its
    standard output, failing the test with the end of its error output if it fails."""
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DATABASE_URL": f"sqlite:///{folder / 'embedded.sqlite3'}",
        "VAR_DIR": str(folder),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
