"""Production: refuses to start without its secrets and a PostgreSQL database."""

from django.core.exceptions import ImproperlyConfigured

from .env import require

require(["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"])

from .base import *  # noqa: E402, F403

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":  # noqa: F405
    raise ImproperlyConfigured(
        "DATABASE_URL must point to PostgreSQL (postgres://...) in production."
    )
if not REDIS_URL:  # noqa: F405
    raise ImproperlyConfigured(
        "Missing required environment variable: REDIS_URL (the channel layer of several processes)."
    )

DEBUG = False
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)  # noqa: F405
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Behind the reverse proxy, the client's address (for login throttling) is the last hop that
# the proxy adds to X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)  # noqa: F405
# One cache for every replica, so that login throttling counts across processes.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,  # noqa: F405
        "KEY_PREFIX": "portal-cache",
    }
}
