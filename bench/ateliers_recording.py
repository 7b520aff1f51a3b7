"""Concurrent simulation takes in one process: N synthetic aiortc clients (640x480 at 20 fps with
a tone) each record a 5 s answer through the RecorderHost, as the portal does.

    DJANGO_SETTINGS_MODULE=portal.settings.dev .venv/bin/python bench/ateliers_recording.py 1 4 8

Prints, per N: offer-to-answer and stop latencies, recorded durations and frame counts (PyAV),
and the process CPU time per second of recorded answer (clients included: an upper bound of
the server's share)."""

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ateliers.recorder_host import RecorderHost  # noqa: E402
from ateliers.tracks import recording_duration  # noqa: E402
from tests.ateliers.client import ClientPeer  # noqa: E402

SECONDS = 5


async def one_take(host, index: int, folder: Path) -> dict:
    path = folder / f"take-{index}.webm"
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def on_done(result):
        loop.call_soon_threadsafe(done.set)

    peer = ClientPeer(fps=20, width=640, height=480)
    try:
        offer = await peer.offer()
        started = time.monotonic()
        answer = await loop.run_in_executor(
            None,
            lambda: host.start(
                key=str(index),
                offer_sdp=offer,
                path=path,
                max_seconds=SECONDS,
                on_done=on_done,
                limit=64,
            ),  # fmt: skip
        )
        answered = time.monotonic() - started
        await peer.accept(answer)
        await asyncio.wait_for(peer.connected.wait(), 20)
        await asyncio.sleep(SECONDS + 0.5)
        stop_started = time.monotonic()
        await loop.run_in_executor(None, lambda: host.stop(str(index), timeout=30))
        stopped = time.monotonic() - stop_started
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await peer.close()
    if not path.exists():  # the take was refused (no usable video): counted as failed
        return {"answer_ms": answered * 1000, "stop_ms": stopped * 1000, "seconds": 0.0,
                "frames": 0}  # fmt: skip
    seconds = recording_duration(path)
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    return {"answer_ms": answered * 1000, "stop_ms": stopped * 1000, "seconds": seconds,
            "frames": frames}  # fmt: skip


async def run(count: int) -> None:
    host = RecorderHost()
    with tempfile.TemporaryDirectory() as folder:
        cpu = time.process_time()
        wall = time.monotonic()
        results = await asyncio.gather(*(one_take(host, i, Path(folder)) for i in range(count)))
        cpu = time.process_time() - cpu
        wall = time.monotonic() - wall
    host.shutdown()

    def spread(key):
        values = [r[key] for r in results]
        return (
            f"median {statistics.median(values):.2f}, min {min(values):.2f}, max {max(values):.2f}"
        )

    print(f"N={count}: wall {wall:.1f} s, CPU {cpu:.1f} s "
          f"({cpu / (count * SECONDS):.2f} CPU s per recorded second)")  # fmt: skip
    print(f"  answer ms: {spread('answer_ms')}")
    print(f"  stop ms:   {spread('stop_ms')}")
    print(f"  seconds:   {spread('seconds')}")
    print(f"  frames:    {spread('frames')}")
    failed = sum(1 for r in results if not r["frames"])
    print(f"  failed takes: {failed} of {count}")


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["1", "4"]:
        asyncio.run(run(int(arg)))
