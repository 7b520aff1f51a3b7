"""50 senders at once, in real concurrent PostgreSQL transactions: seqs 1..50, no gap, no repeat."""

import asyncio
import threading
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections
from django.test import override_settings

from chat import services
from chat.models import Message, ResponseWait
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory

from .conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 50


def test_fifty_concurrent_senders_get_gap_free_seqs(conversation, followed, referent):
    assert connection.vendor == "postgresql"
    authors = [followed.user, referent.user]
    barrier = threading.Barrier(SENDERS)
    errors, seqs = [], []

    def send(number):
        try:
            barrier.wait(timeout=30)
            message, created = services.message_send(
                conversation_id=conversation.pk,
                author=authors[number % 2],
                client_id=uuid.uuid4(),
                body=f"message {number}",
                rate_limited=False,
            )
            assert created
            seqs.append(message.seq)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(seqs) == list(range(1, SENDERS + 1))
    stored = list(Message.objects.filter(conversation=conversation).values_list("seq", flat=True))
    assert sorted(stored) == list(range(1, SENDERS + 1))
    conversation.refresh_from_db()
    assert conversation.last_seq == SENDERS

    # Each wait that an advisor's message ended, in the order the seqs give, is recorded once:
    # every writer read the wait its predecessor left under the row lock, none a stale one.
    expected, since = [], None
    for role, sent_at in Message.objects.filter(conversation=conversation).values_list(
        "author_role", "sent_at"
    ):
        if role == "seeker":
            since = since or sent_at
        elif since is not None:
            expected.append((since, sent_at))
            since = None
    recorded = list(
        ResponseWait.objects.filter(conversation=conversation)
        .order_by("answered_at", "started_at")
        .values_list("started_at", "answered_at")
    )
    assert expected and sorted(recorded) == sorted(expected)


def test_concurrent_retries_of_one_client_id_store_one_message(conversation, followed):
    client_id = uuid.uuid4()
    barrier = threading.Barrier(10)
    results, errors = [], []

    def send():
        try:
            barrier.wait(timeout=30)
            results.append(
                services.message_send(
                    conversation_id=conversation.pk,
                    author=followed.user,
                    client_id=client_id,
                    body="une fois",
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len({message.pk for message, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Message.objects.filter(conversation=conversation).count() == 1


@override_settings(CHAT_RATE_LIMIT_MESSAGES=1000)
async def test_fifty_sockets_sending_at_once_through_the_consumer(
    conversation, followed, referent, agency, open_socket
):
    cookies = [await sync_to_async(session_cookie)(user) for user in (followed.user, referent.user)]
    sockets = [await open_socket(conversation.pk, cookies[n % 2]) for n in range(SENDERS)]

    await asyncio.gather(
        *(
            socket.send_json_to(
                {"type": "message.send", "client_id": str(uuid.uuid4()), "body": f"m{n}"}
            )
            for n, socket in enumerate(sockets)
        )
    )

    # Every socket gets its own ack and the 49 other messages, each exactly once.
    for socket in sockets:
        frames = [await socket.receive_json_from(timeout=20) for _ in range(SENDERS)]
        assert sum(frame["type"] == "message.ack" for frame in frames) == 1
        seqs = sorted(frame["message"]["seq"] for frame in frames)
        assert seqs == list(range(1, SENDERS + 1))
        assert await socket.receive_nothing(timeout=0.05)
    stored = await sync_to_async(list)(
        Message.objects.filter(conversation=conversation).values_list("seq", flat=True)
    )
    assert sorted(stored) == list(range(1, SENDERS + 1))


def test_each_conversation_numbers_its_own_messages(db):
    first = SeekerFactory(followed=True, referent=AdvisorFactory())
    second = SeekerFactory(followed=True, referent=AdvisorFactory())
    one = services.conversation_for_seeker(seeker=first)
    two = services.conversation_for_seeker(seeker=second)
    for conversation, author in ((one, first.user), (two, second.user), (one, first.user)):
        services.message_send(
            conversation_id=conversation.pk, author=author, client_id=uuid.uuid4(), body="x"
        )
    assert list(one.messages.values_list("seq", flat=True)) == [1, 2]
    assert list(two.messages.values_list("seq", flat=True)) == [1]
