"""A real aiortc client peer for equipment checks: synthetic camera and microphone tracks, and
the browser's side of the throughput probe. Used by the integration tests and the benchmark."""

from __future__ import annotations

import asyncio
import fractions
import math
import struct
import time

import av
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

VIDEO_CLOCK = 90000
AUDIO_RATE = 48000
AUDIO_SAMPLES = 960  # 20 ms


class SyntheticVideo(VideoStreamTrack):
    """Frames of a moving gradient at a chosen size and frame rate."""

    def __init__(self, *, fps: float = 25, width: int = 640, height: int = 480):
        super().__init__()
        self.fps, self.width, self.height = fps, width, height
        self._start: float | None = None
        self._count = 0
        row = bytes((x * 255 // max(width - 1, 1)) for x in range(width))
        self._luma = [row[shift:] + row[:shift] for shift in range(0, width, max(width // 16, 1))]

    async def recv(self):
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._count += 1
            wait = self._start + self._count / self.fps - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        luma = self._luma[self._count % len(self._luma)]
        frame.planes[0].update(
            luma * self.height
            if frame.planes[0].line_size == self.width
            else _pad(luma, frame.planes[0].line_size) * self.height
        )
        for plane in frame.planes[1:]:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts = int(self._count * VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return frame


def _pad(row: bytes, size: int) -> bytes:
    return row + bytes(size - len(row))


class StalledVideo(VideoStreamTrack):
    """A camera that is there but never delivers a picture (held by another application)."""

    async def recv(self):
        await asyncio.Event().wait()


class Tone(AudioStreamTrack):
    """A 1 kHz sine at about -12 dBFS, in 20 ms mono frames."""

    def __init__(self, *, amplitude: float = 0.25):
        super().__init__()
        samples = [
            int(amplitude * 32767 * math.sin(2 * math.pi * 1000 * n / AUDIO_RATE))
            for n in range(AUDIO_SAMPLES)
        ]
        self._payload = struct.pack(f"<{AUDIO_SAMPLES}h", *samples)
        self._start: float | None = None
        self._timestamp = 0

    async def recv(self):
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._timestamp += AUDIO_SAMPLES
            wait = self._start + self._timestamp / AUDIO_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES)
        frame.planes[0].update(self._payload)
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._timestamp
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


class Silence(AudioStreamTrack):
    """aiortc's own audio track: silence."""


class ProbeResponder:
    """The browser's side of the throughput probe (see equipment.measure.Probe)."""

    def __init__(self, channel, *, upload_delay: float = 0.0):
        self.channel = channel
        self.upload_delay = upload_delay
        self.received = 0
        self._progress = 0
        channel.on("message", self.on_message)

    def on_message(self, message):
        if isinstance(message, bytes):
            self.received += len(message)
            if self.received - self._progress >= 65536:
                self._progress = self.received
                self.channel.send(f"down-progress {self.received}")
            return
        verb, _, value = message.partition(" ")
        if verb == "ping":
            self.channel.send(f"pong {value}")
        elif verb == "up":
            asyncio.ensure_future(self.upload(int(value)))
        elif verb == "down":
            self.received = self._progress = 0
        elif verb == "down-done":
            self.channel.send(f"down-ack {self.received}")

    async def upload(self, size: int):
        chunk = bytes(16384)
        for offset in range(0, size, len(chunk)):
            if self.upload_delay:
                await asyncio.sleep(self.upload_delay)
            self.channel.send(chunk[: min(len(chunk), size - offset)])
        self.channel.send("up-done")


class ClientPeer:
    """The seeker's side: tracks, the probe channel, the offer."""

    def __init__(self, *, video=None, audio=None, data_channel: bool = True, upload_delay=0.0):
        self.pc = RTCPeerConnection()
        self.tracks = [track for track in (video, audio) if track is not None]
        for track in self.tracks:
            self.pc.addTrack(track)
        self.responder = None
        if data_channel:
            self.responder = ProbeResponder(
                self.pc.createDataChannel("probe"), upload_delay=upload_delay
            )

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def close(self) -> None:
        for track in self.tracks:
            track.stop()
        await self.pc.close()


async def run_check(
    send_json, receive_json, peer: ClientPeer, *, within: float = 30, **offer_fields
) -> list:
    """Runs one check through any signalling pair; returns every message up to the verdict
    (or the first error)."""
    messages = []
    await send_json({"type": "offer", "sdp": await peer.offer(), **offer_fields})
    deadline = time.monotonic() + within
    while True:
        message = await receive_json(max(deadline - time.monotonic(), 0.1))
        messages.append(message)
        if message["type"] == "answer":
            await peer.accept(message["sdp"])
        elif message["type"] in ("verdict", "error"):
            return messages
