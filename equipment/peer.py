"""The server-side WebRTC peer of an equipment check, and the per-process bound on checks.

A `CheckSession` owns exactly one RTCPeerConnection, from the offer to `close()`, which every
path calls (end, timeout, websocket disconnect, server shutdown): aiortc's decoder threads are
not daemons, and a process holding an open connection never exits."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import SessionDescription

from .measure import AudioMeter, Probe, VideoMeter

logger = logging.getLogger(__name__)

MAX_SDP_LINES = 600
MAX_MEDIA_SECTIONS = 6
CLOCK_RATES = {"video": 90000, "audio": 48000}


class OfferError(Exception):
    """An offer the server refuses; the message is a stable code for the client."""


def validate_offer(sdp, *, max_bytes: int) -> str:
    """Checks an offer's shape before aiortc sees it; returns it or raises OfferError."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise OfferError("invalid_sdp")
    if len(sdp.encode("utf-8", "surrogatepass")) > max_bytes:
        raise OfferError("sdp_too_large")
    if "\x00" in sdp or not sdp.lstrip().startswith("v=0"):
        raise OfferError("invalid_sdp")
    lines = sdp.splitlines()
    if len(lines) > MAX_SDP_LINES:
        raise OfferError("sdp_too_large")
    media = [line for line in lines if line.startswith("m=")]
    if len(media) > MAX_MEDIA_SECTIONS:
        raise OfferError("sdp_too_large")
    if not any(line.startswith("m=application") for line in media):
        # The throughput probe needs the data channel; a browser running our page offers one.
        raise OfferError("no_data_channel")
    try:
        SessionDescription.parse(sdp)
    except Exception as exc:
        raise OfferError("invalid_sdp") from exc
    return sdp


def ice_servers(urls: list[str], *, username: str = "", credential: str = "") -> list:
    servers = []
    for url in urls:
        if url.startswith("turn"):
            servers.append(RTCIceServer(urls=url, username=username, credential=credential))
        else:
            servers.append(RTCIceServer(urls=url))
    return servers


class CheckSession:
    """One measured check: answers the offer, measures, and always closes its connection."""

    def __init__(
        self,
        *,
        ice_server_urls: list[str] = (),
        turn_username: str = "",
        turn_password: str = "",
        timeout: float = 15,
        sample_seconds: float = 3,
        first_frame_seconds: float = 6,
        probe_bytes: int = 262144,
        gather_seconds: float = 1,
    ):
        self.ice_server_urls = list(ice_server_urls)
        self.turn_username = turn_username
        self.turn_password = turn_password
        self.timeout = timeout
        self.sample_seconds = sample_seconds
        self.first_frame_seconds = first_frame_seconds
        self.gather_seconds = gather_seconds
        self.pc: RTCPeerConnection | None = None
        self.video: VideoMeter | None = None
        self.audio: AudioMeter | None = None
        self.probe = Probe(probe_bytes=probe_bytes)
        self.connected = asyncio.Event()
        self.ended = asyncio.Event()
        self.offered_at: float | None = None
        self.connected_at: float | None = None
        self.deadline: float | None = None
        self.closed = False
        self._tasks: list[asyncio.Task] = []
        # The browser found no microphone at all and offers video only.
        self.microphone_absent = False

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def _on_track(self, track) -> None:
        if track.kind == "video" and self.video is None:
            self.video = VideoMeter(track, sample_seconds=self.sample_seconds)
        elif track.kind == "audio" and self.audio is None:
            self.audio = AudioMeter(track, sample_seconds=self.sample_seconds)

    def _on_state(self) -> None:
        state = self.pc.connectionState if self.pc else "closed"
        if state == "connected" and not self.connected.is_set():
            self.connected_at = self._now()
            self.connected.set()
        elif state in ("failed", "closed"):
            self.ended.set()

    def _bound_gathering(self) -> None:
        """aioice waits up to 5 s for each STUN/TURN server before it answers; an unreachable
        one would stall every answer, so the wait is cut to `gather_seconds`."""
        if not self.ice_server_urls:
            return
        transports = [t.receiver.transport for t in self.pc.getTransceivers()]
        if self.pc.sctp is not None:
            transports.append(self.pc.sctp.transport)
        for dtls in transports:
            with contextlib.suppress(AttributeError):
                connection = dtls.transport.iceGatherer._connection
                connection.get_component_candidates = functools.partial(
                    connection.get_component_candidates, timeout=self.gather_seconds
                )

    async def answer(self, offer_sdp: str) -> str:
        """Applies the client's offer and returns the answer (ICE candidates included)."""
        self.offered_at = self._now()
        self.deadline = self.offered_at + self.timeout
        config = RTCConfiguration(
            iceServers=ice_servers(
                self.ice_server_urls,
                username=self.turn_username,
                credential=self.turn_password,
            )
        )
        self.pc = RTCPeerConnection(configuration=config)
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self.probe.attach)
        self.pc.on("connectionstatechange", self._on_state)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            self._bound_gathering()
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception as exc:
            raise OfferError("invalid_sdp") from exc
        return self.pc.localDescription.sdp

    def remaining(self) -> float:
        return max(self.deadline - self._now(), 0) if self.deadline else 0

    async def _wait_connected(self) -> bool:
        connected = asyncio.ensure_future(self.connected.wait())
        ended = asyncio.ensure_future(self.ended.wait())
        try:
            await asyncio.wait(
                [connected, ended], timeout=self.remaining(), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            connected.cancel()
            ended.cancel()
        return self.connected.is_set()

    async def _receiver_stats(self) -> dict:
        totals = {"received": 0, "lost": 0}
        jitter = {}
        for transceiver in self.pc.getTransceivers():
            with contextlib.suppress(Exception):
                report = await transceiver.receiver.getStats()
                for stats in report.values():
                    if stats.type != "inbound-rtp":
                        continue
                    totals["received"] += stats.packetsReceived or 0
                    totals["lost"] += max(stats.packetsLost or 0, 0)
                    rate = CLOCK_RATES.get(stats.kind)
                    if rate and stats.jitter is not None:
                        jitter[stats.kind] = round(stats.jitter / rate * 1000, 1)
        sent = totals["received"] + totals["lost"]
        return {
            "packets_received": totals["received"],
            "packets_lost": totals["lost"],
            "loss_pct": round(totals["lost"] / sent * 100, 2) if sent else None,
            "jitter_ms": jitter,
        }

    async def measure(self) -> dict:
        """Waits for the connection, samples every source, and returns what was measured."""
        started = time.process_time()
        if not await self._wait_connected():
            return {"connected": False, "timings": self._timings()}
        first_frame = max(
            min(self.first_frame_seconds, self.remaining()) - (self._now() - self.connected_at),
            0.1,
        )
        waits = []
        for meter in (self.video, self.audio):
            if meter is not None:
                self._tasks.append(asyncio.create_task(meter.run(first_frame_seconds=first_frame)))
                waits.append(asyncio.create_task(meter.done.wait()))
        probe = asyncio.create_task(self._probe(self.deadline))
        self._tasks.append(probe)
        try:
            await asyncio.wait([*waits, probe], timeout=self.remaining())
        finally:
            for task in (*self._tasks, *waits):
                task.cancel()
        stats = await self._receiver_stats()
        network = self.probe.result()
        network["loss_pct"] = stats.pop("loss_pct")
        network.update(stats)
        return {
            "connected": True,
            "video": self.video.result() if self.video else {"track": False},
            "audio": self.audio.result() if self.audio else self._no_audio(),
            "network": network,
            "timings": {
                **self._timings(),
                "process_cpu_ms": round((time.process_time() - started) * 1000, 1),
            },
        }

    def _no_audio(self) -> dict:
        if self.microphone_absent:
            return {"track": False, "device": False}
        return {"track": False}

    async def _probe(self, deadline: float) -> None:
        try:
            await self.probe.run(deadline=deadline)
        except Exception:
            # A closed or misbehaving channel leaves the throughput unmeasured, never a crash.
            logger.info("equipment check probe stopped early", exc_info=True)

    def _timings(self) -> dict:
        now = self._now()
        timings = {"offer_to_end_ms": round((now - self.offered_at) * 1000, 1)}
        if self.connected_at is not None:
            timings["offer_to_connected_ms"] = round(
                (self.connected_at - self.offered_at) * 1000, 1
            )
        return timings

    async def close(self) -> None:
        """Idempotent; safe to call from a cancelled task."""
        if self.closed:
            return
        self.closed = True
        for task in self._tasks:
            task.cancel()
        if self.pc is not None:
            try:
                await self.pc.close()
            except Exception:
                logger.warning("closing an equipment check peer failed", exc_info=True)


class CheckSlots:
    """The checks this process runs at once; the event loop is its only user, so no lock."""

    def __init__(self):
        self._ends: dict[int, float] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._ends)

    def acquire(self, *, limit: int, duration: float) -> int | None:
        """A slot id, or None when `limit` checks already run."""
        if len(self._ends) >= limit:
            return None
        self._next += 1
        self._ends[self._next] = time.monotonic() + duration
        return self._next

    def release(self, slot: int | None) -> None:
        self._ends.pop(slot, None)

    def retry_after(self) -> int:
        """Seconds until the earliest running check must have ended."""
        if not self._ends:
            return 1
        return max(math.ceil(min(self._ends.values()) - time.monotonic()), 1)


slots = CheckSlots()
