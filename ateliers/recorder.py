"""The server-side WebRTC peer of one simulation take: it answers the browser's offer and records
the incoming camera and microphone with aiortc's MediaRecorder to a WebM file.

A `RecordingPeer` owns exactly one RTCPeerConnection and always closes it (stop asked, time
limit, disconnection, failure, server shutdown): aiortc's decoder threads are not daemons."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRecorder
from aiortc.sdp import SessionDescription

from .tracks import RebasedTrack, TakeClock

logger = logging.getLogger(__name__)

MAX_SDP_BYTES = 32768
MAX_SDP_LINES = 600
MAX_MEDIA_SECTIONS = 4
VIDEO_BIT_RATE = 1_000_000
# On stop, frames received but not yet encoded are given this long to reach the file (a
# loaded server encodes behind real time; the seeker waits on "Saving…" meanwhile).
DRAIN_SECONDS = 10
# A take whose media stops flowing ends this long after its limit, in wall-clock time.
STALL_SECONDS = 3


class OfferError(Exception):
    """An offer the server refuses; the message is a stable code for the client."""


def validate_offer(sdp) -> str:
    """Checks an offer's shape before aiortc parses it: size, a video section, parseable."""
    if not isinstance(sdp, str) or not sdp.lstrip().startswith("v=0") or "\x00" in sdp:
        raise OfferError("invalid_sdp")
    if len(sdp.encode("utf-8", "surrogatepass")) > MAX_SDP_BYTES:
        raise OfferError("sdp_too_large")
    lines = sdp.splitlines()
    media = [line for line in lines if line.startswith("m=")]
    if len(lines) > MAX_SDP_LINES or len(media) > MAX_MEDIA_SECTIONS:
        raise OfferError("sdp_too_large")
    if not any(line.startswith("m=video") for line in media):
        raise OfferError("no_video")
    try:
        SessionDescription.parse(sdp)
    except Exception as exc:
        raise OfferError("invalid_sdp") from exc
    return sdp


@dataclass
class TakeOutcome:
    connected: bool
    video_frames: int
    audio_frames: int
    reason: str  # "stopped", "time_limit", "disconnected", "stalled", "no_connection"
    # Seconds from the connection to the first video frame (None without video).
    first_frame_delay: float | None = None


class RecordingPeer:
    def __init__(
        self,
        *,
        path: Path,
        max_seconds: float,
        connect_seconds: float = 15,
        ice_server_urls: list[str] = (),
    ):
        self.path = Path(path)
        self.max_seconds = max_seconds
        self.connect_seconds = connect_seconds
        self.ice_server_urls = list(ice_server_urls)
        self.pc: RTCPeerConnection | None = None
        self.recorder: MediaRecorder | None = None
        self.clock = TakeClock()
        self.tracks: dict[str, RebasedTrack] = {}
        self.connected = asyncio.Event()
        self.ended = asyncio.Event()
        self.stop_requested = asyncio.Event()
        self.closed = False
        self.connected_at: float | None = None

    def _on_track(self, track) -> None:
        if track.kind in ("audio", "video") and track.kind not in self.tracks:
            relay = RebasedTrack(track, self.clock)
            self.tracks[track.kind] = relay
            self.recorder.addTrack(relay)
            if track.kind == "video":
                self._tune_video_encoder(relay)

    def _tune_video_encoder(self, relay) -> None:
        """MediaRecorder leaves libvpx at its slow "good" deadline, which falls behind real time
        at 640x480 and loses the end of every answer: encode in real-time mode instead."""
        contexts = getattr(self.recorder, "_MediaRecorder__tracks", {})
        context = contexts.get(relay)
        if context is None:  # pragma: no cover - a future aiortc may rename its internals
            logger.warning("ateliers: cannot tune the video encoder of this aiortc version")
            return
        codec = context.stream.codec_context
        codec.bit_rate = VIDEO_BIT_RATE
        codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}

    def _on_state(self) -> None:
        state = self.pc.connectionState if self.pc else "closed"
        if state == "connected":
            self.connected.set()
        elif state in ("failed", "closed", "disconnected"):
            self.ended.set()

    async def answer(self, offer_sdp: str) -> str:
        """Applies the offer and returns the answer (ICE candidates included: no trickle)."""
        servers = [RTCIceServer(urls=url) for url in self.ice_server_urls]
        self.pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=servers))
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.recorder = MediaRecorder(str(self.path), format="webm")
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception as exc:
            raise OfferError("invalid_sdp") from exc
        if "video" not in self.tracks:
            raise OfferError("no_video")
        return self.pc.localDescription.sdp

    async def _first(self, events: list[asyncio.Event], seconds: float) -> None:
        waiters = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def record(self) -> TakeOutcome:
        """Waits for the connection, then records until stop, the time limit or disconnection.

        The limit is counted in the media's own time (max_seconds after the first frame), so an
        answer is never longer than allowed however late the stop arrives; a wall-clock bound a
        few seconds later catches a sender that stalls."""
        await self._first([self.connected, self.ended, self.stop_requested], self.connect_seconds)
        if not self.connected.is_set():
            return self._outcome(False, "no_connection")
        self.connected_at = time.monotonic()
        for relay in self.tracks.values():
            relay.end_at(self.max_seconds)
        await self.recorder.start()
        video = self.tracks["video"]
        await self._first(
            [self.ended, self.stop_requested, video.finished], self.max_seconds + STALL_SECONDS
        )
        if video.reached_cutoff:
            reason = "time_limit"
        elif self.stop_requested.is_set():
            reason = "stopped"
        elif self.ended.is_set() or video.finished.is_set():
            reason = "disconnected"  # the connection, or the sender's track, went away
        else:
            reason = "stalled"  # no frame reached the limit in time
        await self._drain()
        return self._outcome(True, reason)

    async def _drain(self) -> None:
        """Ends the take at this moment without losing its last frames: the encoder may run a
        little behind real time, and stopping at once would drop what it has not taken yet.
        Each relay ends at the first frame after now; this waits for that (briefly)."""
        if self.clock.started is None:
            return
        end = self.clock.elapsed()
        for relay in self.tracks.values():
            relay.end_at(min(end, relay.cutoff if relay.cutoff is not None else end))
        waiters = [relay.finished for relay in self.tracks.values()]
        deadline = time.monotonic() + DRAIN_SECONDS
        for event in waiters:
            left = deadline - time.monotonic()
            if left <= 0 or self.ended.is_set():
                break
            await self._first([event, self.ended], left)

    def _outcome(self, connected: bool, reason: str) -> TakeOutcome:
        video, audio = self.tracks.get("video"), self.tracks.get("audio")
        delay = None
        if connected and self.clock.started is not None:
            delay = round(self.clock.started - self.connected_at, 3)
        return TakeOutcome(
            connected=connected,
            video_frames=video.frames if video else 0,
            audio_frames=audio.frames if audio else 0,
            reason=reason,
            first_frame_delay=delay,
        )

    def _log_recorder_failures(self) -> None:
        """MediaRecorder's per-track tasks die silently on an encoding error: say why."""
        contexts = getattr(self.recorder, "_MediaRecorder__tracks", {})
        for track, context in contexts.items():
            task = getattr(context, "task", None)
            if task is not None and task.done() and not task.cancelled() and task.exception():
                logger.warning(
                    "ateliers: recording the %s track failed",
                    track.kind,
                    exc_info=task.exception(),
                )

    async def close(self) -> None:
        """Idempotent: finishes the file, then closes the connection."""
        if self.closed:
            return
        self.closed = True
        if self.recorder is not None:
            self._log_recorder_failures()
            try:
                await self.recorder.stop()
            except Exception:
                logger.info("ateliers: closing a recording without frames", exc_info=True)
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await self.pc.close()
