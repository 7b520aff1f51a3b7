"""Settings of the daphne processes that chat tests start: the test settings, on the test
database that the test run created, with one channel-layer prefix shared by every process of a
test (portal.settings.test gives each process its own, which would keep them deaf to each other)."""

import os

from portal.settings.test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["CHAT_TEST_DB_NAME"]  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ["CHAT_LAYER_PREFIX"]  # noqa: F405
