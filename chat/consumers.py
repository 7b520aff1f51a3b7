"""The chat websocket: one socket per open conversation page, speaking the protocol of
docs/protocol.md. It parses, authorizes, calls a service or a selector, then sends."""

import asyncio
import logging
import time
import uuid
import weakref

from channels.consumer import get_handler_name
from django.conf import settings

from portal.consumers import JsonFrameConsumer, client_id_field, int_field
from portal.db import pooled_sync_to_async

from . import selectors, services
from .payloads import author_payload, message_payload
from .permissions import can_chat, can_join_conversation

logger = logging.getLogger(__name__)

# How long a participation check is trusted before asking the database again (seconds): bounds
# how long an advisor who lost a seeker (reassignment, end of a backup) keeps hearing them.
RECHECK_SECONDS = 5
# Typing notices are a hint: at most one per socket per second goes out.
TYPING_INTERVAL = 1.0
# A socket refreshes its presence row at most this often (seconds).
TOUCH_INTERVAL = 20


def _db(func):
    # Concurrent sends of one process run in parallel transactions (portal.db).
    return pooled_sync_to_async(func)


@_db
def _can_join(user, conversation_id: int) -> bool:
    return can_join_conversation(user, conversation_id)


@_db
def _join(channel_name: str, conversation_id: int, user) -> bool:
    return services.socket_join(
        channel_name=channel_name, conversation_id=conversation_id, user=user
    )


@_db
def _participants(conversation_ids: set[int]) -> dict[int, set[tuple[int, str]]]:
    return selectors.participants_by_conversation(conversation_ids)


class _Rechecks:
    """The participation re-checks of every chat socket of one process (one event loop), made
    together: the first socket whose answer is older than RECHECK_SECONDS asks for all of them in
    one query, and the sockets due meanwhile wait for that answer. Without it, each socket asked
    on its next event: at tens of messages per second, one more query and thread hop per
    delivery."""

    def __init__(self):
        self.consumers: weakref.WeakSet = weakref.WeakSet()
        self.pending: asyncio.Task | None = None

    @classmethod
    def of_this_loop(cls) -> "_Rechecks":
        loop = asyncio.get_running_loop()
        rechecks = _RECHECKS.get(loop)
        if rechecks is None:
            rechecks = _RECHECKS[loop] = cls()
        return rechecks

    async def check(self, consumer) -> bool | None:
        """Whether `consumer`'s person still takes part, or None when this round did not ask
        about it (it joined meanwhile) and it must ask alone."""
        if self.pending is None:
            self.pending = asyncio.create_task(self._run())
        # Shielded: a socket that goes away while waiting does not cancel the others' answer.
        checked, allowed = await asyncio.shield(self.pending)
        if consumer not in checked:
            return None
        return consumer in allowed

    async def _run(self) -> tuple[set, set]:
        try:
            consumers = set(self.consumers)
            started = time.monotonic()
            people = await _participants({consumer.conversation_id for consumer in consumers})
            allowed = {
                consumer
                for consumer in consumers
                if can_chat(consumer.user)
                and (consumer.user.pk, consumer.user.role)
                in people.get(consumer.conversation_id, ())
            }
            for consumer in allowed:
                consumer.checked_at = max(consumer.checked_at, started)
            return consumers, allowed
        finally:
            self.pending = None


_RECHECKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@_db
def _socket_close(channel_name: str) -> None:
    services.socket_close(channel_name=channel_name)


@_db
def _socket_touch(channel_name: str, conversation_id: int) -> int:
    return services.socket_touch(channel_name=channel_name, conversation_id=conversation_id)


@_db
def _send(conversation_id: int, user, client_id: uuid.UUID, body: str, channel_name: str) -> dict:
    message, _created = services.message_send(
        conversation_id=conversation_id,
        author=user,
        client_id=client_id,
        body=body,
        sender_channel=channel_name,
    )
    return message_payload(message)


@_db
def _history(conversation_id: int, user, after_seq: int) -> dict:
    limit = settings.CHAT_SYNC_LIMIT
    messages = selectors.messages_after(conversation_id, after_seq, limit + 1)
    return {
        "type": "message.history",
        "messages": [message_payload(message) for message in messages[:limit]],
        "has_more": len(messages) > limit,
        "read_up_to": selectors.other_side_read_seq(conversation_id, user),
    }


@_db
def _mark_read(conversation_id: int, user, up_to_seq: int) -> int:
    return services.conversation_mark_read(
        conversation_id=conversation_id, user=user, up_to_seq=up_to_seq
    )


class ChatConsumer(JsonFrameConsumer):
    frame_types = frozenset({"message.send", "sync", "typing", "read", "ping"})

    async def dispatch(self, message):
        """channels' dispatch, without its hop to the sync thread before every event to close
        old database connections: one hop per event and socket, all queued on the process's one
        sync thread. This consumer reaches the database only through _db helpers, which close
        their connections before and after their own call."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.user = self.scope["user"]
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        self.group = None
        # The participation check and the presence row, in one statement.
        if not await _join(self.channel_name, self.conversation_id, self.user):
            # Closing before accepting refuses the handshake: nothing is ever sent.
            await self.close()
            return
        self.checked_at = time.monotonic()
        self.touched_at = time.monotonic()
        self.typed_at = 0.0
        try:
            await self.channel_layer.group_add(
                services.group_name(self.conversation_id), self.channel_name
            )
        except Exception:
            await _socket_close(self.channel_name)  # no presence row for a socket that never was
            raise
        self.group = services.group_name(self.conversation_id)
        _Rechecks.of_this_loop().consumers.add(self)
        await self.accept()

    async def disconnect(self, code):
        if self.group is None:
            return
        _Rechecks.of_this_loop().consumers.discard(self)
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await _socket_close(self.channel_name)

    async def still_allowed(self) -> bool:
        """Participation changes (new referent, end of an absence): re-checked every few seconds."""
        if time.monotonic() - self.checked_at < RECHECK_SECONDS:
            return True
        try:
            allowed = await _Rechecks.of_this_loop().check(self)
            if allowed is None:
                allowed = await _can_join(self.user, self.conversation_id)
        except Exception:
            # The database is overloaded or away: keep the last answer (seconds old) and ask again
            # on the next event, rather than kill the socket and start a reconnection storm.
            logger.warning("chat: participation recheck failed", exc_info=True)
            return True
        self.checked_at = time.monotonic()
        if not allowed:
            await self.close(code=4403)
        return allowed

    async def client_message_send(self, content: dict) -> None:
        client_id = client_id_field(content)
        body = services.check_body(content.get("body"))
        message = await _send(self.conversation_id, self.user, client_id, body, self.channel_name)
        await self.send_json(
            {"type": "message.ack", "client_id": message["client_id"], "message": message}
        )

    async def client_sync(self, content: dict) -> None:
        after_seq = int_field(content, "after_seq")
        await self.send_json(await _history(self.conversation_id, self.user, after_seq))

    async def client_typing(self, content: dict) -> None:
        now = time.monotonic()
        if now - self.typed_at < TYPING_INTERVAL:
            return
        self.typed_at = now
        await self.channel_layer.group_send(
            self.group,
            {"type": "chat.typing", "author": author_payload(self.user, self.user.role)},
        )

    async def client_read(self, content: dict) -> None:
        await _mark_read(self.conversation_id, self.user, int_field(content, "up_to_seq"))

    async def client_ping(self, content: dict) -> None:
        now = time.monotonic()
        if now - self.touched_at < TOUCH_INTERVAL:
            await self.send_json({"type": "pong"})
            return
        self.touched_at = now
        last_seq = await _socket_touch(self.channel_name, self.conversation_id)
        await self.send_json({"type": "pong", "last_seq": last_seq})

    # Events from the channel layer, named after their type --------------------------------

    async def layer_gap(self, event: dict) -> None:
        """The channel layer may have lost events for this socket (its Redis subscription came
        back, or the socket fell CHANNEL_CAPACITY events behind): the client syncs from the last
        seq it holds. The socket stays open: closing every chat socket of a process after a Redis
        blip would make a reconnection storm of what one history query per socket repairs."""
        await self.send_json({"type": "resync"})

    async def chat_message(self, event: dict) -> None:
        if event.get("sender_channel") == self.channel_name:
            return  # the sender's own socket got the message.ack
        if await self.still_allowed():
            await self.send_json({"type": "message.new", "message": event["message"]})

    async def chat_typing(self, event: dict) -> None:
        if event["author"]["id"] == self.user.pk:
            return
        if await self.still_allowed():
            await self.send_json({"type": "typing", "author": event["author"]})

    async def chat_read(self, event: dict) -> None:
        if event["reader"]["id"] == self.user.pk:
            return
        if await self.still_allowed():
            await self.send_json(
                {"type": "read.receipt", "reader": event["reader"], "up_to_seq": event["up_to_seq"]}
            )
