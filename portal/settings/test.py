"""Tests run against the real PostgreSQL and Redis (DATABASE_URL / REDIS_URL default to the local
servers); TEST_DB_NAME lets two test runs share one server without clashing."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from .base import *  # noqa: E402, F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DB_NAME", "test_portal")}  # noqa: F405
# Concurrency tests run 50 threads at once, each holding a connection for its transaction; a
# loaded machine must make them wait, not fail after the production pool's 10 s.
DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 60, "timeout": 60}  # noqa: F405
# Tests check the hash round trip, not its cost.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CHANNEL_LAYERS["default"].setdefault("CONFIG", {})  # noqa: F405
if CHANNEL_LAYERS["default"]["BACKEND"] != "channels.layers.InMemoryChannelLayer":  # noqa: F405
    # Each test run gets its own key space so that parallel runs never hear each other.
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"test{os.getpid()}"  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private" / str(os.getpid())  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
