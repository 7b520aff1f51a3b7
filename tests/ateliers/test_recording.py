"""Recording a take end to end: a real aiortc client peer sends synthetic video and a tone to the
portal's HTTP signalling; the server-side peer records it with MediaRecorder, and PyAV checks the
file (decodable, expected duration). Also the hard time limit of a take, and redo."""

import asyncio
import json
import time
from pathlib import Path

import av
import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import Client
from django.urls import reverse

from ateliers.models import AnswerStatus, SimulationAnswer
from ateliers.recorder_host import RecorderHost
from tests.ateliers.client import ClientPeer
from tests.ateliers.factories import SimulationAnswerFactory, SimulationFactory

FPS = 20


def decoded_video(path: Path) -> tuple[int, float, tuple[int, int]]:
    """Decodes every video frame; returns (frames, seconds from first to last frame, size)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = []
        size = None
        for frame in container.decode(stream):
            times.append(float(frame.pts * frame.time_base))
            size = (frame.width, frame.height)
    return len(times), (max(times) - min(times)) if times else 0.0, size


def post_json(client: Client, url: str, data: dict):
    response = client.post(url, json.dumps(data), content_type="application/json")
    return response.status_code, response.json()


async def record_take(client: Client, simulation, position: int, seconds: float) -> dict:
    offer_url = reverse("ateliers:take_offer", args=[simulation.pk, position])
    stop_url = reverse("ateliers:take_stop", args=[simulation.pk, position])
    async with ClientPeer(fps=FPS) as peer:
        offer = await peer.offer()
        status, answer = await sync_to_async(post_json)(client, offer_url, {"sdp": offer})
        assert status == 200, answer
        await peer.accept(answer["sdp"])
        await asyncio.wait_for(peer.connected.wait(), 10)
        await asyncio.sleep(seconds)
        started = time.monotonic()
        status, take = await sync_to_async(post_json)(client, stop_url, {"token": answer["token"]})
        take["stop_ms"] = round((time.monotonic() - started) * 1000)
        assert status == 200, take
    return take


@pytest.mark.django_db(transaction=True)
async def test_a_take_is_recorded_decodable_and_of_the_expected_length(
    followed, private_root, make_client
):
    simulation = await sync_to_async(SimulationFactory)(seeker=followed)
    answer = await sync_to_async(SimulationAnswerFactory)(
        simulation=simulation, position=1, answer_seconds=5
    )
    client = await sync_to_async(make_client)(followed.user)
    try:
        # The client keeps sending past the 5 s allowed: the answer is cut at 5 s of media.
        take = await record_take(client, simulation, 1, 6.0)
        assert take["status"] == "ready"
        answer = await SimulationAnswer.objects.aget(pk=answer.pk)
        path = private_root / answer.recording
        assert path.exists() and path.stat().st_size > 10_000
        frames, seconds, size = decoded_video(path)
        print(f"take of 5 s: {frames} frames, {seconds:.2f} s, stop {take['stop_ms']} ms")
        assert size == (640, 480)  # scaled to the recording width, aspect kept
        assert 4.7 <= seconds <= 5.05
        assert 4.7 * FPS <= frames <= 5.05 * FPS + 1
        assert abs(answer.duration_seconds - 5.0) < 0.3

        # Redo, stopped early: the second take replaces the first, whose file goes.
        first = path
        take = await record_take(client, simulation, 1, 2.0)
        answer = await SimulationAnswer.objects.aget(pk=answer.pk)
        assert take["status"] == "ready" and answer.takes == 2
        assert not first.exists()
        seconds = decoded_video(private_root / answer.recording)[1]
        print(f"take stopped after 2 s: {seconds:.2f} s, stop {take['stop_ms']} ms")
        assert 1.7 <= seconds < 4.5
    finally:
        await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_another_seeker_cannot_signal_a_take(followed, other_seeker, make_client):
    simulation = await sync_to_async(SimulationFactory)(seeker=followed)
    await sync_to_async(SimulationAnswerFactory)(simulation=simulation, position=1)
    client = await sync_to_async(make_client)(other_seeker.user)
    try:
        async with ClientPeer() as peer:
            offer = await peer.offer()
            url = reverse("ateliers:take_offer", args=[simulation.pk, 1])
            response = await sync_to_async(client.post)(
                url, json.dumps({"sdp": offer}), content_type="application/json"
            )
        assert response.status_code == 404
        answer = await SimulationAnswer.objects.aget(simulation=simulation)
        assert answer.status == AnswerStatus.EMPTY
    finally:
        await sync_to_async(connections.close_all)()


async def test_the_time_limit_ends_a_take_the_client_never_stops(tmp_path):
    """No ORM here: the host alone, with a peer that keeps sending past the limit."""
    host = RecorderHost()
    results = []
    done = asyncio.Event()
    path = tmp_path / "take.webm"
    loop = asyncio.get_running_loop()

    def on_done(result):  # runs in the host's worker thread
        results.append(result)
        loop.call_soon_threadsafe(done.set)

    async with ClientPeer(audio=False) as peer:
        offer = await peer.offer()
        answer = await loop.run_in_executor(
            None,
            lambda: host.start(
                key="limit",
                offer_sdp=offer,
                path=path,
                max_seconds=1.5,
                on_done=on_done,
                limit=2,
            ),
        )
        await peer.accept(answer)
        await asyncio.wait_for(peer.connected.wait(), 10)
        await asyncio.wait_for(done.wait(), 10)
    assert results and results[0].ok and results[0].outcome.reason == "time_limit"
    assert 1.3 <= results[0].duration <= 1.55
    assert 1.3 <= decoded_video(path)[1] <= 1.55
    assert len(host) == 0
    host.shutdown()


@pytest.mark.django_db(transaction=True)
async def test_a_take_cut_by_a_lost_connection_is_not_kept(followed, private_root, make_client):
    simulation = await sync_to_async(SimulationFactory)(seeker=followed)
    answer = await sync_to_async(SimulationAnswerFactory)(
        simulation=simulation, position=1, answer_seconds=10
    )
    client = await sync_to_async(make_client)(followed.user)
    try:
        offer_url = reverse("ateliers:take_offer", args=[simulation.pk, 1])
        async with ClientPeer() as peer:
            offer = await peer.offer()
            status, body = await sync_to_async(post_json)(client, offer_url, {"sdp": offer})
            assert status == 200
            await peer.accept(body["sdp"])
            await asyncio.wait_for(peer.connected.wait(), 10)
            await asyncio.sleep(1.5)
        # The tab is gone without a stop: the server sees the connection close.
        for _ in range(100):
            answer = await SimulationAnswer.objects.aget(pk=answer.pk)
            if answer.status != AnswerStatus.RECORDING:
                break
            await asyncio.sleep(0.1)
        assert answer.status == AnswerStatus.FAILED
        assert answer.recording == ""
        folder = private_root / "ateliers" / "simulations" / str(simulation.pk)
        assert not folder.exists() or not any(folder.iterdir())
    finally:
        await sync_to_async(connections.close_all)()
