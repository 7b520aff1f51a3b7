"""A guard in front of every websocket consumer (portal/asgi.py wraps the URL router with it).

It does for all routes what no single consumer should have to remember:
- a signed-in person's socket listens on their own group and on their session's group: logging
  out closes the session's sockets, changing the password or deactivating the account closes
  all of the person's sockets (code 4401), through a "session.revoked" event;
- a frame over PORTAL_WEBSOCKET_MAX_FRAME_BYTES closes the socket (1009, "message too big"),
  before any consumer reads it; daphne's own cap (--websocket-max-message-size, 1 MiB by
  default) stays behind it;
- JSON nested deeper than MAX_JSON_DEPTH is answered {"type": "error", "code": "too_deep"}
  and never reaches a consumer (json.loads would raise RecursionError there);
- frames beyond a token bucket (PORTAL_WEBSOCKET_RATE_BURST frames, refilled at
  PORTAL_WEBSOCKET_RATE_PER_SECOND) are dropped with {"type": "error", "code": "rate_limited"}.

The consumers keep their own, lower limits (an SDP, a chat message), answered with an error.
When the channel layer is away, sockets still work; only revocation is lost (and logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

REVOKED = "session.revoked"
CLOSE_REVOKED = 4401
CLOSE_TOO_BIG = 1009

DEFAULT_MAX_FRAME_BYTES = 128 * 1024
DEFAULT_RATE_BURST = 100
DEFAULT_RATE_PER_SECOND = 25
# No frame of the portal's protocols nests deeper than a few levels.
MAX_JSON_DEPTH = 32


def user_group(user_id: int) -> str:
    return f"sockets.user.{user_id}"


def session_group(session_key: str) -> str:
    # The key itself is a credential: only its digest goes to the channel layer.
    return "sockets.session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def _limits() -> tuple[int, int, float]:
    return (
        getattr(settings, "PORTAL_WEBSOCKET_MAX_FRAME_BYTES", DEFAULT_MAX_FRAME_BYTES),
        getattr(settings, "PORTAL_WEBSOCKET_RATE_BURST", DEFAULT_RATE_BURST),
        getattr(settings, "PORTAL_WEBSOCKET_RATE_PER_SECOND", DEFAULT_RATE_PER_SECOND),
    )


def _frame_bytes(message: dict) -> int:
    if message.get("bytes") is not None:
        return len(message["bytes"])
    text = message.get("text") or ""
    return len(text.encode("utf-8", "surrogatepass"))


def _too_deep(text: str, limit: int) -> bool:
    """Whether JSON text nests arrays or objects deeper than `limit` (strings skipped).

    json.loads raises RecursionError, not ValueError, on deep nesting: a consumer catching only
    ValueError dies on a 100 KB frame of "[". The exact scan runs only on bracket-heavy text.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class _Bucket:
    def __init__(self, burst: int, per_second: float):
        self.capacity = burst
        self.tokens = float(burst)
        self.per_second = per_second
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class SocketGuardMiddleware:
    """ASGI middleware; sits inside AuthMiddlewareStack (it reads scope["user"] and the
    session) and outside the URL router."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        return await _GuardedSocket(scope, receive, send).run(self.app)


class _GuardedSocket:
    """One socket. Client frames go straight to the consumer (no extra task, no reordering);
    the revocation listener starts only once the consumer accepts, so that a refused
    handshake never touches the channel layer."""

    def __init__(self, scope, receive, send):
        self.scope = scope
        self.client_receive = receive
        self.client_send = send
        self.closed = False
        self.max_bytes, burst, per_second = _limits()
        self.bucket = _Bucket(burst, per_second)
        self.layer = None
        self.channel = None
        self.groups: list[str] = []
        self.listener: asyncio.Task | None = None

    def _groups(self) -> list[str]:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return []
        groups = [user_group(user.pk)]
        session = self.scope.get("session")
        if session is not None and session.session_key:
            groups.append(session_group(session.session_key))
        return groups

    async def run(self, app):
        try:
            return await app(self.scope, self._receive, self._send)
        finally:
            await self._unsubscribe()

    async def _subscribe(self) -> None:
        groups = self._groups()
        layer = get_channel_layer()
        if not groups or layer is None:
            return
        try:
            # The default prefix: channels_redis has one receive loop per process, popping
            # one shared key per prefix; another prefix would starve the consumers' channels.
            channel = await layer.new_channel()
            for group in groups:
                await layer.group_add(group, channel)
        except Exception:  # noqa: BLE001 - the socket works without revocation
            logger.warning("sockets: cannot listen for revocation", exc_info=True)
            return
        self.layer, self.channel, self.groups = layer, channel, groups
        self.listener = asyncio.create_task(self._listen())

    async def _unsubscribe(self) -> None:
        # Never awaits the cancelled listener (that would swallow a shutdown's own
        # cancellation) and never waits long on the layer: daphne must exit within seconds.
        if self.listener is not None:
            self.listener.cancel()
            self.listener = None
        if self.channel is not None:
            channel, self.channel = self.channel, None
            for group in self.groups:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.layer.group_discard(group, channel), timeout=1)

    async def _send(self, message):
        if self.closed:
            return  # the guard closed the socket: the consumer's last words go nowhere
        if message["type"] == "websocket.accept":
            await self._subscribe()
        elif message["type"] == "websocket.close":
            self.closed = True
        await self.client_send(message)

    async def _error(self, code: str, detail: str) -> None:
        message = {"type": "error", "code": code, "detail": detail}
        await self.client_send({"type": "websocket.send", "text": json.dumps(message)})

    async def _close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            await self.client_send({"type": "websocket.close", "code": code})

    async def _receive(self):
        """Client -> consumer, with the size, rate and nesting checks in between."""
        while True:
            message = await self.client_receive()
            if message["type"] != "websocket.receive":
                return message
            if self.closed:
                continue
            if _frame_bytes(message) > self.max_bytes:
                await self._close(CLOSE_TOO_BIG)
                # The consumer cleans up now, as if the client had gone.
                return {"type": "websocket.disconnect", "code": CLOSE_TOO_BIG}
            if not self.bucket.take():
                await self._error("rate_limited", "Too many messages: slow down.")
                continue
            if message.get("text") and _too_deep(message["text"], MAX_JSON_DEPTH):
                await self._error("too_deep", "This frame nests too deep.")
                continue
            return message

    async def _listen(self):
        while True:
            try:
                event = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the layer is away: keep the socket, retry later
                logger.warning("sockets: revocation listener lost the layer", exc_info=True)
                await asyncio.sleep(1)
                continue
            if event.get("type") == REVOKED:
                # The server (daphne) then tells the consumer the socket is gone.
                await self._close(CLOSE_REVOKED)
                return


# Revocation, called from the signal handlers below --------------------------------------------


def revoke(*, user_id: int | None = None, session_key: str | None = None) -> None:
    """Closes the open sockets of a person (all of them) or of one session, after commit."""
    groups = []
    if user_id is not None:
        groups.append(user_group(user_id))
    if session_key:
        groups.append(session_group(session_key))

    def send_all():
        layer = get_channel_layer()
        if layer is None:
            return
        for group in groups:
            try:
                async_to_sync(layer.group_send)(group, {"type": REVOKED})
            except Exception:  # noqa: BLE001 - logging out must work with the layer away
                logger.warning("sockets: could not revoke %s", group, exc_info=True)

    def publish():
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            send_all()
        else:
            # Sync code under a running loop (Playwright's sync API with the ORM): async_to_sync
            # cannot run here, a thread of its own can.
            threading.Thread(target=send_all, name="sockets-revoke", daemon=True).start()

    transaction.on_commit(publish)


def on_logged_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        revoke(session_key=session.session_key)
    elif user is not None:
        revoke(user_id=user.pk)


def on_user_pre_save(sender, instance, update_fields=None, **kwargs):
    """Notes whether this save changes the password or deactivates the account."""
    instance._revoke_sockets = False
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._revoke_sockets = before["password"] != instance.password or (
        before["is_active"] and not instance.is_active
    )


def on_user_post_save(sender, instance, created, **kwargs):
    if getattr(instance, "_revoke_sockets", False):
        instance._revoke_sockets = False
        revoke(user_id=instance.pk)


def connect_signals(user_model) -> None:
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import post_save, pre_save

    user_logged_out.connect(on_logged_out, dispatch_uid="accounts.sockets.logged_out")
    pre_save.connect(on_user_pre_save, sender=user_model, dispatch_uid="accounts.sockets.pre")
    post_save.connect(on_user_post_save, sender=user_model, dispatch_uid="accounts.sockets.post")
