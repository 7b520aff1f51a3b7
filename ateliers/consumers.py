"""The session room websocket: the group chat of a live session, with the chat's durability
(persist then publish after commit, gap-free seq, client_id idempotency, sync after_seq) and the
facilitator's controls. It parses, authorizes, calls a service or selector, then sends."""

import logging
import time

from django.utils.translation import gettext as _

from portal.consumers import JsonFrameConsumer, client_id_field, int_field
from portal.db import pooled_sync_to_async
from portal.layers import CloseOnLayerGap

from . import selectors, services
from .models import LiveSession, Registration
from .permissions import can_join_room, is_facilitator

logger = logging.getLogger(__name__)

# How long a room permission check is trusted before asking the database again (seconds).
RECHECK_SECONDS = 5
SYNC_LIMIT = 500


def _db(func):
    # Room frames of one process run in parallel transactions (portal.db).
    return pooled_sync_to_async(func)


@_db
def _join(user, session_id: int) -> dict | None:
    """Whether the user may join, and if so what they need: role, pin, mute, attendance."""
    if not can_join_room(user, session_id):
        return None
    session = LiveSession.objects.select_related("pinned_message__author").get(pk=session_id)
    facilitating = is_facilitator(user, session)
    if not facilitating:
        services.attendance_mark_joined(session_id=session_id, user=user)
    muted = (
        not facilitating
        and Registration.objects.filter(session=session, seeker__user=user, muted=True).exists()
    )
    return {
        "facilitator": facilitating,
        "muted": muted,
        "pinned": services.room_payload(session.pinned_message) if session.pinned_message else None,
        "last_seq": session.last_seq,
    }


@_db
def _can_join(user, session_id: int) -> bool:
    return can_join_room(user, session_id)


@_db
def _send(session_id, user, client_id, body, channel_name) -> dict:
    message, _created = services.room_message_send(
        session_id=session_id,
        author=user,
        client_id=client_id,
        body=body,
        sender_channel=channel_name,
    )
    return services.room_payload(message)


@_db
def _history(session_id: int, after_seq: int) -> dict:
    messages = selectors.room_messages_after(session_id, after_seq, SYNC_LIMIT + 1)
    return {
        "type": "message.history",
        "messages": [services.room_payload(m) for m in messages[:SYNC_LIMIT]],
        "has_more": len(messages) > SYNC_LIMIT,
    }


@_db
def _pin(session_id: int, seq):
    services.room_pin(session_id=session_id, seq=seq)


@_db
def _mute(session_id: int, user_id: int, muted: bool):
    services.participant_mute(session_id=session_id, seeker_user_id=user_id, muted=muted)


class RoomConsumer(CloseOnLayerGap, JsonFrameConsumer):
    frame_types = frozenset({"message.send", "sync", "pin", "mute", "ping"})

    async def connect(self):
        self.user = self.scope["user"]
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.group = None
        state = await _join(self.user, self.session_id)
        if state is None:
            await self.close()  # refused before accepting: nothing is ever sent
            return
        self.facilitator = state["facilitator"]
        self.checked_at = time.monotonic()
        self.group = services.room_group(self.session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "welcome",
                "facilitator": self.facilitator,
                "muted": state["muted"],
                "pinned": state["pinned"],
                "last_seq": state["last_seq"],
            }
        )

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def still_allowed(self) -> bool:
        """A cancelled registration or a closed room ends the socket within a few seconds."""
        if time.monotonic() - self.checked_at < RECHECK_SECONDS:
            return True
        allowed = await _can_join(self.user, self.session_id)
        self.checked_at = time.monotonic()
        if not allowed:
            await self.close(code=4403)
        return allowed

    async def client_message_send(self, content: dict) -> None:
        client_id = client_id_field(content)
        body = services.check_body(content.get("body"))
        message = await _send(self.session_id, self.user, client_id, body, self.channel_name)
        await self.send_json(
            {"type": "message.ack", "client_id": message["client_id"], "message": message}
        )

    async def client_sync(self, content: dict) -> None:
        await self.send_json(await _history(self.session_id, int_field(content, "after_seq")))

    def _facilitator_only(self) -> None:
        if not self.facilitator:
            raise services.AteliersError(
                "forbidden", _("Only the facilitator can do this in the room.")
            )

    async def client_pin(self, content: dict) -> None:
        self._facilitator_only()
        await _pin(self.session_id, int_field(content, "seq", allow_none=True))

    async def client_mute(self, content: dict) -> None:
        self._facilitator_only()
        muted = content.get("muted", True)
        if not isinstance(muted, bool):
            raise services.AteliersError("bad_request", _("muted is true or false."))
        await _mute(self.session_id, int_field(content, "user_id"), muted)

    async def client_ping(self, content: dict) -> None:
        await self.send_json({"type": "pong"})

    # Events from the channel layer, named after their type -------------------------------

    async def room_message(self, event: dict) -> None:
        if event.get("sender_channel") == self.channel_name:
            return  # the sender's own socket got the message.ack
        if await self.still_allowed():
            await self.send_json({"type": "message.new", "message": event["message"]})

    async def room_pin(self, event: dict) -> None:
        if await self.still_allowed():
            await self.send_json({"type": "pinned", "message": event["message"]})

    async def room_mute(self, event: dict) -> None:
        if not await self.still_allowed():
            return
        if self.facilitator or event["user_id"] == self.user.pk:
            await self.send_json(
                {"type": "muted", "user_id": event["user_id"], "muted": event["muted"]}
            )
