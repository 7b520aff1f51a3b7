"""Every write of the chat: conversations, messages (persisted, then published after commit),
read marks, open sockets and the claim of the unread-message email."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
import weakref
from datetime import timedelta

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.models import Role
from portal.errors import Refusal

from . import selectors
from .models import Conversation, Message, OpenSocket, ReadMark, ResponseWait
from .payloads import author_payload, message_payload

logger = logging.getLogger(__name__)


class ChatError(Refusal):
    """A write the chat's rules refuse."""


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
        loop.call_soon_threadsafe(_spawn, _group_send(layer, group_name(conversation_id), event))
        return
    try:
        async_to_sync(_group_send)(layer, group_name(conversation_id), event)
    except Exception:  # the message is stored; clients catch up on their next sync
        logger.exception(
            "chat: could not publish %s to conversation %s", event.get("type"), conversation_id
        )


# After a Redis restart every connection left in the layer's pool is stale, and each fails its
# first command (redis-py drops it then, and the next use connects afresh): without a retry, the
# first publishes after the restart were lost, and a client that had just synced waited for the
# next message to notice the gap.
PUBLISH_ATTEMPTS = 3


async def _group_send(layer, group: str, event: dict) -> None:
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            await layer.group_send(group, event)
            return
        except (ConnectionError, OSError, RedisConnectionError):
            if attempt == PUBLISH_ATTEMPTS:
                raise
            await asyncio.sleep(0.05 * attempt)


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


def _rate_limited() -> ChatError:
    limit, seconds = settings.CHAT_RATE_LIMIT_MESSAGES, settings.CHAT_RATE_LIMIT_SECONDS
    return ChatError(
        "rate_limited",
        _("Too many messages: at most %(count)s in %(seconds)s seconds. Wait a moment.")
        % {"count": limit, "seconds": seconds},
    )


# One statement stores a message: it locks the conversation row (held until commit, so concurrent
# senders get 1, 2, 3... without gap or repeat) and reads what it was awaiting, bumps its last_seq,
# inserts the message with that seq, moves the author's read mark to it, records the seeker's
# wait that an advisor's message ends and, with the database task backend, queues the
# unread-message email. The conversation is left alone (no row comes back) when this client_id is
# already stored or the author is over the rate limit; a concurrent retry that got past the NOT
# EXISTS fails on chat_message_client_id_unique and the whole statement with it.
# `previous` locks with FOR UPDATE, which reads the latest committed row (the UPDATE's RETURNING
# gives only new values, and a plain self-join would read the statement's snapshot: two advisors
# answering at once would both record the wait).
_STORE_SQL = """
WITH previous AS (
    SELECT c.id, c.awaiting_since, s.agency_id
    FROM chat_conversation c JOIN seekers_seeker s ON s.id = c.seeker_id
    WHERE c.id = %(conversation)s
    FOR UPDATE OF c
), bumped AS (
    UPDATE chat_conversation c
    SET last_seq = c.last_seq + 1, last_message_at = %(now)s, awaiting_since = {awaiting}
    FROM previous p
    WHERE c.id = p.id
      AND NOT EXISTS (
          SELECT 1 FROM chat_message
          WHERE conversation_id = %(conversation)s AND client_id = %(client_id)s
      ){rate}
    RETURNING c.last_seq, p.awaiting_since AS waited_since, p.agency_id
), stored AS (
    INSERT INTO chat_message (
        conversation_id, seq, client_id, author_id, author_role, body, sent_at,
        attachment, attachment_name, attachment_type, attachment_size
    )
    SELECT %(conversation)s, last_seq, %(client_id)s, %(author)s, %(role)s, %(body)s, %(now)s,
        %(attachment)s, %(attachment_name)s, %(attachment_type)s, %(attachment_size)s
    FROM bumped
    RETURNING id, seq
), marked AS (
    INSERT INTO chat_readmark (conversation_id, user_id, last_read_seq, emailed_seq, updated_at)
    SELECT %(conversation)s, %(author)s, seq, 0, %(now)s FROM stored
    ON CONFLICT (conversation_id, user_id) DO UPDATE
    SET last_read_seq = EXCLUDED.last_read_seq, updated_at = EXCLUDED.updated_at
    WHERE chat_readmark.last_read_seq < EXCLUDED.last_read_seq
){answered}{queue}
SELECT id, seq FROM stored
"""
# The wait an advisor's message ends, recorded with the seeker's agency of the moment.
_ANSWERED_SQL = """, answered AS (
    INSERT INTO chat_responsewait (conversation_id, agency_id, started_at, answered_at)
    SELECT %(conversation)s, agency_id, waited_since, %(now)s FROM bumped
    WHERE waited_since IS NOT NULL
)"""
# The rate limit, counted in the same statement: the author's messages of the last seconds in
# every conversation, counted no further than the limit.
_RATE_SQL = """
      AND (
          SELECT count(*) FROM (
              SELECT 1 FROM chat_message
              WHERE author_id = %(author)s AND sent_at >= %(since)s LIMIT %(limit)s
          ) AS recent
      ) < %(limit)s"""
_CLIENT_ID_CONSTRAINT = "chat_message_client_id_unique"


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

    One statement (see _STORE_SQL), which commits on its own: the conversation row lock taken by
    the seq's UPDATE is held to its end, so that concurrent senders get 1, 2, 3... without gap or
    repeat. A client_id already stored in this conversation returns that message and writes
    nothing (the retry of an unacked send). New messages beyond the per-user rate limit are
    refused (ChatError "rate_limited"); retries never are. Returns (message, created)."""
    check_body(body, with_attachment=attachment is not None)
    message = Message(
        conversation_id=conversation_id,
        client_id=client_id,
        author=author,
        author_role=author.role,
        body=body,
        sent_at=timezone.now(),
    )
    if attachment is not None:
        # Stored before the statement (a file is no database row); removed if no message is.
        message.attachment.save(attachment.name, attachment, save=False)
        message.attachment_name = attachment.name[-200:]
        message.attachment_type = attachment.content_type
        message.attachment_size = attachment.size
    queue = _queued_email(message.sent_at)
    stored = False
    # A single statement needs no transaction of its own; inside a caller's, a savepoint lets it
    # go on after a retry's IntegrityError. Another task backend enqueues in the same transaction.
    atomic = queue is None or connection.in_atomic_block
    try:
        with transaction.atomic() if atomic else contextlib.nullcontext():
            stored = _store(message, rate_limited=rate_limited, queue=queue)
            if stored and queue is None:
                _schedule_unread_email(message.pk)
    except IntegrityError as error:
        if getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) != (
            _CLIENT_ID_CONSTRAINT
        ):
            raise
    if stored:
        event = {"type": "chat.message", "sender_channel": sender_channel}
        event["message"] = message_payload(message)
        # At once when the statement committed on its own, else when the caller's transaction does.
        transaction.on_commit(lambda: publish(conversation_id, event), robust=True)
        return message, True
    # Nothing stored: a retry (perhaps a concurrent one), the rate limit, or no such conversation.
    if message.attachment:
        message.attachment.delete(save=False)
    existing = selectors.message_by_client_id(conversation_id, client_id)
    if existing is not None:
        if existing.author_id != author.pk:
            raise ChatError("client_id_conflict", _("This client_id belongs to another message."))
        return existing, False
    if not Conversation.objects.filter(pk=conversation_id).exists():
        raise Conversation.DoesNotExist(f"No conversation {conversation_id}.")
    raise _rate_limited()


def _store(message: Message, *, rate_limited: bool, queue: tuple[str, dict] | None) -> bool:
    """Runs _STORE_SQL for `message`; sets its pk and seq and returns True when it was stored."""
    if connection.vendor != "postgresql":
        return _store_portable(message, rate_limited=rate_limited)
    from_seeker = message.author_role == Role.SEEKER
    sql = _STORE_SQL.format(
        awaiting="COALESCE(c.awaiting_since, %(now)s)" if from_seeker else "NULL",
        rate=_RATE_SQL if rate_limited else "",
        answered=_ANSWERED_SQL if message.author_role == Role.ADVISOR else "",
        queue=queue[0] if queue else "",
    )
    params = {
        "now": message.sent_at,
        "conversation": message.conversation_id,
        "client_id": message.client_id,
        "author": message.author_id,
        "role": message.author_role,
        "body": message.body,
        "attachment": message.attachment.name or "",
        "attachment_name": message.attachment_name,
        "attachment_type": message.attachment_type,
        "attachment_size": message.attachment_size,
        "since": message.sent_at - timedelta(seconds=settings.CHAT_RATE_LIMIT_SECONDS),
        "limit": settings.CHAT_RATE_LIMIT_MESSAGES,
    }
    if queue:
        params |= queue[1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    message.pk, message.seq = row
    message._state.adding = False
    message._state.db = connection.alias
    return True


def _store_portable(message: Message, *, rate_limited: bool) -> bool:
    """_STORE_SQL's writes one by one, for the embedded SQLite default of `make run` (no
    data-modifying CTE there; SQLite runs one writing transaction at a time). Called in a
    transaction."""
    conversation = (
        Conversation.objects.select_for_update()
        .select_related("seeker")
        .only("last_seq", "awaiting_since", "seeker__agency_id")
        .get(pk=message.conversation_id)
    )
    if Message.objects.filter(
        conversation_id=message.conversation_id, client_id=message.client_id
    ).exists():
        return False
    limit = settings.CHAT_RATE_LIMIT_MESSAGES
    since = message.sent_at - timedelta(seconds=settings.CHAT_RATE_LIMIT_SECONDS)
    if rate_limited and (
        Message.objects.filter(author_id=message.author_id, sent_at__gte=since)[:limit].count()
        >= limit
    ):
        return False
    waited_since = conversation.awaiting_since
    conversation.last_seq += 1
    conversation.last_message_at = message.sent_at
    if message.author_role == Role.SEEKER:
        conversation.awaiting_since = waited_since or message.sent_at
    else:
        conversation.awaiting_since = None
    conversation.save(update_fields=["last_seq", "last_message_at", "awaiting_since"])
    message.seq = conversation.last_seq
    message.save(force_insert=True)
    mark, _ = ReadMark.objects.get_or_create(
        conversation_id=message.conversation_id, user_id=message.author_id
    )
    if mark.last_read_seq < message.seq:
        mark.last_read_seq, mark.updated_at = message.seq, message.sent_at
        mark.save(update_fields=["last_read_seq", "updated_at"])
    if message.author_role == Role.ADVISOR and waited_since is not None:
        ResponseWait.objects.create(
            conversation_id=message.conversation_id,
            agency_id=conversation.seeker.agency_id,
            started_at=waited_since,
            answered_at=message.sent_at,
        )
    return True


def _queued_email(now) -> tuple[str, dict] | None:
    """The unread-message task's row as a part of _STORE_SQL, when tasks live in the database:
    (SQL, params). The row is made from django_tasks_db's own model and field defaults, as its
    backend's enqueue() makes it, so that it commits with the message at no extra round trip;
    what this skips is the backend's task_enqueued signal, which the portal does not use. None
    with any other backend: message_send then enqueues through the backend."""
    from django_tasks_db.backend import DatabaseBackend

    from .tasks import email_unread_message

    backend = email_unread_message.get_backend()
    if connection.vendor != "postgresql":  # the row is built with PostgreSQL's jsonb functions
        return None
    if not isinstance(backend, DatabaseBackend) or backend.id_function is not None:
        return None
    delay = timedelta(minutes=settings.CHAT_UNREAD_EMAIL_DELAY_MINUTES)
    cached = _QUEUE_SQL.get(backend)
    if cached is None:
        cached = _QUEUE_SQL[backend] = _queue_sql(backend, now + delay)
    sql, constant, per_row = cached
    values = {"id": uuid.uuid4(), "enqueued_at": now, "run_after": now + delay}
    params = dict(constant)
    for name, (param, field) in per_row.items():
        params[param] = field.get_db_prep_save(values[name], connection)
    return sql, params


# Built once per task backend: the SQL and the values that are the same for every row.
_QUEUE_SQL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _queue_sql(backend, run_after) -> tuple[str, dict, dict]:
    from django_tasks_db.models import DBTaskResult

    from .tasks import email_unread_message

    task = email_unread_message.using(run_after=run_after)
    backend.validate_task(task)
    row = DBTaskResult(
        args_kwargs={},
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=run_after,
        backend_name=backend.alias,
    )
    columns, values, constant, per_row = [], [], {}, {}
    for number, field in enumerate(DBTaskResult._meta.concrete_fields):
        columns.append(connection.ops.quote_name(field.column))
        if field.name == "args_kwargs":
            # What the backend stores for enqueue(message_id): {"args": [id], "kwargs": {}}.
            values.append(
                "jsonb_build_object('args', jsonb_build_array(id), 'kwargs', '{}'::jsonb)"
            )
            continue
        param = f"task_{number}"
        values.append(f"%({param})s")
        if field.name in ("id", "enqueued_at", "run_after"):
            per_row[field.name] = (param, field)
        else:
            constant[param] = field.get_db_prep_save(field.pre_save(row, add=True), connection)
    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    # Names from the model's metadata, quoted; every value is a parameter.
    insert = f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
    sql = f", queued AS (\n    {insert}\n    SELECT {', '.join(values)} FROM stored\n)"  # noqa: S608
    return sql, constant, per_row


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


# The socket's admission in one statement: the participation check (the ORM's own query, so that
# the rule stays in one place: chat.models.participant_q), the sweep of the user's stale presence
# rows and the new one. A reconnection storm after a restart is this statement per socket; as
# four statements and two round trips of a transaction, the presence row was a third of it.
_JOIN_SQL = """
WITH allowed AS ({allowed}), swept AS (
    DELETE FROM chat_opensocket
    WHERE user_id = %s AND seen_at < %s AND channel_name <> %s AND EXISTS (SELECT 1 FROM allowed)
)
INSERT INTO chat_opensocket (channel_name, conversation_id, user_id, seen_at)
SELECT %s, allowed.id, %s, %s FROM allowed
ON CONFLICT (channel_name) DO UPDATE
SET conversation_id = EXCLUDED.conversation_id, user_id = EXCLUDED.user_id,
    seen_at = EXCLUDED.seen_at
RETURNING id
"""


def socket_join(*, channel_name: str, conversation_id: int, user) -> bool:
    """Admits a socket to a conversation: True, with its presence row written, when the user
    takes part in it; False, writing nothing, otherwise."""
    from .permissions import can_chat

    if not can_chat(user):
        return False
    if connection.vendor != "postgresql":
        if not Conversation.objects.for_user(user).filter(pk=conversation_id).exists():
            return False
        socket_open(channel_name=channel_name, conversation_id=conversation_id, user=user)
        return True
    allowed, params = (
        Conversation.objects.for_user(user)
        .filter(pk=conversation_id)
        .values("id")
        .query.sql_with_params()
    )
    now = timezone.now()
    stale = now - timedelta(seconds=settings.CHAT_SOCKET_TTL_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            _JOIN_SQL.format(allowed=allowed),
            [*params, user.pk, stale, channel_name, channel_name, user.pk, now],
        )
        return cursor.fetchone() is not None


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


def socket_touch(*, channel_name: str, conversation_id: int) -> int:
    """Refreshes the socket's presence row; returns the conversation's last seq, which the
    client compares with what it holds: an event the channel layer dropped at the end of a burst
    (no later message to reveal the gap) is fetched at the next ping instead of never."""
    OpenSocket.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())
    return Conversation.objects.values_list("last_seq", flat=True).get(pk=conversation_id)


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
