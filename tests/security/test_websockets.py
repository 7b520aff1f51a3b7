"""Websockets on every route (found in portal.routing): Origin and session checks before accept;
logging out, a new password or a deactivation close the person's sockets within 2 seconds;
frames over the size limit close the socket; a flood of frames gets "rate_limited"; 10,000
malformed frames crash nothing."""

import asyncio
import json
import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client, override_settings
from django.urls import reverse

from accounts import sockets as guard
from portal.routing import websocket_urlpatterns

from .conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

# Each route with seeker A's socket path (seeker A may open all four) and a frame it answers.
ROUTES = {
    "ws/equipement/test/": (lambda w: "/ws/equipement/test/", {"type": "probe"}),
    "ws/chat/<int:conversation_id>/": (
        lambda w: f"/ws/chat/{w.conversation_a.pk}/",
        {"type": "ping"},
    ),
    "ws/interviews/<int:appointment_id>/": (
        lambda w: f"/ws/interviews/{w.appointment_a.pk}/",
        {"type": "ping"},
    ),
    "ws/ateliers/sessions/<int:session_id>/": (
        lambda w: f"/ws/ateliers/sessions/{w.live_a.pk}/",
        {"type": "ping"},
    ),
}


def test_every_websocket_route_is_covered():
    assert {str(p.pattern) for p in websocket_urlpatterns} == set(ROUTES)


def _path(route, world):
    return ROUTES[route][0](world)


async def _cookie(user):
    return await sync_to_async(session_cookie)(user)


async def _wait_for_close(socket, within: float) -> dict:
    """Reads what the server sends until it closes the socket; fails after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "the socket was not closed in time"
        try:
            output = await socket.receive_output(timeout=remaining)
        except TimeoutError:
            pytest.fail(f"the socket was not closed within {within} s")
        if output["type"] == "websocket.close":
            return output


async def _answered(socket, frame: dict, within: float = 10) -> dict:
    """Sends a good frame and reads until its answer (pong, or the equipment check's error
    for an unknown type) comes back, skipping the answers to earlier frames."""
    await socket.send_to(text_data=json.dumps(frame))
    deadline = time.monotonic() + within
    while True:
        output = await socket.receive_output(timeout=max(deadline - time.monotonic(), 0.01))
        assert output["type"] == "websocket.send", output
        content = json.loads(output["text"])
        if content.get("type") == "pong":
            return content
        if frame["type"] == "probe" and content.get("code") == "unknown_type":
            return content


# Origin and session -----------------------------------------------------------------------


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("origin", ["http://evil.example", "null", "file://", None])
async def test_a_foreign_null_or_missing_origin_is_refused_before_accept(
    route, origin, world, sockets
):
    cookie = await _cookie(world.seeker_a.user)
    socket, connected, _ = await sockets(_path(route, world), cookie, origin=origin)
    assert connected is False
    assert await socket.receive_nothing(timeout=0.05)


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("cookie", [None, "pas-une-session", ""])
async def test_a_missing_or_bogus_session_is_refused_before_accept(route, cookie, world, sockets):
    socket, connected, _ = await sockets(_path(route, world), cookie)
    assert connected is False
    assert await socket.receive_nothing(timeout=0.05)


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_the_good_origin_and_session_are_accepted(route, world, sockets):
    cookie = await _cookie(world.seeker_a.user)
    socket, connected, _ = await sockets(_path(route, world), cookie)
    assert connected is True
    await _answered(socket, ROUTES[route][1])


# Revocation -----------------------------------------------------------------------------


def _logged_in_client(user):
    client = Client()
    client.force_login(user)
    return client


async def _open_all(world, sockets, cookie):
    opened = []
    for route in sorted(ROUTES):
        socket, connected, _ = await sockets(_path(route, world), cookie)
        assert connected, route
        opened.append(socket)
    return opened


async def test_logging_out_closes_the_sessions_sockets_within_2_seconds(world, sockets):
    client = await sync_to_async(_logged_in_client)(world.seeker_a.user)
    cookie = client.cookies["sessionid"].value
    other_device = await _cookie(world.seeker_a.user)
    opened = await _open_all(world, sockets, cookie)
    elsewhere, connected, _ = await sockets(f"/ws/chat/{world.conversation_a.pk}/", other_device)
    assert connected

    response = await sync_to_async(client.post)(reverse("account_logout"))
    assert response.status_code == 302

    for socket in opened:
        closed = await _wait_for_close(socket, within=2)
        assert closed["code"] == guard.CLOSE_REVOKED
    # Another session of the same person is not logged out.
    await _answered(elsewhere, {"type": "ping"})


async def test_changing_the_password_closes_all_the_persons_sockets_within_2_seconds(
    world, sockets
):
    client = await sync_to_async(_logged_in_client)(world.seeker_a.user)
    opened = await _open_all(world, sockets, client.cookies["sessionid"].value)
    # Another session of the same person (the chat: the interview room lets one page only).
    other, connected, _ = await sockets(
        f"/ws/chat/{world.conversation_a.pk}/", await _cookie(world.seeker_a.user)
    )
    assert connected
    opened.append(other)
    bystander, connected, _ = await sockets(
        f"/ws/chat/{world.conversation_a.pk}/", await _cookie(world.advisor_a.user)
    )
    assert connected

    response = await sync_to_async(client.post)(
        reverse("account_change_password"),
        {
            "oldpassword": "un-mot-de-passe-solide",
            "password1": "Un-nouveau-mot-de-passe-1",
            "password2": "Un-nouveau-mot-de-passe-1",
        },
    )
    assert response.status_code == 302, response.content[:2000]

    for socket in opened:
        closed = await _wait_for_close(socket, within=2)
        assert closed["code"] == guard.CLOSE_REVOKED
    await _answered(bystander, {"type": "ping"})


async def test_deactivating_the_account_closes_its_sockets_within_2_seconds(world, sockets):
    opened = await _open_all(world, sockets, await _cookie(world.seeker_a.user))

    def deactivate():
        user = world.seeker_a.user
        user.is_active = False
        user.save()

    await sync_to_async(deactivate)()

    for socket in opened:
        await _wait_for_close(socket, within=2)
    # And the old session opens nothing any more.
    socket, connected, _ = await sockets(f"/ws/chat/{world.conversation_a.pk}/", None)
    assert not connected


async def test_saving_an_account_without_such_change_closes_nothing(world, sockets):
    socket, connected, _ = await sockets(
        f"/ws/chat/{world.conversation_a.pk}/", await _cookie(world.seeker_a.user)
    )
    assert connected

    def rename():
        user = world.seeker_a.user
        user.first_name = "Zoé"
        user.save()

    await sync_to_async(rename)()
    assert await socket.receive_nothing(timeout=0.5)
    await _answered(socket, {"type": "ping"})


# Size and rate ----------------------------------------------------------------------------


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("kind", ["text", "bytes"])
async def test_a_frame_over_the_size_limit_closes_the_socket(route, kind, world, sockets):
    socket, connected, _ = await sockets(_path(route, world), await _cookie(world.seeker_a.user))
    assert connected
    size = guard.DEFAULT_MAX_FRAME_BYTES + 1
    if kind == "text":
        await socket.send_to(text_data=json.dumps({"type": "ping", "pad": "é" * (size // 2)}))
    else:
        await socket.send_to(bytes_data=b"\0" * size)
    closed = await _wait_for_close(socket, within=2)
    assert closed["code"] == guard.CLOSE_TOO_BIG


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_a_frame_just_under_the_limit_is_answered_not_closed(route, world, sockets):
    socket, connected, _ = await sockets(_path(route, world), await _cookie(world.seeker_a.user))
    assert connected
    await socket.send_to(text_data="x" * guard.DEFAULT_MAX_FRAME_BYTES)
    while True:  # past the welcome and presence notices
        output = await socket.receive_output(timeout=5)
        assert output["type"] == "websocket.send", output
        if json.loads(output["text"])["type"] == "error":
            break


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_a_flood_of_frames_gets_rate_limited(route, world, sockets):
    socket, connected, _ = await sockets(_path(route, world), await _cookie(world.seeker_a.user))
    assert connected
    frame = json.dumps(ROUTES[route][1])
    for _ in range(guard.DEFAULT_RATE_BURST + 50):
        await socket.send_to(text_data=frame)
    codes = []
    # (receive_output's timeout would cancel the application: wait for silence instead.)
    while not await socket.receive_nothing(timeout=1):
        output = await socket.receive_output(timeout=1)
        assert output["type"] == "websocket.send"
        codes.append(json.loads(output["text"]).get("code"))
    assert codes.count("rate_limited") >= 40
    # The bucket refills: the socket is still usable.
    await asyncio.sleep(1)
    await _answered(socket, ROUTES[route][1])


# Malformed frames -------------------------------------------------------------------------

MALFORMED = [
    "",
    "{",
    "}",
    "null",
    "42",
    '"ping"',
    "[]",
    '[{"type": "ping"}]',
    "{}",
    '{"type": null}',
    '{"type": 42}',
    '{"type": ["ping"]}',
    '{"type": {"$ne": 1}}',
    '{"type": "nope"}',
    '{"type": "message.send"}',
    '{"type": "message.send", "client_id": "x", "body": 1}',
    '{"type": "message.send", "client_id": null, "body": {"a": 1}}',
    '{"type": "sync", "after_seq": "1"}',
    '{"type": "sync", "after_seq": -1}',
    '{"type": "sync", "after_seq": 1e400}',
    '{"type": "read", "up_to_seq": true}',
    '{"type": "offer", "sdp": 1}',
    '{"type": "answer", "sdp": "v=0\\r\\nm=zzz"}',
    '{"type": "ice", "candidate": {"candidate": "garbage"}}',
    '{"type": "pin", "seq": "x"}',
    '{"type": "mute", "seeker": "x"}',
    '{"type": "\\ud800"}',
    "\ud800",
    "\x00\x00\x00",
    '{"type": "ping", "a": ' + "[" * 5000 + "]" * 5000 + "}",
    "[" * 60000,
    "[" * 60000 + "]" * 60000,
    '{"a":' * 20000 + "1" + "}" * 20000,
]
BINARY = [b"", b"\x00", b"\xff\xfe", b'{"type": "ping"}']


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_ten_thousand_malformed_frames_crash_nothing(route, world, sockets):
    path = _path(route, world)
    with override_settings(PORTAL_WEBSOCKET_RATE_BURST=10**9):
        socket, connected, _ = await sockets(path, await _cookie(world.seeker_a.user))
        assert connected
        corpus = [("text", frame) for frame in MALFORMED] + [("bytes", b) for b in BINARY]
        for index in range(10_000):
            kind, frame = corpus[index % len(corpus)]
            # send_input: send_to refuses empty frames, which a client may well send.
            await socket.send_input({"type": "websocket.receive", kind: frame})
            if index % 500 == 0:
                await asyncio.sleep(0)  # let the consumer keep up
        closed = False
        while not await socket.receive_nothing(timeout=2):
            output = await socket.receive_output(timeout=1)
            if output["type"] == "websocket.close":
                # A socket may be closed, cleanly, with a code; never by a crash.
                assert output.get("code", 1000) in (1000, 1008, 1009, 4400, 4403), output
                closed = True
                break
            content = json.loads(output["text"])
            assert content.get("code") not in ("server_error", "internal"), content
        good = ROUTES[route][1]
        if not closed:
            # Still usable after the flood.
            await _answered(socket, good)
    # The process survived, and a new socket works.
    fresh, connected, _ = await sockets(path, await _cookie(world.seeker_a.user))
    assert connected
    await _answered(fresh, good)


async def test_brackets_inside_a_message_are_not_nesting(world, sockets):
    socket, connected, _ = await sockets(
        f"/ws/chat/{world.conversation_a.pk}/", await _cookie(world.seeker_a.user)
    )
    assert connected
    body = '\\"[{' + "[" * 1500 + "{" * 1500
    frame = {"type": "message.send", "client_id": str(uuid.uuid4()), "body": body}
    await socket.send_to(text_data=json.dumps(frame))
    output = await socket.receive_json_from(timeout=5)
    assert output["type"] == "message.ack"
    assert output["message"]["body"] == body
