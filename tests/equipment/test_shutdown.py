"""A daphne with checks in progress exits promptly on SIGTERM: every peer connection is closed
(aiortc's decoder threads are not daemons and would keep the process alive)."""

import asyncio
import contextlib
import json

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from equipment.models import CheckState, EquipmentCheck
from tests.equipment.client import ClientPeer, SyntheticVideo, Tone
from tests.equipment.conftest import session_cookie
from tests.equipment.live import daphne
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def start_check(stack, server, cookie, peer):
    socket = await stack.enter_async_context(
        connect(
            server.url.replace("http://", "ws://") + "/ws/equipement/test/",
            origin=server.url,
            additional_headers={"Cookie": f"sessionid={cookie}"},
        )
    )
    await socket.send(json.dumps({"type": "offer", "sdp": await peer.offer()}))
    answer = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert answer["type"] == "answer", answer
    await peer.accept(answer["sdp"])
    progress = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert progress == {"type": "progress", "stage": "measuring"}


async def test_sigterm_during_checks_exits_within_five_seconds(advisor):
    seekers = [
        await sync_to_async(SeekerFactory)(agency=advisor.agency, awaiting_check=True)
        for _ in range(2)
    ]
    cookies = [await sync_to_async(session_cookie)(seeker.user) for seeker in seekers]
    peers = [ClientPeer(video=SyntheticVideo(fps=25), audio=Tone()) for _ in seekers]
    # A long sampling window keeps the checks running when the signal comes.
    with daphne(EQUIPMENT_CHECK_SAMPLE_SECONDS=12, EQUIPMENT_CHECK_TIMEOUT_SECONDS=20) as server:
        try:
            async with contextlib.AsyncExitStack() as stack:
                for cookie, peer in zip(cookies, peers, strict=True):
                    await start_check(stack, server, cookie, peer)
                await asyncio.sleep(1)  # frames flowing, decoder threads running

                exit_seconds = await asyncio.to_thread(server.terminate)
        finally:
            for peer in peers:
                await peer.close()
        log = server.log_text()

    assert exit_seconds < 5, f"daphne took {exit_seconds:.1f} s to exit:\n{log}"
    states = [c.state async for c in EquipmentCheck.objects.all()]
    assert states == [CheckState.ABORTED, CheckState.ABORTED], log
