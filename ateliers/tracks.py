"""Media of a simulation take: incoming tracks rebased to start at zero on one shared clock (RTP
timestamps start at random values), and the probe that measures a finished recording."""

from __future__ import annotations

import time
from pathlib import Path

import av
from aiortc import MediaStreamTrack


class TakeClock:
    """The moment the first frame of any track of the take arrived."""

    def __init__(self):
        self.started: float | None = None

    def elapsed(self) -> float:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        return now - self.started


class RebasedTrack(MediaStreamTrack):
    """Relays a remote track with timestamps counted from the take's start, so that audio and
    video line up and the file starts at 0. Pure media: never touches the database."""

    def __init__(self, source: MediaStreamTrack, clock: TakeClock):
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.clock = clock
        self.offset: int | None = None
        self.frames = 0

    async def recv(self):
        frame = await self.source.recv()
        if frame.pts is None or frame.time_base is None:
            return frame
        if self.offset is None:
            self.offset = frame.pts - int(self.clock.elapsed() / frame.time_base)
        frame.pts = max(frame.pts - self.offset, 0)
        self.frames += 1
        return frame

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
