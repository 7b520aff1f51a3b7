"""Settings of the daphne processes that bench/chat_load.py starts: production-like (DEBUG off,
PostgreSQL pool, tasks in the database, Redis channel layer), the layer class chosen by
CHAT_BENCH_LAYER (portal, the one the portal ships | core | pubsub, channels_redis's own two), the
per-user rate limit lifted for the load."""

import os

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from portal.settings.base import *  # noqa: E402, F403

DEBUG = False
SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LAYERS = {
    "portal": "portal.layers.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
_LAYER = os.environ.get("CHAT_BENCH_LAYER", "portal")
_PORTAL_CONFIG = CHANNEL_LAYERS["default"]["CONFIG"]  # noqa: F405
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": LAYERS[_LAYER],
        "CONFIG": {
            # The portal's host settings (read timeout, pool size), on the bench's Redis.
            "hosts": [{**_PORTAL_CONFIG["hosts"][0], "socket_timeout": 15}],
            "prefix": os.environ.get("CHAT_BENCH_PREFIX", "benchchat"),
            # The portal's per-channel capacity, where the class takes one.
            **({"capacity": _PORTAL_CONFIG["capacity"]} if _LAYER == "portal" else {}),
        },
    }
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CHAT_RATE_LIMIT_MESSAGES = 10**9
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
