"""What the server peer measures of the tracks and the data channel it receives.

Each meter reads one source for a bounded time and returns plain numbers; none of them touches
the ORM (they run on the event loop, between aiortc's own tasks)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import operator
import statistics
from collections import Counter

from aiortc.mediastreams import MediaStreamError

CHUNK_BYTES = 16384
PING_COUNT = 5
MAX_QUEUED_MESSAGES = 64
# One sample in 9 for the level: odd, so that it visits both channels of interleaved stereo (aiortc
# decodes Opus to stereo), and still about 210 samples of each 20 ms frame.
LEVEL_STRIDE = 9


class TrackMeter:
    """Counts the decoded frames of one received track over a sampling window."""

    kind = ""

    def __init__(self, track, *, sample_seconds: float):
        self.track = track
        self.sample_seconds = sample_seconds
        self.frames = 0
        self._first_time: float | None = None
        self._last_time: float | None = None
        self._arrivals: list[float] = []
        self.done = asyncio.Event()

    def _media_time(self, frame) -> float:
        loop_time = asyncio.get_running_loop().time()
        self._arrivals.append(loop_time)
        # The RTP timestamp says when the sender captured the frame; the arrival time is the
        # fallback for a sender whose clock is absent or runs backwards.
        if frame.time is not None and (self._last_time is None or frame.time >= self._last_time):
            return float(frame.time)
        return loop_time

    def _span(self) -> float:
        if self._first_time is None or self._last_time is None:
            return 0.0
        return self._last_time - self._first_time

    def add(self, frame) -> None:
        time = self._media_time(frame)
        if self._first_time is None:
            self._first_time = time
        self._last_time = time
        self.frames += 1

    async def run(self, *, first_frame_seconds: float) -> None:
        """Samples until the window is full, then keeps draining the track until cancelled:
        aiortc queues every decoded frame, and an unread queue would only grow."""
        try:
            frame = await asyncio.wait_for(self.track.recv(), timeout=first_frame_seconds)
            self.add(frame)
            while self._span() < self.sample_seconds:
                self.add(await self.track.recv())
            self.done.set()
            while True:
                await self.track.recv()
        except (TimeoutError, MediaStreamError):
            return
        finally:
            self.done.set()

    def rate(self) -> float | None:
        span = self._span()
        if self.frames < 2 or span <= 0:
            return None
        return (self.frames - 1) / span


class VideoMeter(TrackMeter):
    kind = "video"

    def __init__(self, track, *, sample_seconds: float):
        super().__init__(track, sample_seconds=sample_seconds)
        self.sizes: Counter[tuple[int, int]] = Counter()

    def add(self, frame) -> None:
        super().add(frame)
        self.sizes[(frame.width, frame.height)] += 1

    def result(self) -> dict:
        width, height = self.sizes.most_common(1)[0][0] if self.sizes else (None, None)
        fps = self.rate()
        return {
            "track": True,
            "frames": self.frames,
            "fps": round(fps, 2) if fps is not None else (0.0 if self.frames else None),
            "width": width,
            "height": height,
            "sizes_seen": len(self.sizes),
        }


def frame_level_dbfs(frame) -> float:
    """RMS level of a signed 16-bit audio frame, in dB relative to full scale."""
    count = frame.samples * len(frame.layout.channels)
    # A view of the decoded samples, no copy; the sum of squares is the cost, in pure Python.
    samples = memoryview(frame.planes[0]).cast("B")[: count * 2].cast("h")[::LEVEL_STRIDE]
    if not len(samples):
        return -math.inf
    energy = sum(map(operator.mul, samples, samples)) / len(samples)
    if energy <= 0:
        return -math.inf
    return 20 * math.log10(math.sqrt(energy) / 32768)


class AudioMeter(TrackMeter):
    kind = "audio"

    def __init__(self, track, *, sample_seconds: float):
        super().__init__(track, sample_seconds=sample_seconds)
        self.peak_dbfs = -math.inf

    def add(self, frame) -> None:
        super().add(frame)
        if frame.format.name == "s16":
            self.peak_dbfs = max(self.peak_dbfs, frame_level_dbfs(frame))

    def result(self) -> dict:
        level = None if math.isinf(self.peak_dbfs) else round(self.peak_dbfs, 1)
        return {"track": True, "frames": self.frames, "level_dbfs": level}


class Probe:
    """Round trip and throughput both ways over the client's data channel.

    The server leads: it sends "ping N" (the client answers "pong N"), then "up BYTES" (the
    client sends that many bytes then "up-done"), then sends BYTES itself followed by
    "down-done" (the client reports "down-progress N" on the way and "down-ack N" at the end).
    """

    def __init__(self, *, probe_bytes: int, phase_seconds: float = 4.0):
        self.probe_bytes = probe_bytes
        self.phase_seconds = phase_seconds
        self.channel = None
        self.channel_ready = asyncio.Event()
        self.queue: asyncio.Queue = asyncio.Queue()
        self._uploading = False
        self._up_received = 0
        self._up_last = 0.0
        self.rtts: list[float] = []
        self.upload_kbps: float | None = None
        self.download_kbps: float | None = None

    def attach(self, channel) -> None:
        if self.channel is not None:
            return
        self.channel = channel
        channel.on("message", self._on_message)
        if channel.readyState == "open":
            self.channel_ready.set()
        else:
            channel.on("open", self.channel_ready.set)

    def _on_message(self, message) -> None:
        """Bytes are only counted, and only while the upload is measured; text goes to a
        bounded queue. A client flooding the channel costs no memory."""
        if isinstance(message, bytes):
            if self._uploading:
                self._up_received += len(message)
                self._up_last = self._now()
                if self._up_received >= self.probe_bytes:
                    self.queue.put_nowait("up-done")
            return
        if self.queue.qsize() < MAX_QUEUED_MESSAGES:
            self.queue.put_nowait(message[:64])

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    async def _next(self, deadline: float):
        return await asyncio.wait_for(self.queue.get(), timeout=max(deadline - self._now(), 0))

    async def _ping(self, deadline: float) -> None:
        for number in range(PING_COUNT):
            sent = self._now()
            self.channel.send(f"ping {number}")
            while True:
                message = await self._next(deadline)
                if message == f"pong {number}":
                    self.rtts.append((self._now() - sent) * 1000)
                    break

    def _half_rtt(self) -> float:
        return statistics.median(self.rtts) / 2000 if self.rtts else 0.0

    async def _upload(self, deadline: float) -> None:
        requested = self._now()
        self._up_received, self._up_last, self._uploading = 0, requested, True
        self.channel.send(f"up {self.probe_bytes}")
        try:
            while await self._next(deadline) != "up-done":
                pass
        except TimeoutError:
            self._up_last = self._now()
        finally:
            self._uploading = False
        received = min(self._up_received, self.probe_bytes)
        elapsed = self._up_last - requested - self._half_rtt()
        if received and elapsed > 0:
            self.upload_kbps = received * 8 / elapsed / 1000
        elif received == 0:
            self.upload_kbps = 0.0

    async def _download(self, deadline: float) -> None:
        started = self._now()
        self.channel.send(f"down {self.probe_bytes}")
        payload = bytes(CHUNK_BYTES)
        for offset in range(0, self.probe_bytes, CHUNK_BYTES):
            self.channel.send(payload[: min(CHUNK_BYTES, self.probe_bytes - offset)])
        self.channel.send("down-done")
        acked, acked_at = 0, started
        try:
            while True:
                message = await self._next(deadline)
                verb, _, value = message.partition(" ")
                if verb in ("down-progress", "down-ack") and value.isdigit():
                    acked, acked_at = min(int(value), self.probe_bytes), self._now()
                    if verb == "down-ack":
                        break
        except TimeoutError:
            pass
        elapsed = acked_at - started - self._half_rtt()
        if acked and elapsed > 0:
            self.download_kbps = acked * 8 / elapsed / 1000
        elif acked == 0:
            self.download_kbps = 0.0

    async def run(self, *, deadline: float) -> None:
        try:
            await asyncio.wait_for(
                self.channel_ready.wait(), timeout=max(deadline - self._now(), 0)
            )
        except TimeoutError:
            return
        with contextlib.suppress(TimeoutError):
            await self._ping(self._phase_end(deadline, share=0.5))
        # Each direction gets its own share of the time left, so that a slow upload still
        # leaves the download its chance to be measured.
        await self._upload(self._phase_end(deadline, share=0.5))
        await self._download(self._phase_end(deadline, share=1.0))

    def _phase_end(self, deadline: float, *, share: float) -> float:
        now = self._now()
        return min(now + self.phase_seconds, now + (deadline - now) * share)

    def result(self) -> dict:
        return {
            "rtt_ms": round(statistics.median(self.rtts), 1) if self.rtts else None,
            "upload_kbps": round(self.upload_kbps) if self.upload_kbps is not None else None,
            "download_kbps": round(self.download_kbps) if self.download_kbps is not None else None,
        }
