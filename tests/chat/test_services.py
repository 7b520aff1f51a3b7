"""The message write in one statement, and the participation re-check of many sockets at once."""

import asyncio
import datetime as dt
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from redis.exceptions import ConnectionError as RedisConnectionError

from advisors.models import AdvisorState
from chat import consumers, selectors, services
from chat.models import Conversation, Message, OpenSocket, ReadMark, ResponseWait
from chat.tasks import email_unread_message
from seekers import services as seeker_services
from seekers.models import FollowUpStatus
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory

from .factories import ConversationFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def send(conversation, author, body="Bonjour", client_id=None, **kwargs):
    return services.message_send(
        conversation_id=conversation.pk,
        author=author,
        client_id=client_id or uuid.uuid4(),
        body=body,
        **kwargs,
    )


@pytest.mark.django_db
def test_a_message_and_its_email_task_are_stored_in_one_statement(conversation, followed, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with CaptureQueriesContext(connection) as captured:
        message, created = send(conversation, followed.user)
    assert created and message.seq == 1 and message.pk is not None
    statements = [
        query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]
    ]
    assert len(statements) == 1, statements
    stored = Message.objects.get(pk=message.pk)
    assert (stored.seq, stored.author_id, stored.body) == (1, followed.user.pk, "Bonjour")

    # The task row is the one the backend's own enqueue() makes, but for its id and times.
    queued = DBTaskResult.objects.get()
    email_unread_message.using(run_after=queued.run_after).enqueue(message.pk)
    made_by_backend = DBTaskResult.objects.exclude(pk=queued.pk).get()
    fields = [f.attname for f in DBTaskResult._meta.concrete_fields]
    differ = {name for name in fields if getattr(queued, name) != getattr(made_by_backend, name)}
    assert differ == {"id", "enqueued_at"}
    assert queued.args_kwargs == {"args": [message.pk], "kwargs": {}}
    delay = queued.run_after - message.sent_at
    assert delay.total_seconds() == settings.CHAT_UNREAD_EMAIL_DELAY_MINUTES * 60


@pytest.mark.django_db
def test_sending_moves_the_read_mark_and_the_awaited_answer(conversation, followed, referent):
    first, _ = send(conversation, followed.user)
    send(conversation, followed.user)
    conversation.refresh_from_db()
    assert conversation.last_seq == 2
    assert conversation.awaiting_since == first.sent_at  # the oldest unanswered one
    assert ReadMark.objects.get(conversation=conversation, user=followed.user).last_read_seq == 2

    assert not ResponseWait.objects.exists()  # a wait is recorded when it ends

    answer, _ = send(conversation, referent.user, "Réponse")
    conversation.refresh_from_db()
    assert conversation.awaiting_since is None
    assert conversation.last_message_at == answer.sent_at
    assert ReadMark.objects.get(conversation=conversation, user=referent.user).last_read_seq == 3
    wait = ResponseWait.objects.get()
    assert (wait.conversation_id, wait.agency_id) == (conversation.pk, followed.agency_id)
    assert (wait.started_at, wait.answered_at) == (first.sent_at, answer.sent_at)

    # A read mark never moves back.
    ReadMark.objects.filter(user=followed.user).update(last_read_seq=3)
    send(conversation, referent.user)
    ReadMark.objects.filter(user=referent.user).update(last_read_seq=10)
    send(conversation, referent.user)
    assert ReadMark.objects.get(conversation=conversation, user=referent.user).last_read_seq == 10
    assert ResponseWait.objects.count() == 1  # the advisor's further messages end no wait


@pytest.mark.django_db
def test_a_retry_or_a_refusal_writes_nothing(conversation, followed, referent, settings):
    client_id = uuid.uuid4()
    first, _ = send(conversation, followed.user, client_id=client_id)
    again, created = send(conversation, followed.user, "autre texte", client_id=client_id)
    assert not created and again.pk == first.pk and again.body == "Bonjour"
    with pytest.raises(services.ChatError) as refused:
        send(conversation, referent.user, client_id=client_id)
    assert refused.value.code == "client_id_conflict"

    settings.CHAT_RATE_LIMIT_MESSAGES = 1
    with pytest.raises(services.ChatError) as refused:
        send(conversation, followed.user)
    assert refused.value.code == "rate_limited"
    conversation.refresh_from_db()
    assert conversation.last_seq == 1
    assert Message.objects.count() == 1

    with pytest.raises(Conversation.DoesNotExist):
        services.message_send(
            conversation_id=conversation.pk + 1000,
            author=followed.user,
            client_id=uuid.uuid4(),
            body="perdu",
        )


@pytest.mark.django_db
def test_a_retried_file_is_stored_once(conversation, followed, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    client_id = uuid.uuid4()
    for _ in range(2):
        upload = SimpleUploadedFile("cv.pdf", PDF, content_type="application/pdf")
        message, _created = send(conversation, followed.user, "", client_id, attachment=upload)
    stored = list((tmp_path / "chat" / str(conversation.pk)).iterdir())
    assert [path.name for path in stored] == [message.attachment.name.rsplit("/", 1)[1]]
    assert (message.attachment_name, message.attachment_size) == ("cv.pdf", len(PDF))


@pytest.mark.django_db
def test_participants_by_conversation_follows_participant_q(agency):
    absent = AdvisorFactory(agency=agency, backup=AdvisorFactory(agency=agency))
    absent.state = AdvisorState.ABSENT
    absent.save(update_fields=["state"])
    present = AdvisorFactory(agency=agency, backup=AdvisorFactory(agency=agency))
    for referent in (absent, present):
        ConversationFactory(seeker=SeekerFactory(agency=agency, followed=True, referent=referent))
    # A seeker no longer followed online keeps the conversation but leaves it.
    ConversationFactory(seeker=SeekerFactory(agency=agency))
    assert Conversation.objects.exclude(seeker__status=FollowUpStatus.FOLLOWED_ONLINE).count() == 1
    people = [absent.user, absent.backup.user, present.user, present.backup.user]
    people += [conversation.seeker.user for conversation in Conversation.objects.all()]
    ids = list(Conversation.objects.values_list("pk", flat=True))

    found = selectors.participants_by_conversation(ids)

    for conversation_id in ids:
        for user in people:
            expected = selectors.is_participant(user, conversation_id)
            assert ((user.pk, user.role) in found[conversation_id]) is expected, (
                conversation_id,
                user,
            )
    assert sum(len(found[pk]) for pk in ids) == 5


class FakeSocket:
    def __init__(self, user, conversation_id):
        self.user, self.conversation_id, self.checked_at = user, conversation_id, 0.0


@pytest.mark.django_db(transaction=True)
async def test_many_sockets_due_for_a_recheck_share_one_query(agency, monkeypatch):
    advisor = await sync_to_async(AdvisorFactory)(agency=agency)
    conversations = [
        await sync_to_async(ConversationFactory)(
            seeker=await sync_to_async(SeekerFactory)(
                agency=agency, followed=True, referent=advisor
            )
        )
        for _ in range(3)
    ]
    newcomer = await sync_to_async(AdvisorFactory)(agency=agency)
    await sync_to_async(seeker_services.seeker_reassign)(
        seeker=conversations[0].seeker, advisor=newcomer, by=None
    )
    asked = []
    real = selectors.participants_by_conversation

    def counted(ids):
        asked.append(set(ids))
        return real(ids)

    # On asgiref's one thread, like the test's own ORM calls, so that its connection is closed.
    monkeypatch.setattr(consumers, "_participants", sync_to_async(counted))
    rechecks = consumers._Rechecks.of_this_loop()
    sockets = [FakeSocket(advisor.user, conversation.pk) for conversation in conversations]
    for socket in sockets:
        rechecks.consumers.add(socket)
    late = FakeSocket(advisor.user, conversations[1].pk)  # opened after the round started

    answers = await asyncio.gather(*(rechecks.check(socket) for socket in sockets))
    assert answers == [False, True, True]
    assert asked == [{conversation.pk for conversation in conversations}]
    assert sockets[0].checked_at == 0.0 and sockets[1].checked_at > 0
    assert await rechecks.check(late) is None  # not in the round: asks alone
    await sync_to_async(connections.close_all)()


class FlakyLayer:
    """A channel layer whose first group sends fail as a stale pooled Redis connection does."""

    def __init__(self, failures: int):
        self.failures, self.sent = failures, []

    async def group_send(self, group, event):
        if self.failures:
            self.failures -= 1
            raise RedisConnectionError("Connection closed by server.")
        self.sent.append((group, event))


def test_a_publish_is_tried_again_after_a_redis_connection_error(monkeypatch):
    layer = FlakyLayer(failures=services.PUBLISH_ATTEMPTS - 1)
    monkeypatch.setattr(services, "get_channel_layer", lambda: layer)
    services.publish(7, {"type": "chat.message"})
    assert layer.sent == [("chat.conversation.7", {"type": "chat.message"})]


def test_a_publish_gives_up_and_logs_when_redis_stays_away(monkeypatch, caplog):
    layer = FlakyLayer(failures=services.PUBLISH_ATTEMPTS)
    monkeypatch.setattr(services, "get_channel_layer", lambda: layer)
    services.publish(7, {"type": "chat.message"})  # the message is stored: no exception
    assert layer.sent == []
    assert "could not publish chat.message to conversation 7" in caplog.text


@pytest.mark.django_db
def test_a_socket_is_admitted_with_its_presence_row_in_one_statement(
    conversation, followed, referent, backup, other_advisor, chat_manager, stranger_seeker
):
    stale = timezone.now() - dt.timedelta(hours=1)
    OpenSocket.objects.create(
        channel_name="old", conversation=conversation, user=followed.user, seen_at=stale
    )
    with CaptureQueriesContext(connection) as captured:
        admitted = services.socket_join(
            channel_name="tab-1", conversation_id=conversation.pk, user=followed.user
        )
    assert admitted and len(captured.captured_queries) == 1
    # The user's stale row is swept, the new one written.
    assert list(OpenSocket.objects.values_list("channel_name", "user_id")) == [
        ("tab-1", followed.user.pk)
    ]
    assert services.socket_join(
        channel_name="tab-2", conversation_id=conversation.pk, user=referent.user
    )

    # Nobody else: not the backup while the referent is present, another advisor, a manager,
    # another seeker; nor anyone on a conversation that does not exist. Nothing is written.
    for user in (backup.user, other_advisor.user, chat_manager, stranger_seeker.user):
        assert not services.socket_join(
            channel_name=f"x-{user.pk}", conversation_id=conversation.pk, user=user
        )
    assert not services.socket_join(
        channel_name="x", conversation_id=conversation.pk + 1000, user=followed.user
    )
    assert OpenSocket.objects.count() == 2

    # The backup while the referent is absent.
    referent.state = AdvisorState.ABSENT
    referent.save(update_fields=["state"])
    assert services.socket_join(
        channel_name="tab-3", conversation_id=conversation.pk, user=backup.user
    )
    assert selectors.has_open_socket(conversation.pk, backup.user)
