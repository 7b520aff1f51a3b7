"""Where the recording peers of a process live: one asyncio loop on its own thread, so that takes
outlive the HTTP request that signalled them (whether Django serves it through daphne or WSGI)
and so that MediaRecorder's encoding never blocks the server's own event loop.

Views call the blocking, thread-safe `start()` and `stop()`. When a take ends, for whatever
reason, its peer is closed first, the file measured, then `on_done(result)` runs in a worker
thread: it may use the ORM (it is not a track callback)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from .recorder import RecordingPeer, TakeOutcome
from .tracks import recording_duration

logger = logging.getLogger(__name__)


class RecorderBusy(Exception):
    """This process already records as many takes as it may."""


@dataclass
class TakeResult:
    path: Path
    ok: bool
    duration: float | None
    outcome: TakeOutcome | None


@dataclass
class _Take:
    peer: RecordingPeer
    done: concurrent.futures.Future


class RecorderHost:
    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._takes: dict[str, _Take] = {}

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="ateliers-recorder", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
                _close_at_exit(self)
            return self._loop

    def __len__(self) -> int:
        return len(self._takes)

    def start(
        self,
        *,
        key: str,
        offer_sdp: str,
        path: Path,
        max_seconds: float,
        on_done,
        limit: int,
        ice_server_urls: list[str] = (),
        connect_seconds: float = 15,
        timeout: float = 10,
    ) -> str:
        """Answers the offer of a new take and starts recording it; returns the answer SDP.
        Raises RecorderBusy, OfferError, or TimeoutError."""
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(
            self._start(
                key=key,
                offer_sdp=offer_sdp,
                path=Path(path),
                max_seconds=max_seconds,
                on_done=on_done,
                limit=limit,
                ice_server_urls=list(ice_server_urls),
                connect_seconds=connect_seconds,
            ),
            loop,
        )
        return future.result(timeout)

    async def _start(self, *, key, offer_sdp, path, max_seconds, on_done, limit, **options) -> str:
        if len(self._takes) >= limit:
            raise RecorderBusy
        if key in self._takes:
            raise RecorderBusy
        peer = RecordingPeer(path=path, max_seconds=max_seconds, **options)
        try:
            answer = await peer.answer(offer_sdp)
        except BaseException:
            await peer.close()
            path.unlink(missing_ok=True)
            raise
        take = _Take(peer=peer, done=concurrent.futures.Future())
        self._takes[key] = take
        asyncio.get_running_loop().create_task(self._run(key, take, on_done))
        return answer

    async def _run(self, key: str, take: _Take, on_done) -> None:
        outcome = None
        try:
            outcome = await take.peer.record()
        except Exception:
            logger.exception("ateliers: take %s failed", key)
        finally:
            await take.peer.close()
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, _finish, take.peer.path, outcome, on_done)
        except Exception as exc:  # pragma: no cover - _finish logs its own failures
            take.done.set_exception(exc)
        else:
            take.done.set_result(result)
        finally:
            self._takes.pop(key, None)

    def stop(self, key: str, *, timeout: float = 20) -> TakeResult | None:
        """Ends a take and waits until it is saved; None when no such take runs here."""
        take = self._takes.get(key)
        if take is None or self._loop is None:
            return None
        self._loop.call_soon_threadsafe(take.peer.stop_requested.set)
        return take.done.result(timeout)

    def shutdown(self, timeout: float = 10) -> None:
        """Stops every take (each is saved) and the loop; for process exit and tests."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return
        takes = list(self._takes.values())
        for take in takes:
            loop.call_soon_threadsafe(take.peer.stop_requested.set)
        for take in takes:
            try:
                take.done.result(timeout)
            except Exception:
                logger.warning("ateliers: a take did not end cleanly at shutdown", exc_info=True)


def _finish(path: Path, outcome: TakeOutcome | None, on_done) -> TakeResult:
    duration = recording_duration(path) if outcome and outcome.connected else None
    ok = bool(outcome and outcome.video_frames and duration and duration > 0.5)
    if not ok:
        path.unlink(missing_ok=True)
    result = TakeResult(path=path, ok=ok, duration=duration, outcome=outcome)
    logger.info("ateliers: take %s ended: %s, duration %s s", path.name, outcome, duration)
    try:
        on_done(result)
    except Exception:
        logger.exception("ateliers: saving the take %s failed", path.name)
    return result


_registered: set[int] = set()


def _close_at_exit(host: RecorderHost) -> None:
    """threading's exit hooks run before non-daemon threads are joined: closing every peer
    there lets aiortc's decoder threads end, so the process can exit on SIGTERM."""
    if id(host) in _registered:
        return
    _registered.add(id(host))
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        register(host.shutdown)
    else:  # pragma: no cover
        import atexit

        atexit.register(host.shutdown)


host = RecorderHost()
