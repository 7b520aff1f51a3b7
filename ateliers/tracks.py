"""Media of a simulation take: incoming tracks rebased to start at zero on one shared clock (RTP
timestamps start at random values), and the probe that measures a finished recording."""

from __future__ import annotations

import asyncio
import fractions
import time
from pathlib import Path

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

# Every recorded video is this wide; its height follows the first frame's aspect ratio.
VIDEO_WIDTH = 640


class TakeClock:
    """The moment the first frame of any track of the take arrived, and whether video started
    (MediaRecorder opens every encoder on its first packet: the video size must be known by then,
    so audio waits for the first video frame)."""

    def __init__(self):
        self.started: float | None = None
        self.video_started = asyncio.Event()

    def elapsed(self) -> float:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        return now - self.started


# MediaRecorder encodes video with a time base of 1/30 s (its stream rate): two frames closer
# than that would get the same timestamp, which the encoder refuses, ending the recording.
VIDEO_TIME_BASE = fractions.Fraction(1, 30)


class RebasedTrack(MediaStreamTrack):
    """Relays a remote track with timestamps counted from the take's start, so that audio and
    video line up and the file starts at 0. Video is scaled to one size for the whole take (a
    browser starts small and raises its resolution as bandwidth allows; the encoder cannot
    follow) and its timestamps put on MediaRecorder's 1/30 s grid, strictly increasing.
    Pure media: never touches the database."""

    def __init__(self, source: MediaStreamTrack, clock: TakeClock):
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.clock = clock
        self.offset: int | None = None
        self.last_pts: int | None = None
        self.size: tuple[int, int] | None = None
        self.last_seconds = 0.0  # the take time of the last frame handed to the encoder
        self.cutoff: float | None = None  # take time after which the relay ends
        self.finished = asyncio.Event()
        self.reached_cutoff = False  # ended by its cutoff, not by the sender going away
        self.frames = 0

    def end_at(self, seconds: float) -> None:
        """Frames after this take time are not recorded; those before still are."""
        self.cutoff = seconds

    async def recv(self):
        try:
            return await self._next()
        except MediaStreamError:
            self.finished.set()
            raise

    async def _next(self):
        if self.kind == "audio" and not self.clock.video_started.is_set():
            await self.clock.video_started.wait()
        frame = await self.source.recv()
        if self.kind == "video":
            frame = self._scaled(frame)
        if frame.pts is None or frame.time_base is None:
            return frame
        if self.offset is None:
            self.offset = frame.pts - int(self.clock.elapsed() / frame.time_base)
        pts = max(frame.pts - self.offset, 0)
        if self.kind == "video":
            pts = round(pts * frame.time_base / VIDEO_TIME_BASE)
            if self.last_pts is not None and pts <= self.last_pts:
                pts = self.last_pts + 1
            frame.time_base = VIDEO_TIME_BASE
        self.last_pts = pts
        frame.pts = pts
        seconds = float(pts * frame.time_base)
        if self.cutoff is not None and seconds > self.cutoff:
            self.reached_cutoff = True
            raise MediaStreamError
        self.last_seconds = seconds
        self.frames += 1
        if self.kind == "video":
            self.clock.video_started.set()
        return frame

    def _scaled(self, frame):
        if self.size is None:
            height = round(VIDEO_WIDTH * frame.height / max(frame.width, 1) / 2) * 2
            self.size = (VIDEO_WIDTH, max(height, 2))
        if (frame.width, frame.height) == self.size and frame.format.name == "yuv420p":
            return frame
        scaled = frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
        scaled.pts, scaled.time_base = frame.pts, frame.time_base
        return scaled

    def stop(self):
        super().stop()
        self.source.stop()


def recording_duration(path: Path | str) -> float | None:
    """Seconds of video in a finished recording, from its packets' timestamps; None when the
    file holds no video or cannot be read."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            first = last = None
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                start = float(packet.pts * packet.time_base)
                end = start + float((packet.duration or 0) * packet.time_base)
                first = start if first is None else min(first, start)
                last = end if last is None else max(last, end)
            if first is None:
                return None
            return round(last - first, 3)
    except (av.FFmpegError, OSError):
        return None
