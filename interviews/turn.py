"""ICE servers for a call, with ephemeral TURN credentials.

The TURN REST scheme that coturn's `use-auth-secret` checks: the username is
"<expiry unix time>:<user>", the password base64(HMAC-SHA1(shared secret, username)). coturn
refuses the credential once the expiry has passed, so a leaked one is worth at most an hour.
Credentials are minted per participant and per call (the user part names both).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from .conf import app_settings

MAX_TTL_SECONDS = 3600


def turn_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def turn_credentials(
    *, user_id: int, appointment_id: int, secret: str, ttl: int, now: float | None = None
) -> dict:
    ttl = max(1, min(int(ttl), MAX_TTL_SECONDS))
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:interview{appointment_id}-user{user_id}"
    return {"username": username, "credential": turn_password(secret, username), "expiry": expiry}


def ice_transport_policy() -> str:
    return "relay" if app_settings.INTERVIEWS_RELAY_ONLY else "all"


def ice_servers(*, user_id: int, appointment_id: int, now: float | None = None) -> list[dict]:
    """The RTCPeerConnection `iceServers` for one participant of one call."""
    servers: list[dict] = []
    if app_settings.INTERVIEWS_STUN_URLS and not app_settings.INTERVIEWS_RELAY_ONLY:
        servers.append({"urls": list(app_settings.INTERVIEWS_STUN_URLS)})
    if app_settings.INTERVIEWS_TURN_URLS and app_settings.INTERVIEWS_TURN_SECRET:
        credentials = turn_credentials(
            user_id=user_id,
            appointment_id=appointment_id,
            secret=app_settings.INTERVIEWS_TURN_SECRET,
            ttl=app_settings.INTERVIEWS_TURN_TTL_SECONDS,
            now=now,
        )
        servers.append(
            {
                "urls": list(app_settings.INTERVIEWS_TURN_URLS),
                "username": credentials["username"],
                "credential": credentials["credential"],
            }
        )
    return servers
