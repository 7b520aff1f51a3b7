"""The meters on their own: audio level, frame rate, and a flooding client."""

import asyncio
import fractions
import math
import struct

import av
import pytest

from equipment.measure import MAX_QUEUED_MESSAGES, Probe, VideoMeter, frame_level_dbfs
from tests.equipment.client import Tone


async def test_a_tone_and_silence_have_the_expected_level():
    tone = await Tone(amplitude=0.25).recv()
    silence = av.AudioFrame(format="s16", layout="mono", samples=960)
    silence.planes[0].update(bytes(silence.planes[0].buffer_size))

    # A sine of amplitude 0.25 has an RMS of 0.25/sqrt(2): -15 dBFS.
    assert frame_level_dbfs(tone) == pytest.approx(-15.05, abs=0.1)
    assert frame_level_dbfs(silence) == float("-inf")


def test_sound_on_one_channel_of_a_stereo_frame_is_not_silence():
    # aiortc decodes Opus to interleaved stereo: the sampled samples must visit both channels.
    frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
    right_only = b"".join(
        struct.pack("<hh", 0, int(8000 * math.sin(2 * math.pi * 1000 * n / 48000)))
        for n in range(960)
    )
    frame.planes[0].update(right_only)

    assert frame_level_dbfs(frame) > -20


class FakeTrack:
    def __init__(self, fps, count, size=(320, 240)):
        self.frames = []
        for n in range(count):
            frame = av.VideoFrame(*size, "yuv420p")
            frame.pts = int(n * 90000 / fps)
            frame.time_base = fractions.Fraction(1, 90000)
            self.frames.append(frame)

    async def recv(self):
        if not self.frames:
            await asyncio.Event().wait()
        return self.frames.pop(0)


async def test_the_frame_rate_comes_from_the_capture_clock():
    meter = VideoMeter(FakeTrack(fps=12.5, count=100), sample_seconds=2)
    task = asyncio.create_task(meter.run(first_frame_seconds=1))
    await asyncio.wait_for(meter.done.wait(), 2)
    task.cancel()

    result = meter.result()
    assert result["fps"] == pytest.approx(12.5)
    assert (result["width"], result["height"]) == (320, 240)
    assert result["frames"] == 26  # two seconds at 12.5 fps, both ends included


async def test_a_track_without_frames_ends_the_meter_at_the_first_frame_timeout():
    meter = VideoMeter(FakeTrack(fps=25, count=0), sample_seconds=2)

    await meter.run(first_frame_seconds=0.05)

    assert meter.done.is_set()
    assert meter.result()["frames"] == 0


async def test_a_flooding_client_costs_no_memory():
    probe = Probe(probe_bytes=1000)
    for _ in range(10000):
        probe._on_message(bytes(16384))
        probe._on_message("nonsense " * 100)

    assert probe.queue.qsize() == MAX_QUEUED_MESSAGES
    assert probe._up_received == 0
    assert all(len(probe.queue.get_nowait()) <= 64 for _ in range(MAX_QUEUED_MESSAGES))
