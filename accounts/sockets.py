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

Revocation costs one channel and one listening task per process, not per socket: the sockets of
a process register the groups they listen on with the process's `_Revocations`, which joins each
group once with its own channel and closes the registered sockets when an event names the group.

Two more pieces, for a server restart where every client reconnects at once (bench/connections.py):
`SocketAuthMiddleware` loads the session and the user in the thread pool (channels' own runs
every handshake of the process through one thread), and `HandshakeGate` admits a bounded number of
handshakes at a time and refuses the rest quickly (the clients back off and come back), where
daphne would otherwise drop them all at its 5 s connect timeout while their work still runs.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import logging
import threading
import time
import weakref

from asgiref.sync import async_to_sync
from channels.auth import AuthMiddleware, get_user
from channels.layers import get_channel_layer
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.db import transaction

from portal.db import pooled_sync_to_async

logger = logging.getLogger(__name__)

REVOKED = "session.revoked"
STOP = "sockets.stop"
CLOSE_REVOKED = 4401
CLOSE_TOO_BIG = 1009

DEFAULT_MAX_FRAME_BYTES = 128 * 1024
DEFAULT_RATE_BURST = 100
DEFAULT_RATE_PER_SECOND = 25
# Handshakes of one process in progress at once, and how long one more waits for its turn before
# it is refused (daphne drops a handshake not answered within 5 s: --websocket_connect_timeout).
DEFAULT_HANDSHAKES = 32
DEFAULT_HANDSHAKE_WAIT_SECONDS = 3.0
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


def _handshake_limits() -> tuple[int, float]:
    return (
        getattr(settings, "PORTAL_WEBSOCKET_HANDSHAKES", DEFAULT_HANDSHAKES),
        getattr(
            settings, "PORTAL_WEBSOCKET_HANDSHAKE_WAIT_SECONDS", DEFAULT_HANDSHAKE_WAIT_SECONDS
        ),
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


# The session and the user, in the thread pool ------------------------------------------------


# channels' get_user, run on any thread of the pool: it only reads the session and the user
# (their rows), which needs no thread of its own. channels runs it thread-sensitive, so that every
# handshake of the process waits its turn on one thread (two queries each).
_load_user = pooled_sync_to_async(get_user.func)


class SocketAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope):
        scope["user"]._wrapped = await _load_user(scope)


def SocketAuthMiddlewareStack(inner):  # noqa: N802 - named like channels' AuthMiddlewareStack
    return CookieMiddleware(SessionMiddleware(SocketAuthMiddleware(inner)))


# At most so many handshakes at a time -----------------------------------------------------------


class _Slots:
    """A counting semaphore with a first-come queue, for one event loop."""

    def __init__(self, limit: int):
        self.free = limit
        self.waiters: collections.deque[asyncio.Future] = collections.deque()

    async def acquire(self, wait: float) -> bool:
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return True
        turn = asyncio.get_running_loop().create_future()
        self.waiters.append(turn)
        try:
            async with asyncio.timeout(wait):
                await turn
            return True
        except TimeoutError:
            # The slot may have been handed over just as the wait ended: keep it then.
            return turn.done() and not turn.cancelled()
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()
            raise
        finally:
            with contextlib.suppress(ValueError):
                self.waiters.remove(turn)

    def release(self) -> None:
        while self.waiters:
            turn = self.waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1


class HandshakeGate:
    """ASGI middleware, outside the session and user loads: at most PORTAL_WEBSOCKET_HANDSHAKES
    handshakes of the process run at once; one more waits its turn up to
    PORTAL_WEBSOCKET_HANDSHAKE_WAIT_SECONDS, then is refused (403) at once. A handshake ends when
    the consumer accepts or refuses, or its instance ends."""

    def __init__(self, app):
        self.app = app
        self.slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        limit, wait = _handshake_limits()
        loop = asyncio.get_running_loop()
        slots = self.slots.get(loop)
        if slots is None:
            slots = self.slots[loop] = _Slots(limit)
        if not await slots.acquire(wait):
            logger.info("sockets: handshake refused, %d in progress", limit)
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close"})
            return None
        held = True

        def release():
            nonlocal held
            if held:
                held = False
                slots.release()

        async def send_and_release(message):
            if message["type"] in ("websocket.accept", "websocket.close"):
                release()
            await send(message)

        try:
            return await self.app(scope, receive, send_and_release)
        finally:
            release()


# The guard ------------------------------------------------------------------------------------


class SocketGuardMiddleware:
    """ASGI middleware; sits inside AuthMiddlewareStack (it reads scope["user"] and the
    session) and outside the URL router."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        return await _GuardedSocket(scope, receive, send).run(self.app)


class _Revocations:
    """The revocation listener of one process (one per event loop and channel layer): one
    channel, in every group that a socket of the process listens on, and one task reading it.
    The task and the channel live while at least one socket is registered; a new channel is
    taken each time, so that no event sent while nobody listened reaches a later socket."""

    by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, layer):
        self.layer = layer
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.members: dict[str, set] = {}
        self.stopping: set[asyncio.Future] = set()

    @classmethod
    def current(cls) -> _Revocations | None:
        layer = get_channel_layer()
        if layer is None:
            return None
        loop = asyncio.get_running_loop()
        revocations = cls.by_loop.get(loop)
        if revocations is None or revocations.layer is not layer:
            revocations = cls.by_loop[loop] = cls(layer)
        return revocations

    async def register(self, socket, groups: list[str]) -> bool:
        """Listens on `groups` for `socket`; False when the layer is away (no revocation)."""
        for group in groups:
            self.members.setdefault(group, set()).add(socket)
        try:
            if self.channel is None:
                channel = await self.layer.new_channel()
                if self.channel is None:  # no other socket took one meanwhile
                    self.channel = channel
            channel = self.channel
            # Every socket adds its groups again: an add is idempotent in the layer and renews
            # the group's expiry.
            for group in groups:
                await self.layer.group_add(group, channel)
        except asyncio.CancelledError:
            self._forget(socket, groups)
            raise
        except Exception:  # noqa: BLE001 - the socket works without revocation
            logger.warning("sockets: cannot listen for revocation", exc_info=True)
            self._forget(socket, groups)
            return False
        if self.channel != channel:
            # The last other socket left while this one joined: the channel was given up.
            self._forget(socket, groups)
            return False
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._listen(channel))
        return True

    def _forget(self, socket, groups: list[str]) -> list[str]:
        """Removes `socket`; returns the groups that no socket of the process listens on now."""
        empty = []
        for group in groups:
            members = self.members.get(group)
            if members is None:
                continue
            members.discard(socket)
            if not members:
                del self.members[group]
                empty.append(group)
        if not self.members and self.task is not None:
            # Nobody left to close: the next socket starts over with a new channel.
            self.task.cancel()
            if self.channel is not None:
                # Should the cancellation be lost in the layer's receive (a 6-second soak once
                # kept the listener for more than 30 s), a word on its channel ends it.
                asyncio.get_running_loop().call_later(
                    2, self._wake_if_stuck, self.task, self.channel
                )
            self.task = None
            self.channel = None
        return empty

    def _wake_if_stuck(self, task: asyncio.Task, channel: str) -> None:
        if not task.done():
            logger.warning("sockets: the revocation listener outlived its cancellation")
            self.stopping.add(asyncio.ensure_future(self._wake(channel)))

    async def _wake(self, channel: str) -> None:
        try:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.layer.send(channel, {"type": STOP}), timeout=1)
        finally:
            self.stopping.discard(asyncio.current_task())

    async def unregister(self, socket, groups: list[str]) -> None:
        channel = self.channel
        empty = self._forget(socket, groups)
        if channel is None:
            return
        for group in empty:
            # Never waits long on the layer: daphne must exit within seconds.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.layer.group_discard(group, channel), timeout=1)
            if group in self.members and self.channel == channel:
                # A socket of the same group registered while the discard was on its way, and
                # the layer may have run its add first: add again.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.layer.group_add(group, channel), timeout=1)

    async def _listen(self, channel: str) -> None:
        # Ends when its channel is given up, even if a cancellation was lost in the layer's
        # receive (the soak found per-socket listeners that outlived their cancel).
        while self.channel == channel:
            try:
                event = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the layer is away: keep the sockets, retry later
                logger.warning("sockets: revocation listener lost the layer", exc_info=True)
                await asyncio.sleep(1)
                continue
            if event.get("type") == REVOKED:
                for socket in list(self.members.get(event.get("group"), ())):
                    # The server (daphne) then tells the consumer the socket is gone.
                    await socket.revoked()


class _GuardedSocket:
    """One socket. Client frames go straight to the consumer (no extra task, no reordering);
    it registers for revocation only once the consumer accepts, so that a refused handshake
    never touches the channel layer."""

    __slots__ = (
        "scope",
        "client_receive",
        "client_send",
        "closed",
        "max_bytes",
        "bucket",
        "revocations",
        "groups",
    )

    def __init__(self, scope, receive, send):
        self.scope = scope
        self.client_receive = receive
        self.client_send = send
        self.closed = False
        self.max_bytes, burst, per_second = _limits()
        self.bucket = _Bucket(burst, per_second)
        self.revocations: _Revocations | None = None
        self.groups: list[str] = []

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
        except asyncio.CancelledError:
            # daphne's shutdown cancels every instance at once: leaving the groups one socket at
            # a time would hold the exit for thousands of round trips to the layer. The process's
            # channel is gone with it; the layer expires its memberships.
            self._forget()
            raise
        finally:
            await self._unsubscribe()

    def _forget(self) -> None:
        if self.revocations is not None:
            self.revocations._forget(self, self.groups)
            self.revocations = None

    async def _subscribe(self) -> None:
        groups = self._groups()
        if not groups:
            return
        revocations = _Revocations.current()
        if revocations is None:
            return
        # Noted before the wait, so that a cancellation during it still unregisters.
        self.revocations, self.groups = revocations, groups
        if not await revocations.register(self, groups):
            self.revocations = None

    async def _unsubscribe(self) -> None:
        if self.revocations is not None:
            revocations, self.revocations = self.revocations, None
            await revocations.unregister(self, self.groups)

    async def revoked(self) -> None:
        await self._close(CLOSE_REVOKED)

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
                # The group in the event: one listener per process serves many groups.
                async_to_sync(layer.group_send)(group, {"type": REVOKED, "group": group})
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
