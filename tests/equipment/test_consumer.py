"""The signalling consumer: who may connect, the bounds it keeps, and bad input that never
kills it. Through the full ASGI application, with a real session cookie and Origin."""

import asyncio
import contextlib
import json
import socket
import time

import pytest
from asgiref.sync import sync_to_async
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from equipment.models import CheckState, EquipmentCheck
from equipment.peer import OfferError, slots, validate_offer
from tests.accounts.factories import UserFactory
from tests.equipment.client import ClientPeer, SyntheticVideo, Tone
from tests.equipment.factories import EquipmentCheckFactory

pytestmark = pytest.mark.django_db(transaction=True)

NO_CHANNEL_SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
)
HOSTILE_SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
    "a=sctp-port:99999999999\r\na=max-message-size:-1\r\n"
)


async def offer_and_wait(communicator, peer):
    await communicator.send_json_to({"type": "offer", "sdp": await peer.offer()})
    return await communicator.receive_json_from(timeout=10)


async def test_an_anonymous_visitor_is_refused(connect_ws):
    _communicator, connected, code = await connect_ws(None)
    assert not connected
    assert code == 4401


async def test_another_origin_is_refused(connect_ws, seeker):
    _communicator, connected, _code = await connect_ws(seeker.user, origin=b"https://evil.example")
    assert not connected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ('{"type": 3}', "invalid_message"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "offer"}', "invalid_sdp"),
        ('{"type": "offer", "sdp": 42}', "invalid_sdp"),
        ('{"type": "offer", "sdp": "hello"}', "invalid_sdp"),
        (json.dumps({"type": "offer", "sdp": "v=0\r\n\x00"}), "invalid_sdp"),
        (json.dumps({"type": "offer", "sdp": NO_CHANNEL_SDP}), "no_data_channel"),
        (json.dumps({"type": "offer", "sdp": "v=0\r\n" + "a=x\r\n" * 8000}), "sdp_too_large"),
        (
            json.dumps({"type": "offer", "sdp": "v=0\r\n" + "m=application\r\n" * 7}),
            "sdp_too_large",
        ),
        ("x" * 70000, "message_too_large"),
        (json.dumps({"type": "offer", "sdp": HOSTILE_SDP}), "invalid_sdp"),
    ],
)
async def test_bad_messages_get_a_clear_error_and_the_socket_lives_on(
    connect_ws, seeker, text, code
):
    communicator, connected, _code = await connect_ws(seeker.user)
    assert connected

    await communicator.send_to(text_data=text)
    error = await communicator.receive_json_from(timeout=10)

    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]
    assert await communicator.receive_nothing(timeout=0.2)
    # Still alive: it answers the next message.
    await communicator.send_to(bytes_data=b"\x00\x01")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "binary_not_supported"
    assert not await EquipmentCheck.objects.filter(state=CheckState.RUNNING).aexists()


async def test_an_offer_refused_by_aiortc_leaves_an_interrupted_check(connect_ws, seeker):
    communicator, _connected, _code = await connect_ws(seeker.user)

    await communicator.send_json_to({"type": "offer", "sdp": HOSTILE_SDP})
    error = await communicator.receive_json_from(timeout=10)

    assert error["code"] == "invalid_sdp"
    check = await EquipmentCheck.objects.aget(user=seeker.user)
    assert check.state == CheckState.ABORTED
    assert len(slots) == 0


@given(st.text(max_size=3000))
@hypothesis_settings(max_examples=300, deadline=None)
def test_the_offer_validator_only_ever_raises_offer_errors(text):
    for candidate in (text, "v=0\r\n" + text, "v=0\r\nm=application 9 x\r\n" + text):
        with contextlib.suppress(OfferError):
            assert validate_offer(candidate, max_bytes=32768) == candidate


async def test_the_process_bound_holds_and_the_next_one_is_told_when_to_retry(
    connect_ws, agency, settings
):
    settings.EQUIPMENT_CHECK_MAX_CONCURRENT = 2
    settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS = 15
    users = [await sync_to_async(UserFactory)() for _ in range(5)]
    sockets = [(await connect_ws(user))[0] for user in users]
    peers = [ClientPeer(video=SyntheticVideo(), audio=Tone()) for _ in users]
    try:
        replies = await asyncio.gather(
            *(offer_and_wait(ws, peer) for ws, peer in zip(sockets, peers, strict=True))
        )

        kinds = sorted(reply["type"] for reply in replies)
        assert kinds == ["answer", "answer", "error", "error", "error"]
        assert len(slots) == 2
        refused = [reply for reply in replies if reply["type"] == "error"]
        for reply in refused:
            assert reply["code"] == "busy"
            assert 1 <= reply["retry_after"] <= 15
            assert reply["detail"] == (
                f"Beaucoup de tests sont en cours : réessayez dans {reply['retry_after']} secondes."
            )
        assert await EquipmentCheck.objects.acount() == 2

        # A finished (here: abandoned) check frees its place for the one who waited.
        first = next(i for i, reply in enumerate(replies) if reply["type"] == "answer")
        waiting = next(i for i, reply in enumerate(replies) if reply["type"] == "error")
        await sockets[first].disconnect()
        retry_peer = ClientPeer(video=SyntheticVideo(), audio=Tone())
        peers.append(retry_peer)
        assert (await offer_and_wait(sockets[waiting], retry_peer))["type"] == "answer"
    finally:
        for ws in sockets:
            await ws.disconnect()
        for peer in peers:
            await peer.close()
    assert len(slots) == 0
    assert not await EquipmentCheck.objects.filter(state=CheckState.RUNNING).aexists()


async def test_one_check_at_a_time_per_user(connect_ws, seeker):
    first, _c, _code = await connect_ws(seeker.user)
    second, _c, _code = await connect_ws(seeker.user)
    peers = [ClientPeer(video=SyntheticVideo(), audio=Tone()) for _ in range(3)]
    try:
        assert (await offer_and_wait(first, peers[0]))["type"] == "answer"
        again = await offer_and_wait(first, peers[1])
        elsewhere = await offer_and_wait(second, peers[2])
    finally:
        for peer in peers:
            await peer.close()

    assert again["code"] == "already_running"
    assert elsewhere["code"] == "already_running"
    assert elsewhere["detail"] == "Un test est déjà en cours pour vous : attendez son résultat."
    assert await EquipmentCheck.objects.filter(user=seeker.user).acount() == 1


async def test_the_rate_limit_refuses_with_the_wait(connect_ws, seeker, settings):
    settings.EQUIPMENT_CHECK_RATE_LIMIT = 2
    settings.EQUIPMENT_CHECK_RATE_WINDOW_SECONDS = 600
    await sync_to_async(EquipmentCheckFactory.create_batch)(2, user=seeker.user)
    communicator, _c, _code = await connect_ws(seeker.user)
    peer = ClientPeer(video=SyntheticVideo(), audio=Tone())
    try:
        refused = await offer_and_wait(communicator, peer)
    finally:
        await peer.close()

    assert refused["code"] == "rate_limited"
    assert 590 <= refused["retry_after"] <= 600
    assert refused["detail"] == (
        "Vous avez lancé beaucoup de tests récemment : réessayez dans 10 minutes."
    )
    assert await EquipmentCheck.objects.filter(user=seeker.user).acount() == 2


async def test_an_unreachable_stun_server_does_not_stall_the_answer(connect_ws, seeker, settings):
    # A UDP socket that never answers: the STUN server is "up" but silent.
    black_hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    black_hole.bind(("0.0.0.0", 0))  # noqa: S104 - reached from every host candidate
    from aioice.ice import get_host_addresses

    host = next(address for address in get_host_addresses(True, False))
    settings.EQUIPMENT_CHECK_ICE_SERVERS = [f"stun:{host}:{black_hole.getsockname()[1]}"]
    settings.EQUIPMENT_CHECK_GATHER_SECONDS = 1
    communicator, _c, _code = await connect_ws(seeker.user)
    peer = ClientPeer(video=SyntheticVideo(), audio=Tone())
    try:
        started = time.monotonic()
        reply = await offer_and_wait(communicator, peer)
        elapsed = time.monotonic() - started
    finally:
        await peer.close()
        black_hole.close()

    assert reply["type"] == "answer"
    assert elapsed < 2.5, f"the answer took {elapsed:.1f} s"


async def test_a_deactivated_user_is_refused(connect_ws, seeker):
    seeker.user.is_active = False
    await seeker.user.asave(update_fields=["is_active"])

    _communicator, connected, _code = await connect_ws(seeker.user)

    assert not connected
