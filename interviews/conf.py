"""The interviews app's settings, read when used (never at import time), with the defaults that
apply when portal/settings does not set them."""

from django.conf import settings

DEFAULTS = {
    "INTERVIEWS_SLOT_MINUTES": 45,
    "INTERVIEWS_BOOKING_NOTICE_MINUTES": 60,
    "INTERVIEWS_CHANGE_NOTICE_HOURS": 24,
    "INTERVIEWS_BOOKING_HORIZON_DAYS": 28,
    "INTERVIEWS_OPENS_MINUTES_BEFORE": 15,
    "INTERVIEWS_CLOSES_MINUTES_AFTER": 30,
    "INTERVIEWS_SDP_MAX_BYTES": 32768,
    "INTERVIEWS_MEDIA_TIMEOUT_SECONDS": 15,
    "INTERVIEWS_STUN_URLS": [],
    "INTERVIEWS_TURN_URLS": [],
    "INTERVIEWS_TURN_SECRET": "",
    "INTERVIEWS_TURN_TTL_SECONDS": 3600,
    "INTERVIEWS_RELAY_ONLY": False,
}


class _AppSettings:
    def __getattr__(self, name):
        if name.startswith("INTERVIEWS_"):
            return getattr(settings, name, DEFAULTS[name])
        return getattr(settings, name)


app_settings = _AppSettings()
