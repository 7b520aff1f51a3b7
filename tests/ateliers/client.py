"""A real aiortc client peer for simulation takes: a synthetic camera (moving gradient) and a
tone as microphone. Used by the recording integration test and bench/ateliers_recording.py."""

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
AUDIO_SAMPLES = 960


class SyntheticVideo(VideoStreamTrack):
    def __init__(self, *, fps: float = 20, width: int = 320, height: int = 240):
        super().__init__()
        self.fps, self.width, self.height = fps, width, height
        self._start: float | None = None
        self._count = 0

    async def recv(self):
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._count += 1
            wait = self._start + self._count / self.fps - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        shift = (self._count * 8) % 256
        luma = bytes((x + shift) % 256 for x in range(self.width))
        line = frame.planes[0].line_size
        frame.planes[0].update((luma + bytes(line - self.width)) * self.height)
        for plane in frame.planes[1:]:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts = int(self._count * VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return frame


class Tone(AudioStreamTrack):
    def __init__(self):
        super().__init__()
        samples = [
            int(0.2 * 32767 * math.sin(2 * math.pi * 440 * n / AUDIO_RATE))
            for n in range(AUDIO_SAMPLES)
        ]
        self._payload = struct.pack(f"<{AUDIO_SAMPLES}h", *samples)
        self._start: float | None = None
        self._count = 0

    async def recv(self):
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._count += 1
            wait = self._start + self._count * AUDIO_SAMPLES / AUDIO_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES)
        frame.planes[0].update(self._payload)
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._count * AUDIO_SAMPLES
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


class ClientPeer:
    """The browser's side of a take; `close()` always runs (use as an async context manager)."""

    def __init__(self, *, audio: bool = True, fps: float = 20, width=320, height=240):
        self.pc = RTCPeerConnection()
        self.pc.addTrack(SyntheticVideo(fps=fps, width=width, height=height))
        if audio:
            self.pc.addTrack(Tone())
        self.connected = asyncio.Event()

        @self.pc.on("connectionstatechange")
        def _state():
            if self.pc.connectionState == "connected":
                self.connected.set()

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def close(self) -> None:
        await self.pc.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()
