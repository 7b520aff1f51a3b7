"""Settings of the daphne processes the fault tests start: the test settings on the throw-away
PostgreSQL and Redis of the test (DATABASE_URL, REDIS_URL), with one channel-layer prefix shared
by every process of a test."""

import os

from portal.settings.test import *  # noqa: F403

CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ["FAULTS_LAYER_PREFIX"]  # noqa: F405
# Seconds a request waits for a pooled connection while PostgreSQL is away: short, so that the
# person gets the "try again" page quickly instead of a hanging tab.
DATABASES["default"]["OPTIONS"]["pool"]["timeout"] = 3  # noqa: F405
