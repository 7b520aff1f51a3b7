"""The chat protocol through the full ASGI application, with real sessions and Origins."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import override_settings

from advisors.models import AdvisorState
from chat import consumers, services
from chat.models import Message, OpenSocket, ReadMark
from portal.layers import GAP
from seekers import services as seeker_services
from tests.advisors.factories import AdvisorFactory

from .conftest import communicator, session_cookie
from .factories import MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)


def send_frame(body="Bonjour", client_id=None):
    return {"type": "message.send", "client_id": str(client_id or uuid.uuid4()), "body": body}


@pytest.fixture
def cookies(followed, referent, backup):
    return {
        "seeker": session_cookie(followed.user),
        "referent": session_cookie(referent.user),
        "backup": session_cookie(backup.user),
    }


# Refusals at the handshake ------------------------------------------------------------------


async def _refused(conversation_id, cookie, origin="http://127.0.0.1:8000"):
    socket = communicator(conversation_id, cookie=cookie, origin=origin)
    connected, _ = await socket.connect(timeout=5)
    assert connected is False
    # Nothing was sent before the refusal.
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_anonymous_is_refused(conversation):
    await _refused(conversation.pk, None)


async def test_a_bogus_session_is_refused(conversation):
    await _refused(conversation.pk, "not-a-session")


async def test_another_seeker_is_refused(conversation, stranger_seeker):
    await _refused(conversation.pk, await sync_to_async(session_cookie)(stranger_seeker.user))


async def test_an_advisor_who_does_not_follow_the_seeker_is_refused(conversation, other_advisor):
    await _refused(conversation.pk, await sync_to_async(session_cookie)(other_advisor.user))


async def test_a_manager_is_refused(conversation, chat_manager):
    await _refused(conversation.pk, await sync_to_async(session_cookie)(chat_manager))


async def test_the_backup_is_refused_while_the_referent_is_active(conversation, cookies):
    await _refused(conversation.pk, cookies["backup"])


async def test_a_foreign_origin_is_refused(conversation, cookies):
    await _refused(conversation.pk, cookies["seeker"], origin="https://evil.example")


async def test_a_missing_origin_is_refused(conversation, cookies):
    await _refused(conversation.pk, cookies["seeker"], origin=None)


async def test_a_missing_conversation_is_refused(conversation, cookies):
    await _refused(conversation.pk + 1000, cookies["seeker"])


async def test_participants_connect(conversation, cookies, referent, open_socket):
    await open_socket(conversation.pk, cookies["seeker"])
    await open_socket(conversation.pk, cookies["referent"])
    # The backup joins only while the referent is absent.
    referent.state = AdvisorState.ABSENT
    await sync_to_async(referent.save)()
    await open_socket(conversation.pk, cookies["backup"])


# Sending ------------------------------------------------------------------------------------


async def test_a_message_is_stored_acked_and_delivered_to_every_other_socket(
    conversation, cookies, open_socket
):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    seeker_tab = await open_socket(conversation.pk, cookies["seeker"])
    advisor = await open_socket(conversation.pk, cookies["referent"])
    client_id = uuid.uuid4()

    await seeker.send_json_to(send_frame("Bonjour, j'ai une question", client_id))

    ack = await seeker.receive_json_from(timeout=5)
    assert ack["type"] == "message.ack"
    assert ack["client_id"] == str(client_id)
    message = ack["message"]
    assert message["seq"] == 1
    assert message["body"] == "Bonjour, j'ai une question"
    assert message["author"]["role"] == "seeker"
    assert set(message) >= {"id", "seq", "client_id", "author", "body", "sent_at"}
    assert set(message["author"]) == {"id", "name", "role"}
    stored = await Message.objects.aget(pk=message["id"])
    assert stored.seq == 1 and stored.client_id == client_id

    for other in (advisor, seeker_tab):
        new = await other.receive_json_from(timeout=5)
        assert new == {"type": "message.new", "message": message}
    # The sender's socket got the ack, not a second copy.
    assert await seeker.receive_nothing(timeout=0.3)
    assert await advisor.receive_nothing(timeout=0.1)


async def test_messages_arrive_in_order_with_consecutive_seqs(conversation, cookies, open_socket):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    advisor = await open_socket(conversation.pk, cookies["referent"])

    for number in range(1, 8):
        await seeker.send_json_to(send_frame(f"message {number}"))
    acks = [await seeker.receive_json_from(timeout=5) for _ in range(7)]
    received = [await advisor.receive_json_from(timeout=5) for _ in range(7)]

    assert [ack["message"]["seq"] for ack in acks] == list(range(1, 8))
    assert [event["message"]["seq"] for event in received] == list(range(1, 8))
    assert [event["message"]["body"] for event in received] == [f"message {n}" for n in range(1, 8)]


async def test_a_retry_with_the_same_client_id_returns_the_same_message_and_writes_nothing(
    conversation, cookies, open_socket
):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    advisor = await open_socket(conversation.pk, cookies["referent"])
    frame = send_frame("Une seule fois")

    await seeker.send_json_to(frame)
    first = await seeker.receive_json_from(timeout=5)
    await advisor.receive_json_from(timeout=5)
    # The retry may even come over another socket, after a reconnection.
    await seeker.disconnect()
    again = await open_socket(conversation.pk, cookies["seeker"])
    await again.send_json_to(frame)
    second = await again.receive_json_from(timeout=5)

    assert second == first
    assert await Message.objects.filter(conversation=conversation).acount() == 1
    assert await advisor.receive_nothing(timeout=0.3)


async def test_sync_returns_every_message_missed_while_away(conversation, cookies, open_socket):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    advisor = await open_socket(conversation.pk, cookies["referent"])
    await seeker.send_json_to(send_frame("avant"))
    await seeker.receive_json_from(timeout=5)
    await advisor.receive_json_from(timeout=5)
    await advisor.disconnect()

    for number in range(3):
        await seeker.send_json_to(send_frame(f"pendant {number}"))
        await seeker.receive_json_from(timeout=5)

    advisor = await open_socket(conversation.pk, cookies["referent"])
    await advisor.send_json_to({"type": "sync", "after_seq": 1})
    history = await advisor.receive_json_from(timeout=5)

    assert history["type"] == "message.history"
    assert [m["seq"] for m in history["messages"]] == [2, 3, 4]
    assert [m["body"] for m in history["messages"]] == ["pendant 0", "pendant 1", "pendant 2"]
    assert history["has_more"] is False
    await advisor.send_json_to({"type": "sync", "after_seq": 4})
    assert (await advisor.receive_json_from(timeout=5))["messages"] == []


@override_settings(CHAT_SYNC_LIMIT=2)
async def test_sync_pages_with_has_more(conversation, cookies, open_socket):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    for number in range(3):
        await seeker.send_json_to(send_frame(f"m{number}"))
        await seeker.receive_json_from(timeout=5)

    await seeker.send_json_to({"type": "sync", "after_seq": 0})
    page = await seeker.receive_json_from(timeout=5)
    assert [m["seq"] for m in page["messages"]] == [1, 2]
    assert page["has_more"] is True


# Typing and read receipts ---------------------------------------------------------------------


async def test_typing_reaches_only_the_other_side(conversation, cookies, open_socket):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    seeker_tab = await open_socket(conversation.pk, cookies["seeker"])
    advisor = await open_socket(conversation.pk, cookies["referent"])

    await seeker.send_json_to({"type": "typing"})

    event = await advisor.receive_json_from(timeout=5)
    assert event["type"] == "typing"
    assert event["author"]["role"] == "seeker"
    assert await seeker.receive_nothing(timeout=0.3)
    assert await seeker_tab.receive_nothing(timeout=0.1)


async def test_read_marks_and_sends_a_receipt_to_the_other_side_only(
    conversation, cookies, referent, open_socket
):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    advisor = await open_socket(conversation.pk, cookies["referent"])
    advisor_tab = await open_socket(conversation.pk, cookies["referent"])
    for number in range(2):
        await seeker.send_json_to(send_frame(f"m{number}"))
        await seeker.receive_json_from(timeout=5)
        await advisor.receive_json_from(timeout=5)
        await advisor_tab.receive_json_from(timeout=5)

    await advisor.send_json_to({"type": "read", "up_to_seq": 2})

    receipt = await seeker.receive_json_from(timeout=5)
    assert receipt["type"] == "read.receipt"
    assert receipt["up_to_seq"] == 2
    assert receipt["reader"]["id"] == referent.user_id
    assert await advisor.receive_nothing(timeout=0.3)
    assert await advisor_tab.receive_nothing(timeout=0.1)
    mark = await ReadMark.objects.aget(conversation=conversation, user_id=referent.user_id)
    assert mark.last_read_seq == 2
    # Reading the same again changes nothing and tells nobody.
    await advisor.send_json_to({"type": "read", "up_to_seq": 2})
    assert await seeker.receive_nothing(timeout=0.3)


# Errors: the socket stays open ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (json.dumps(send_frame("")), "empty_body"),
        (json.dumps(send_frame("   \n ")), "empty_body"),
        (json.dumps(send_frame("x" * 4001)), "body_too_long"),
        (json.dumps({"type": "message.send", "body": "hi", "client_id": "nope"}), "bad_client_id"),
        (
            json.dumps({"type": "message.send", "body": 12, "client_id": str(uuid.uuid4())}),
            "empty_body",
        ),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (json.dumps({"type": "sync", "after_seq": -1}), "bad_request"),
        (json.dumps({"type": "sync", "after_seq": "3"}), "bad_request"),
        (json.dumps({"type": "read"}), "bad_request"),
        (json.dumps([1, 2]), "bad_request"),
        ("{not json", "bad_json"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(
    conversation, cookies, open_socket, raw, code
):
    seeker = await open_socket(conversation.pk, cookies["seeker"])

    await seeker.send_to(text_data=raw)
    error = await seeker.receive_json_from(timeout=5)

    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]
    assert await Message.objects.acount() == 0
    await seeker.send_json_to(send_frame("toujours là"))
    assert (await seeker.receive_json_from(timeout=5))["type"] == "message.ack"


async def test_a_body_of_exactly_4000_characters_is_accepted(conversation, cookies, open_socket):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    await seeker.send_json_to(send_frame("é" * 4000))
    ack = await seeker.receive_json_from(timeout=5)
    assert ack["type"] == "message.ack"
    assert len(ack["message"]["body"]) == 4000


@override_settings(CHAT_RATE_LIMIT_MESSAGES=3, CHAT_RATE_LIMIT_SECONDS=60)
async def test_the_rate_limit_is_per_user_and_never_refuses_a_retry(
    conversation, cookies, open_socket
):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    seeker_tab = await open_socket(conversation.pk, cookies["seeker"])
    first = send_frame("1")
    await seeker.send_json_to(first)
    await seeker.receive_json_from(timeout=5)
    assert (await seeker_tab.receive_json_from(timeout=5))["type"] == "message.new"
    for body in ("2", "3"):
        # Another tab of the same person counts against the same limit.
        await seeker_tab.send_json_to(send_frame(body))
        assert (await seeker_tab.receive_json_from(timeout=5))["type"] == "message.ack"
    for _ in range(2):
        assert (await seeker.receive_json_from(timeout=5))["type"] == "message.new"

    await seeker.send_json_to(send_frame("4"))
    error = await seeker.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "rate_limited"
    await seeker.send_json_to(first)
    assert (await seeker.receive_json_from(timeout=5))["type"] == "message.ack"
    # The advisor is another person, with a limit of their own.
    advisor = await open_socket(conversation.pk, cookies["referent"])
    await advisor.send_json_to(send_frame("réponse"))
    ack = await advisor.receive_json_from(timeout=5)
    assert ack["type"] == "message.ack"
    assert await Message.objects.acount() == 4


# Participation changes ------------------------------------------------------------------------


async def test_a_former_referent_stops_hearing_the_conversation(
    conversation, cookies, followed, agency, monkeypatch, open_socket
):
    monkeypatch.setattr("chat.consumers.RECHECK_SECONDS", 0)
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    former = await open_socket(conversation.pk, cookies["referent"])
    newcomer = await sync_to_async(AdvisorFactory)(agency=agency)
    await sync_to_async(seeker_services.seeker_reassign)(seeker=followed, advisor=newcomer, by=None)

    await seeker.send_json_to(send_frame("pour mon nouveau conseiller"))
    await seeker.receive_json_from(timeout=5)

    closed = await former.receive_output(timeout=5)
    assert closed["type"] == "websocket.close"
    newcomer_socket = await open_socket(
        conversation.pk, await sync_to_async(session_cookie)(newcomer.user)
    )
    await newcomer_socket.send_json_to({"type": "sync", "after_seq": 0})
    history = await newcomer_socket.receive_json_from(timeout=5)
    assert [m["body"] for m in history["messages"]] == ["pour mon nouveau conseiller"]


# Pings ----------------------------------------------------------------------------------------


async def test_a_ping_refreshes_presence_and_tells_the_last_seq(
    conversation, cookies, open_socket, monkeypatch
):
    """The pong's last_seq reveals a message whose event never reached this socket."""
    monkeypatch.setattr(consumers, "TOUCH_INTERVAL", 0)
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    opened_at = await OpenSocket.objects.values_list("seen_at", flat=True).aget()
    # Stored without any event published: as if the channel layer had dropped it.
    await sync_to_async(MessageFactory)(conversation=conversation, from_advisor=True)

    await seeker.send_json_to({"type": "ping"})

    assert await seeker.receive_json_from(timeout=5) == {"type": "pong", "last_seq": 1}
    assert await OpenSocket.objects.values_list("seen_at", flat=True).aget() > opened_at
    monkeypatch.setattr(consumers, "TOUCH_INTERVAL", 3600)
    await seeker.send_json_to({"type": "ping"})
    assert await seeker.receive_json_from(timeout=5) == {"type": "pong"}  # not asked again


async def test_a_gap_in_the_channel_layer_asks_the_clients_to_sync_on_the_open_socket(
    conversation, cookies, open_socket
):
    seeker = await open_socket(conversation.pk, cookies["seeker"])
    advisor = await open_socket(conversation.pk, cookies["referent"])
    # Stored while its event was lost.
    await sync_to_async(MessageFactory)(conversation=conversation, from_advisor=True)

    # What portal.layers gives each channel of a group when events may have been lost.
    await get_channel_layer().group_send(services.group_name(conversation.pk), {"type": GAP})

    for socket in (seeker, advisor):
        assert await socket.receive_json_from(timeout=5) == {"type": "resync"}
    # The socket stays open, and the client's sync brings what was lost.
    await seeker.send_json_to({"type": "sync", "after_seq": 0})
    history = await seeker.receive_json_from(timeout=5)
    assert [m["seq"] for m in history["messages"]] == [1]
