"""Every server peer is closed: at the end, on timeout, on stop, on disconnect."""

import asyncio
import threading
import time

import pytest
from asgiref.sync import sync_to_async

from equipment.models import CheckState, EquipmentCheck, Verdict
from equipment.peer import slots
from tests.equipment.client import ClientPeer, SyntheticVideo, Tone
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def live_threads() -> list[str]:
    """aiortc's decoder threads (not daemons): they run until their peer connection closes."""
    return [t.name for t in threading.enumerate() if t.name.endswith("-decoder")]


async def no_thread_left(within: float = 5) -> bool:
    deadline = time.monotonic() + within
    while live_threads():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def start(communicator, peer, *, apply_answer=True):
    await communicator.send_json_to({"type": "offer", "sdp": await peer.offer()})
    answer = await communicator.receive_json_from(timeout=10)
    assert answer["type"] == "answer"
    if apply_answer:
        await peer.accept(answer["sdp"])
        assert (await communicator.receive_json_from(timeout=10))["stage"] == "measuring"


async def test_a_peer_that_never_connects_fails_at_the_timeout(connect_ws, agency, settings):
    settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS = 2
    seeker = await sync_to_async(SeekerFactory)(agency=agency, awaiting_check=True)
    communicator, _c, _code = await connect_ws(seeker.user)
    peer = ClientPeer(video=SyntheticVideo(), audio=Tone())
    started = time.monotonic()
    try:
        await start(communicator, peer, apply_answer=False)
        verdict = await communicator.receive_json_from(timeout=10)
    finally:
        await peer.close()

    assert time.monotonic() - started < 4
    assert verdict["verdict"] == Verdict.FAILED
    assert [reason["code"] for reason in verdict["reasons"]] == ["connection_failed"]
    assert verdict["reasons"][0]["text"].startswith("La connexion vidéo n'a pas pu s'établir")
    assert len(slots) == 0
    assert await no_thread_left()


async def test_disconnecting_mid_check_closes_the_peer_and_interrupts_the_check(connect_ws, agency):
    seeker = await sync_to_async(SeekerFactory)(agency=agency, awaiting_check=True)
    communicator, _c, _code = await connect_ws(seeker.user)
    peer = ClientPeer(video=SyntheticVideo(), audio=Tone())
    await start(communicator, peer)
    await asyncio.sleep(0.5)
    assert live_threads(), "frames should be decoding"

    await communicator.disconnect()
    await peer.close()

    assert await no_thread_left()
    assert len(slots) == 0
    check = await EquipmentCheck.objects.aget(user=seeker.user)
    assert check.state == CheckState.ABORTED
    assert check.finished_at is not None


async def test_stop_ends_the_check_without_a_verdict(connect_ws, agency):
    seeker = await sync_to_async(SeekerFactory)(agency=agency, awaiting_check=True)
    communicator, _c, _code = await connect_ws(seeker.user)
    peer = ClientPeer(video=SyntheticVideo(), audio=Tone())
    try:
        await start(communicator, peer)
        await communicator.send_json_to({"type": "stop"})
        assert await communicator.receive_nothing(timeout=1)
    finally:
        await peer.close()

    assert await no_thread_left()
    assert (await EquipmentCheck.objects.aget(user=seeker.user)).state == CheckState.ABORTED


async def test_a_failure_on_our_side_is_said_and_leaves_the_socket_usable(
    connect_ws, agency, monkeypatch, caplog
):
    from equipment import services

    real_finish = services.check_finish
    calls = []

    def failing_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real_finish(**kwargs)

    monkeypatch.setattr(services, "check_finish", failing_once)
    seeker = await sync_to_async(SeekerFactory)(agency=agency, awaiting_check=True)
    communicator, _c, _code = await connect_ws(seeker.user)
    peers = [ClientPeer(video=SyntheticVideo(), audio=Tone()) for _ in range(2)]
    try:
        await start(communicator, peers[0])
        error = await communicator.receive_json_from(timeout=20)
        await start(communicator, peers[1])
        verdict = await communicator.receive_json_from(timeout=20)
    finally:
        for peer in peers:
            await peer.close()

    assert error["code"] == "internal"
    assert error["detail"] == "Le test a échoué de notre côté : relancez-le dans un instant."
    assert verdict["type"] == "verdict"
    states = [c.state async for c in EquipmentCheck.objects.order_by("pk")]
    assert states == [CheckState.ABORTED, CheckState.COMPLETED]
