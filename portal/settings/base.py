"""Settings shared by every environment. Values come from the environment; the defaults are the
embedded ones (SQLite under var/, in-memory channel layer, console mail) that `make run` serves."""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "channels",
    "csp",
    "django_htmx",
    "dsfr",
    "widget_tweaks",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "portal",
    "accounts",
    "agencies",
    "advisors",
    "seekers",
    "ateliers",
    "steering",
    "casefile",
    "privacy",
    "equipment",
    "chat",
    "interviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffIdleTimeoutMiddleware",
    "accounts.second_factor.StaffSecondFactorMiddleware",
    "portal.middleware.NoStoreForAuthenticatedMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool: daphne serves many short ORM calls from its thread pool.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 20),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # channels_redis's pub/sub layer: one PUBLISH per send, where RedisChannelLayer makes four
    # round trips, then a Lua script and a BZPOPMIN per receive (bench/channel_layer.py: send p50
    # 1.73x the raw Redis round trip, against 9.9x; bench/chat_load.py: 444 persisted chat
    # messages a second on one process, against 277). What it lacks: per-channel capacity and
    # expiry (it ignores those keys), so events for a slow socket queue in the process's memory,
    # and any sign that events were lost while Redis was away. Clients re-sync by seq, so a drop
    # is harmless but unbounded growth and an unnoticed loss are not: portal.layers subclasses it
    # to bound each channel to `capacity` events and to send a "layer.gap" event instead, upon
    # which the chat and workshop-room sockets close for their clients to reconnect and sync.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "portal.layers.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env_str("CHANNEL_PREFIX", "portal"),
                "capacity": env_int("CHANNEL_CAPACITY", 100),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:dispatch"

# django-allauth: the email is the login, verified before the first sign-in.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Suivi 100 % web] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env_str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", "http")
# Failed logins are throttled per address and per account; the answer never says which
# emails exist. Changing the email or the password asks for the password again.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Advisors and managers must use a second factor: an authenticator app (TOTP), with recovery
# codes (accounts.second_factor).
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Suivi 100 % web")
MFA_TOTP_TOLERANCE = 1  # one 30 s step either side, for clocks that drift
# Staff (advisors, managers) sessions end after 30 idle minutes (accounts.middleware).
PORTAL_STAFF_IDLE_SECONDS = env_int("PORTAL_STAFF_IDLE_SECONDS", 30 * 60)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded files are never served as static files: views check who may read them.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Suivi 100 % web <ne-pas-repondre@demo.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): no inline script anywhere, nothing framed, media and
# websockets from the portal only. JSON data blocks (json_script) are not scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The only views where the camera, microphone and screen sharing may be used.
PORTAL_MEDIA_VIEWS = {
    "equipment:check",
    "seekers:enrol_equipment",
    "interviews:call",
    "ateliers:simulation_question",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# --- The portal's own settings -------------------------------------------------------------
# Default caseload of a web advisor (Lille: 11 advisors for 1,500 to 2,000 seekers).
PORTAL_ADVISOR_DEFAULT_CAPACITY = env_int("PORTAL_ADVISOR_DEFAULT_CAPACITY", 180)
# Retention of advisors' private notes (days), purged by `manage.py purge_personal_data`.
PORTAL_RETENTION_NOTES_DAYS = env_int("PORTAL_RETENTION_NOTES_DAYS", 730)
PORTAL_RETENTION_MESSAGES_DAYS = env_int("PORTAL_RETENTION_MESSAGES_DAYS", 730)
PORTAL_RETENTION_EQUIPMENT_DAYS = env_int("PORTAL_RETENTION_EQUIPMENT_DAYS", 365)
# Public origin used in links sent by email from background tasks.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# --- Equipment check (issue 3) -------------------------------------------------------------
# See docs/equipment-check.md for what is measured and why each threshold.
# Checks one daphne process runs at once; beyond it the user is asked to retry after a wait.
EQUIPMENT_CHECK_MAX_CONCURRENT = env_int("EQUIPMENT_CHECK_MAX_CONCURRENT", 8)
# Hard bound on a check, from the offer to the verdict (the issue allows at most 20 s).
EQUIPMENT_CHECK_TIMEOUT_SECONDS = min(env_int("EQUIPMENT_CHECK_TIMEOUT_SECONDS", 15), 20)
# How long the video and audio are sampled once the first frame arrived.
EQUIPMENT_CHECK_SAMPLE_SECONDS = env_int("EQUIPMENT_CHECK_SAMPLE_SECONDS", 3)
# A track that brings no frame this long after the connection counts as sending nothing.
EQUIPMENT_CHECK_FIRST_FRAME_SECONDS = env_int("EQUIPMENT_CHECK_FIRST_FRAME_SECONDS", 6)
# Bytes sent each way over the data channel to estimate the usable bitrate.
EQUIPMENT_CHECK_PROBE_BYTES = env_int("EQUIPMENT_CHECK_PROBE_BYTES", 262144)
# Checks a user may start per window (rate limit), and the window.
EQUIPMENT_CHECK_RATE_LIMIT = env_int("EQUIPMENT_CHECK_RATE_LIMIT", 10)
EQUIPMENT_CHECK_RATE_WINDOW_SECONDS = env_int("EQUIPMENT_CHECK_RATE_WINDOW_SECONDS", 3600)
# Largest websocket message and SDP accepted (a browser offer is about 5 to 10 KiB).
EQUIPMENT_CHECK_MAX_MESSAGE_BYTES = env_int("EQUIPMENT_CHECK_MAX_MESSAGE_BYTES", 65536)
EQUIPMENT_CHECK_MAX_SDP_BYTES = env_int("EQUIPMENT_CHECK_MAX_SDP_BYTES", 32768)
# ICE servers for both peers (comma-separated stun:/turn: URLs); none is needed on loopback.
EQUIPMENT_CHECK_ICE_SERVERS = env_list("EQUIPMENT_CHECK_ICE_SERVERS", [])
EQUIPMENT_CHECK_TURN_USERNAME = env_str("EQUIPMENT_CHECK_TURN_USERNAME", "")
EQUIPMENT_CHECK_TURN_PASSWORD = env_str("EQUIPMENT_CHECK_TURN_PASSWORD", "")
# Server-side bound on STUN/TURN gathering, so that an unreachable server never stalls an answer.
EQUIPMENT_CHECK_GATHER_SECONDS = env_int("EQUIPMENT_CHECK_GATHER_SECONDS", 1)
# Thresholds of the verdict. "fail" below (or above, for rtt/loss) fails the check, "warn" gives
# a warning. Signing in LSF needs a smoother, sharper picture than speech, hence "lsf".
EQUIPMENT_CHECK_THRESHOLDS = {
    "standard": {
        "fps_fail": 4,
        "fps_warn": 12,
        "height_fail": 180,
        "height_warn": 360,
        "upload_kbps_fail": 800,
        "upload_kbps_warn": 1500,
        "download_kbps_fail": 800,
        "download_kbps_warn": 1500,
        "rtt_ms_fail": 1000,
        "rtt_ms_warn": 300,
        "loss_pct_fail": 10,
        "loss_pct_warn": 3,
        "audio_dbfs_silent": -60,
    },
    "lsf": {
        "fps_fail": 15,
        "fps_warn": 20,
        "height_fail": 360,
        "height_warn": 480,
        "upload_kbps_fail": 1200,
        "upload_kbps_warn": 2000,
        "download_kbps_fail": 1200,
        "download_kbps_warn": 2000,
        "rtt_ms_fail": 600,
        "rtt_ms_warn": 250,
        "loss_pct_fail": 5,
        "loss_pct_warn": 2,
        "audio_dbfs_silent": -60,
    },
}

# --- Chat (issue 4) ------------------------------------------------------------------------
# Longest message body, in characters.
CHAT_MAX_BODY_CHARS = env_int("CHAT_MAX_BODY_CHARS", 4000)
# Per-user rate limit on sent messages: at most N messages in a sliding window of S seconds.
CHAT_RATE_LIMIT_MESSAGES = env_int("CHAT_RATE_LIMIT_MESSAGES", 20)
CHAT_RATE_LIMIT_SECONDS = env_int("CHAT_RATE_LIMIT_SECONDS", 10)
# Most messages returned by one sync; the client asks again while has_more is true.
CHAT_SYNC_LIMIT = env_int("CHAT_SYNC_LIMIT", 500)
# A recipient with no open socket who leaves a message unread this long gets one email.
CHAT_UNREAD_EMAIL_DELAY_MINUTES = env_int("CHAT_UNREAD_EMAIL_DELAY_MINUTES", 15)
# A socket not heard from (pings every 25 s) for this long counts as closed.
CHAT_SOCKET_TTL_SECONDS = env_int("CHAT_SOCKET_TTL_SECONDS", 90)
# Largest shared file, in bytes.
CHAT_MAX_UPLOAD_BYTES = env_int("CHAT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
# redis-py 8 times socket reads out after 5 s by default, the very time channels_redis's core
# layer blocks in BZPOPMIN: every consumer idle for 5 s then died with "Timeout reading"
# (channels_redis#422, redis-py#4091). The layer's connections get a read timeout longer than
# that wait (the pub/sub layer reads its subscription in 0.1 s polls; the timeout bounds its
# other commands).
# redis-py 8's pool also holds at most 100 connections and raises MaxConnectionsError beyond:
# when more than 100 websockets reconnect at once (a daphne restart), every handshake's
# group_add failed and the clients' retries kept it so (bench/connections.py: 0 of 2,000 back).
if CHANNEL_LAYERS["default"]["BACKEND"] != "channels.layers.InMemoryChannelLayer":
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {
            "address": REDIS_URL,
            "socket_timeout": env_int("CHANNEL_REDIS_SOCKET_TIMEOUT", 15),
            "max_connections": env_int("CHANNEL_REDIS_MAX_CONNECTIONS", 2000),
            # No CLIENT SETINFO: redis-py 8 reads its version from the package metadata files
            # for every new connection (importlib.metadata), which was 70% of daphne's CPU while
            # it closed 2,000 sockets (bench/connections.py, py-spy).
            "driver_info": None,
        }
    ]

# --- Interviews (issue 5) ------------------------------------------------------------------
# Defaults live in interviews/conf.py; these read the environment.
# Length of one webcam interview slot, in minutes.
INTERVIEWS_SLOT_MINUTES = env_int("INTERVIEWS_SLOT_MINUTES", 45)
# How long before its start an interview may still be booked (minutes).
INTERVIEWS_BOOKING_NOTICE_MINUTES = env_int("INTERVIEWS_BOOKING_NOTICE_MINUTES", 60)
# How long before its start an interview may still be rescheduled or cancelled (hours).
INTERVIEWS_CHANGE_NOTICE_HOURS = env_int("INTERVIEWS_CHANGE_NOTICE_HOURS", 24)
# How far ahead seekers see free slots (days).
INTERVIEWS_BOOKING_HORIZON_DAYS = env_int("INTERVIEWS_BOOKING_HORIZON_DAYS", 28)
# The call window: the waiting room opens before the start, signalling closes after the end.
INTERVIEWS_OPENS_MINUTES_BEFORE = env_int("INTERVIEWS_OPENS_MINUTES_BEFORE", 15)
INTERVIEWS_CLOSES_MINUTES_AFTER = env_int("INTERVIEWS_CLOSES_MINUTES_AFTER", 30)
# Largest SDP the signalling server accepts before parsing it (bytes).
INTERVIEWS_SDP_MAX_BYTES = env_int("INTERVIEWS_SDP_MAX_BYTES", 32768)
# Seconds without decoded video before the call page offers the fallback ladder.
INTERVIEWS_MEDIA_TIMEOUT_SECONDS = env_int("INTERVIEWS_MEDIA_TIMEOUT_SECONDS", 15)
# ICE servers: STUN URLs, TURN URLs (credentials minted per participant and per call from the
# shared secret of coturn's use-auth-secret, valid at most one hour), and a relay-only switch
# that hides the participants' addresses from each other.
INTERVIEWS_STUN_URLS = env_list("INTERVIEWS_STUN_URLS", [])
INTERVIEWS_TURN_URLS = env_list("INTERVIEWS_TURN_URLS", [])
INTERVIEWS_TURN_SECRET = env_str("INTERVIEWS_TURN_SECRET", "")
INTERVIEWS_TURN_TTL_SECONDS = min(env_int("INTERVIEWS_TURN_TTL_SECONDS", 3600), 3600)
INTERVIEWS_RELAY_ONLY = env_bool("INTERVIEWS_RELAY_ONLY", False)

# --- E-ateliers (issue 7) ------------------------------------------------------------------
# Largest CV a seeker may upload (bytes); the issue says 10 MB.
ATELIERS_CV_MAX_BYTES = env_int("ATELIERS_CV_MAX_BYTES", 10 * 1024 * 1024)
# Days a simulation recording is kept before the purge task deletes it.
ATELIERS_RECORDING_RETENTION_DAYS = env_int("ATELIERS_RECORDING_RETENTION_DAYS", 90)
# Hours before a live session its reminder email goes out.
ATELIERS_REMINDER_HOURS_BEFORE = env_int("ATELIERS_REMINDER_HOURS_BEFORE", 24)
# The session room opens this many minutes before the start and closes this many after the end.
ATELIERS_ROOM_OPENS_MINUTES_BEFORE = env_int("ATELIERS_ROOM_OPENS_MINUTES_BEFORE", 30)
ATELIERS_ROOM_CLOSES_MINUTES_AFTER = env_int("ATELIERS_ROOM_CLOSES_MINUTES_AFTER", 60)
# Longest room message, in characters.
ATELIERS_ROOM_MAX_BODY_CHARS = env_int("ATELIERS_ROOM_MAX_BODY_CHARS", 2000)
# Recordings one server process runs at once; beyond it the seeker is asked to retry (each
# 640x480 take costs a fraction of a core: see bench/ateliers_recording.py and docs/ateliers.md).
ATELIERS_MAX_RECORDINGS = env_int("ATELIERS_MAX_RECORDINGS", 4)
# ICE servers of the recording peer and the browser (comma-separated stun:/turn: URLs); none on
# loopback. Behind NAT a TURN server is needed: see docs/ateliers.md.
ATELIERS_ICE_SERVERS = env_list("ATELIERS_ICE_SERVERS", [])
