"""Every write of the chat: conversations, messages (persisted, then published after commit),
read marks, open sockets and the claim of the unread-message email."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import timedelta

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role

from . import selectors
from .models import Conversation, Message, OpenSocket, ReadMark
from .payloads import author_payload, message_payload

logger = logging.getLogger(__name__)


class ChatError(Exception):
    """A write the rules refuse; `code` goes back to the client, `detail` is for the person."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def group_name(conversation_id: int) -> str:
    return f"chat.conversation.{conversation_id}"


def publish(conversation_id: int, event: dict) -> None:
    """Rings the doorbell of every open socket of the conversation, on every server process.

    Called after commit only. A lost event costs nothing but latency: clients sync by seq."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop()
    if loop is not None:
        # In a server thread: hand the send to the server's event loop and return at once, so
        # that the database thread is free for the next message. Order is not needed: clients
        # order by seq and sync on a gap.
        loop.call_soon_threadsafe(_spawn, layer.group_send(group_name(conversation_id), event))
        return
    try:
        async_to_sync(layer.group_send)(group_name(conversation_id), event)
    except Exception:  # the message is stored; clients catch up on their next sync
        logger.exception(
            "chat: could not publish %s to conversation %s", event.get("type"), conversation_id
        )


def _server_loop():
    """The event loop of the server process when this thread runs on its behalf (a
    sync_to_async worker under daphne), else None."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is None or pid != os.getpid() or not loop.is_running() or loop.is_closed():
        return None
    return loop


# The event loop keeps only weak references to tasks: publishing tasks live here until done.
_publishing: set[asyncio.Task] = set()


def _spawn(coroutine) -> None:
    task = asyncio.get_running_loop().create_task(coroutine)
    _publishing.add(task)
    task.add_done_callback(_publishing.discard)
    task.add_done_callback(_log_publish_failure)


def _log_publish_failure(task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("chat: could not publish", exc_info=task.exception())


def conversation_for_seeker(*, seeker) -> Conversation:
    """The seeker's one conversation, created on first use; it outlives any advisor change."""
    conversation, _ = Conversation.objects.get_or_create(seeker=seeker)
    return conversation


def check_body(body, *, with_attachment: bool = False) -> str:
    """A body is text, not blank (unless a file goes with it), at most CHAT_MAX_BODY_CHARS long."""
    if not isinstance(body, str) or (not body.strip() and not with_attachment):
        raise ChatError("empty_body", _("A message cannot be empty."))
    if len(body) > settings.CHAT_MAX_BODY_CHARS:
        raise ChatError(
            "body_too_long",
            _("A message has at most %(max)s characters.") % {"max": settings.CHAT_MAX_BODY_CHARS},
        )
    return body


def _check_rate(user) -> None:
    limit, seconds = settings.CHAT_RATE_LIMIT_MESSAGES, settings.CHAT_RATE_LIMIT_SECONDS
    if selectors.sent_recently(user, seconds) >= limit:
        raise ChatError(
            "rate_limited",
            _("Too many messages: at most %(count)s in %(seconds)s seconds. Wait a moment.")
            % {"count": limit, "seconds": seconds},
        )


def _upsert_read(conversation_id: int, user, seq: int) -> None:
    updated = ReadMark.objects.filter(
        conversation_id=conversation_id, user=user, last_read_seq__lt=seq
    ).update(last_read_seq=seq, updated_at=timezone.now())
    if not updated:
        ReadMark.objects.get_or_create(
            conversation_id=conversation_id, user=user, defaults={"last_read_seq": seq}
        )


@transaction.atomic
def message_send(
    *,
    conversation_id: int,
    author,
    client_id: uuid.UUID,
    body: str,
    attachment=None,
    sender_channel: str | None = None,
    rate_limited: bool = True,
) -> tuple[Message, bool]:
    """Stores a message with the conversation's next seq and publishes it after commit.

    Holds the conversation row lock (select_for_update) from reading last_seq to writing it, so
    that concurrent senders get 1, 2, 3... without gap or repeat. A client_id already stored in
    this conversation returns that message and writes nothing (the retry of an unacked send).
    New messages beyond the per-user rate limit are refused (ChatError "rate_limited"); retries
    never are. Returns (message, created)."""
    check_body(body, with_attachment=attachment is not None)
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    # Looked up under the lock: a retry committed meanwhile is found, never stored twice.
    existing = selectors.message_by_client_id(conversation_id, client_id)
    if existing is not None:
        if existing.author_id != author.pk:
            raise ChatError("client_id_conflict", _("This client_id belongs to another message."))
        return existing, False
    if rate_limited:
        _check_rate(author)

    now = timezone.now()
    seq = conversation.last_seq + 1
    message = Message(
        conversation_id=conversation_id,
        seq=seq,
        client_id=client_id,
        author=author,
        author_role=author.role,
        body=body,
        sent_at=now,
    )
    if attachment is not None:
        message.attachment = attachment
        message.attachment_name = attachment.name[-200:]
        message.attachment_type = attachment.content_type
        message.attachment_size = attachment.size
    message.save()

    conversation.last_seq = seq
    conversation.last_message_at = now
    if author.role == Role.SEEKER:
        conversation.awaiting_since = conversation.awaiting_since or now
    else:
        conversation.awaiting_since = None
    conversation.save(update_fields=["last_seq", "last_message_at", "awaiting_since"])
    # Writing a message means having read everything before it.
    _upsert_read(conversation_id, author, seq)

    payload = message_payload(message)
    event = {"type": "chat.message", "message": payload, "sender_channel": sender_channel}
    transaction.on_commit(lambda: publish(conversation_id, event), robust=True)
    # Queued in the same transaction: with the database task backend the task row commits or
    # rolls back with the message, at no extra round trip. It runs minutes later, after commit.
    _schedule_unread_email(message.pk)
    return message, True


def _schedule_unread_email(message_id: int) -> None:
    from .tasks import email_unread_message

    delay = timedelta(minutes=settings.CHAT_UNREAD_EMAIL_DELAY_MINUTES)
    task = email_unread_message
    if task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + delay)
    task.enqueue(message_id)


@transaction.atomic
def conversation_mark_read(*, conversation_id: int, user, up_to_seq: int) -> int:
    """Moves the user's read mark forward (never back) and tells the other side after commit.

    Holds the user's read-mark row lock. Returns the mark, unchanged when nothing new was read."""
    last_seq = Conversation.objects.values_list("last_seq", flat=True).get(pk=conversation_id)
    up_to = max(0, min(up_to_seq, last_seq))
    mark, _ = ReadMark.objects.get_or_create(conversation_id=conversation_id, user=user)
    mark = ReadMark.objects.select_for_update().get(pk=mark.pk)
    if up_to <= mark.last_read_seq:
        return mark.last_read_seq
    mark.last_read_seq = up_to
    mark.updated_at = timezone.now()
    mark.save(update_fields=["last_read_seq", "updated_at"])
    event = {
        "type": "chat.read",
        "reader": author_payload(user, user.role),
        "up_to_seq": up_to,
    }
    transaction.on_commit(lambda: publish(conversation_id, event), robust=True)
    return up_to


def socket_open(*, channel_name: str, conversation_id: int, user) -> None:
    now = timezone.now()
    # Rows left by a process that died without closing its sockets stop counting after the TTL;
    # the user's next connection sweeps them.
    stale = now - timedelta(seconds=settings.CHAT_SOCKET_TTL_SECONDS)
    OpenSocket.objects.filter(user=user, seen_at__lt=stale).delete()
    OpenSocket.objects.update_or_create(
        channel_name=channel_name,
        defaults={"conversation_id": conversation_id, "user": user, "seen_at": now},
    )


def socket_touch(*, channel_name: str) -> None:
    OpenSocket.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def socket_close(*, channel_name: str) -> None:
    OpenSocket.objects.filter(channel_name=channel_name).delete()


@transaction.atomic
def unread_email_claim(*, conversation_id: int, user, seq: int) -> bool:
    """Decides whether `user` gets the email about message `seq`, and records that they did.

    Holds the user's read-mark row lock, so that two workers never email the same stretch twice.
    True only when the message is still unread, the user has no open socket on the conversation,
    and no email went out since they last read it."""
    mark, _ = ReadMark.objects.get_or_create(conversation_id=conversation_id, user=user)
    mark = ReadMark.objects.select_for_update().get(pk=mark.pk)
    if mark.last_read_seq >= seq:
        return False
    if mark.emailed_seq > mark.last_read_seq:
        return False
    if selectors.has_open_socket(conversation_id, user):
        return False
    mark.emailed_seq = seq
    mark.save(update_fields=["emailed_seq"])
    return True
