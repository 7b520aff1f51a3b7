"""The session room through the full ASGI application (Origin check, session auth, routing):
who may join, durable group chat (seq, client_id idempotency, sync), facilitator controls and
attendance from who joined."""

import contextlib
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from ateliers import services
from ateliers.models import LiveSession, Registration, RoomMessage
from portal.layers import CLOSE_RESYNC, GAP
from tests.ateliers.factories import LiveSessionFactory
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://127.0.0.1:8000"


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(session_id: int, *, cookie, origin=ORIGIN):
    from portal.asgi import application

    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(
        application, f"/ws/ateliers/sessions/{session_id}/", headers=headers
    )


@pytest.fixture
async def open_socket():
    # A fresh Redis channel layer per test: each test runs on its own event loop, and a layer
    # whose pools were made on an earlier test's loop fails with "Connection closed by server".
    channel_layers.backends.clear()
    opened = []

    async def _open(session_id, cookie, *, origin=ORIGIN, expect=True):
        socket = communicator(session_id, cookie=cookie, origin=origin)
        connected, _ = await socket.connect(timeout=5)
        assert connected is expect
        if connected:
            opened.append(socket)
            welcome = await socket.receive_json_from(timeout=5)
            assert welcome["type"] == "welcome"
            socket.welcome = welcome
        else:
            assert await socket.receive_nothing(timeout=0.1)
            await socket.disconnect()
        return socket

    yield _open
    for socket in opened:
        with contextlib.suppress(Exception):
            await socket.disconnect()
    layer = get_channel_layer()
    with contextlib.suppress(Exception):
        await layer.flush()
    if hasattr(layer, "close_pools"):
        await layer.close_pools()
    # The async ORM of the test ran in asgiref's shared thread: give its connection back.
    await sync_to_async(connections.close_all)()


@pytest.fixture
def room(advisor, agency):
    live = LiveSessionFactory(facilitator=advisor, open_now=True, capacity=2)
    first = SeekerFactory(agency=agency)
    second = SeekerFactory(agency=agency)
    waiting = SeekerFactory(agency=agency)
    Registration.objects.create(session=live, seeker=first, status="registered")
    Registration.objects.create(session=live, seeker=second, status="registered")
    Registration.objects.create(session=live, seeker=waiting, status="waiting")
    return {
        "live": live,
        "first": first,
        "second": second,
        "cookies": {
            "facilitator": session_cookie(advisor.user),
            "first": session_cookie(first.user),
            "second": session_cookie(second.user),
            "waiting": session_cookie(waiting.user),
        },
    }


def send_frame(body="Bonjour", client_id=None):
    return {"type": "message.send", "client_id": str(client_id or uuid.uuid4()), "body": body}


async def test_refused_people(room, open_socket, other_advisor, agency):
    live = room["live"]
    stranger = await sync_to_async(SeekerFactory)(agency=agency)
    await open_socket(live.pk, None, expect=False)
    await open_socket(live.pk, room["cookies"]["waiting"], expect=False)
    await open_socket(live.pk, await sync_to_async(session_cookie)(stranger.user), expect=False)
    await open_socket(
        live.pk, await sync_to_async(session_cookie)(other_advisor.user), expect=False
    )
    # A registered seeker without an Origin header is refused by the Origin check.
    await open_socket(live.pk, room["cookies"]["first"], origin=None, expect=False)
    await open_socket(live.pk, room["cookies"]["first"], origin="http://evil.test", expect=False)


async def test_room_closed_outside_its_window(advisor, agency, open_socket):
    live = await sync_to_async(LiveSessionFactory)(facilitator=advisor, capacity=2)  # in 3 days
    seeker = await sync_to_async(SeekerFactory)(agency=agency)
    await Registration.objects.acreate(session=live, seeker=seeker, status="registered")
    await open_socket(live.pk, await sync_to_async(session_cookie)(seeker.user), expect=False)
    await open_socket(live.pk, await sync_to_async(session_cookie)(advisor.user), expect=False)


async def test_messages_are_numbered_acknowledged_and_delivered_once(room, open_socket):
    live = room["live"]
    first = await open_socket(live.pk, room["cookies"]["first"])
    second = await open_socket(live.pk, room["cookies"]["second"])
    facilitator = await open_socket(live.pk, room["cookies"]["facilitator"])
    assert facilitator.welcome["facilitator"] is True and first.welcome["facilitator"] is False

    client_id = uuid.uuid4()
    await first.send_json_to(send_frame("Bonjour à tous", client_id))
    ack = await first.receive_json_from(timeout=5)
    assert ack["type"] == "message.ack" and ack["message"]["seq"] == 1
    for other in (second, facilitator):
        new = await other.receive_json_from(timeout=5)
        assert new["type"] == "message.new" and new["message"]["body"] == "Bonjour à tous"
    assert await first.receive_nothing(timeout=0.2)  # the sender gets no echo

    # A retry with the same client_id stores nothing and tells nobody.
    await first.send_json_to(send_frame("Bonjour à tous", client_id))
    again = await first.receive_json_from(timeout=5)
    assert again["message"]["seq"] == 1
    assert await second.receive_nothing(timeout=0.3)
    assert await RoomMessage.objects.filter(session=live).acount() == 1

    await facilitator.send_json_to(send_frame("Bienvenue"))
    assert (await facilitator.receive_json_from(timeout=5))["message"]["seq"] == 2
    await second.receive_json_from(timeout=5)
    await first.receive_json_from(timeout=5)

    # A late joiner catches up with sync.
    await second.send_json_to({"type": "sync", "after_seq": 0})
    history = await second.receive_json_from(timeout=5)
    assert [m["seq"] for m in history["messages"]] == [1, 2]
    assert history["has_more"] is False


async def test_bad_frames_get_errors_and_the_socket_lives(room, open_socket):
    socket = await open_socket(room["live"].pk, room["cookies"]["first"])
    await socket.send_to(text_data="not json")
    assert (await socket.receive_json_from(timeout=5))["code"] == "bad_json"
    await socket.send_json_to({"type": "nope"})
    assert (await socket.receive_json_from(timeout=5))["code"] == "unknown_type"
    await socket.send_json_to({"type": "message.send", "client_id": "x", "body": "a"})
    assert (await socket.receive_json_from(timeout=5))["code"] == "bad_client_id"
    await socket.send_json_to(send_frame("   "))
    assert (await socket.receive_json_from(timeout=5))["code"] == "empty_body"
    await socket.send_json_to({"type": "sync", "after_seq": -1})
    error = await socket.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "bad_request"
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(timeout=5))["type"] == "pong"


async def test_only_the_facilitator_pins_and_mutes(room, open_socket):
    live = room["live"]
    first = await open_socket(live.pk, room["cookies"]["first"])
    second = await open_socket(live.pk, room["cookies"]["second"])
    facilitator = await open_socket(live.pk, room["cookies"]["facilitator"])
    await first.send_json_to(send_frame("Question importante"))
    await first.receive_json_from(timeout=5)
    await second.receive_json_from(timeout=5)
    await facilitator.receive_json_from(timeout=5)

    await first.send_json_to({"type": "pin", "seq": 1})
    assert (await first.receive_json_from(timeout=5))["code"] == "forbidden"
    await first.send_json_to({"type": "mute", "user_id": room["second"].user_id})
    assert (await first.receive_json_from(timeout=5))["code"] == "forbidden"
    assert await second.receive_nothing(timeout=0.2)

    await facilitator.send_json_to({"type": "pin", "seq": 1})
    for socket in (first, second, facilitator):
        pinned = await socket.receive_json_from(timeout=5)
        assert pinned["type"] == "pinned" and pinned["message"]["seq"] == 1
    assert (await LiveSession.objects.aget(pk=live.pk)).pinned_message_id is not None

    await facilitator.send_json_to(
        {"type": "mute", "user_id": room["second"].user_id, "muted": True}
    )
    assert (await second.receive_json_from(timeout=5)) == {
        "type": "muted",
        "user_id": room["second"].user_id,
        "muted": True,
    }
    assert (await facilitator.receive_json_from(timeout=5))["type"] == "muted"
    assert await first.receive_nothing(timeout=0.2)  # others are not told who is muted
    await second.send_json_to(send_frame("Je parle quand même"))
    assert (await second.receive_json_from(timeout=5))["code"] == "muted"
    assert await first.receive_nothing(timeout=0.3)
    assert await RoomMessage.objects.filter(session=live).acount() == 1

    # A newcomer sees the pinned message on arrival.
    again = await open_socket(live.pk, room["cookies"]["first"])
    assert again.welcome["pinned"]["body"] == "Question importante"


async def test_attendance_taken_from_who_joined(room, open_socket):
    live = room["live"]
    await open_socket(live.pk, room["cookies"]["first"])
    await open_socket(live.pk, room["cookies"]["facilitator"])
    first = await Registration.objects.aget(session=live, seeker=room["first"])
    second = await Registration.objects.aget(session=live, seeker=room["second"])
    assert first.joined_at is not None and first.attended
    assert second.joined_at is None and not second.attended


async def test_a_flood_is_refused_but_retries_are_not(room, open_socket):
    from ateliers import services

    socket = await open_socket(room["live"].pk, room["cookies"]["first"])
    first_id = uuid.uuid4()
    for index in range(services.ROOM_RATE_MESSAGES):
        await socket.send_json_to(send_frame(f"m{index}", first_id if index == 0 else None))
        assert (await socket.receive_json_from(timeout=5))["type"] == "message.ack"
    await socket.send_json_to(send_frame("one too many"))
    assert (await socket.receive_json_from(timeout=5))["code"] == "rate_limited"
    await socket.send_json_to(send_frame("m0", first_id))  # a retry is still acknowledged
    ack = await socket.receive_json_from(timeout=5)
    assert ack["type"] == "message.ack" and ack["message"]["seq"] == 1


async def test_a_gap_in_the_channel_layer_closes_the_socket_for_its_client_to_sync(
    room, open_socket
):
    live = room["live"]
    seeker = await open_socket(live.pk, room["cookies"]["first"])

    # What portal.layers gives each channel of a group when events may have been lost.
    await get_channel_layer().group_send(services.room_group(live.pk), {"type": GAP})

    assert await seeker.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": CLOSE_RESYNC,
    }
