"""Soak (issue 8 item 8): the chat load of bench/chat_load.py for a long time on one daphne process.

The issue asks for 30 minutes (`--minutes 30`, the default); the duration is an argument, and the
report names the duration actually run. daphne is started through bench/soak_daphne.py (the same
command line, plus a SIGUSR1 handler that writes its live asyncio tasks, threads and open file
descriptors). Figures: RSS at the end of the load against RSS after the warm-up (the first tenth of
the run, at least 30 s; target: growth under 5%); then, once every client has closed, the live
tasks, threads, file descriptors and OpenSocket rows against their values before the load (each
must come back: no leaked tasks or sockets). The chat load opens no peer connection (aiortc): the
thread count is the check that would show a leaked one.

    python -m bench.soak [--minutes 30] [--rate 50] [--database NAME] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import chat_load
from bench.common import ROOT, Figure, Report, median, migrated_database, percentile
from bench.slow_consumers import sample_rss

DB_NAME = "bench_soak"


def state(process: subprocess.Popen, path: Path) -> dict:
    path.unlink(missing_ok=True)
    process.send_signal(signal.SIGUSR1)
    # A tracemalloc snapshot of the whole process takes a while (SOAK_TRACEMALLOC).
    deadline = time.monotonic() + (120 if os.environ.get("SOAK_TRACEMALLOC") else 10)
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            time.sleep(0.05)
            return json.loads(path.read_text())
        time.sleep(0.05)
    raise RuntimeError("daphne wrote no state")


def open_sockets() -> int:
    from chat.models import OpenSocket

    return OpenSocket.objects.count()


def main(args) -> Report:
    report = Report("soak", args.quick)
    report.check("load average before", os.getloadavg())
    report.check("minutes run", args.minutes)
    chat_load.DB_NAME = args.database
    migrated_database(args.database, chat_load.server_env("portal"))
    chat_load.setup_orm()
    conversations = chat_load.seed(args.seekers, max(1, args.seekers // 10))
    folder = Path(tempfile.mkdtemp())
    state_file = folder / "state.json"
    env = {**chat_load.server_env("portal"), "SOAK_STATE_FILE": str(state_file)}
    port = chat_load.free_port()
    chat_load.LOGS.mkdir(parents=True, exist_ok=True)
    log = (chat_load.LOGS / "soak-daphne.log").open("ab")
    command = [sys.executable, "-m", "bench.soak_daphne", "-b", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        [*command, "portal.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        chat_load.wait_http(url + "/healthz")
        # One short load first, so that "before" counts what a process keeps once warm (pools,
        # imports, caches), then the state before the soak.
        chat_load.run_load_process(
            {
                "servers": [url],
                "conversations": conversations[:10],
                "mode": "rate",
                "rate": 10,
                "duration": 2,
            }
        )
        time.sleep(2)
        before = state(process, state_file)
        sockets_before = open_sockets()
        samples: list = []
        stop = threading.Event()
        sampler = threading.Thread(target=sample_rss, args=(process.pid, samples, stop))
        started = time.time()
        sampler.start()
        seconds = args.minutes * 60
        result = chat_load.run_load_process(
            {
                "servers": [url],
                "conversations": conversations,
                "mode": "rate",
                "rate": args.rate,
                "duration": seconds,
            }
        )
        ended = time.time()
        stop.set()
        sampler.join()
        # The clients closed: the server has up to 30 s to finish their disconnections.
        settle = time.monotonic()
        while True:
            time.sleep(1)
            after = state(process, state_file)
            sockets_after = open_sockets()
            settled = (
                after["tasks"] <= before["tasks"]
                and sockets_after <= sockets_before
                and after["sockets"].get("clients", 0) == 0
            )
            if settled or time.monotonic() - settle > 30:
                break
        settle_seconds = time.monotonic() - settle
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

    warm_until = started + max(30.0, seconds / 10) if not args.quick else started + seconds / 3
    warm = [mib for at, mib in samples if at <= warm_until][-4:] or [samples[0][1]]
    # The end of the load, before the generator's final check makes every socket sync its whole
    # history from seq 0 (90,000 messages in 30 minutes: a peak no real client makes, reported
    # apart).
    end = [mib for at, mib in samples if at <= result["load_ended_at"]][-4:]
    verified = [mib for at, mib in samples if at <= ended][-4:]
    label = f"[{args.minutes:g} min at {args.rate:g} msg/s, {result['sockets']} sockets]"
    report.add(
        Figure(
            f"RSS at the end of the load {label}",
            median(end),
            "MiB",
            median(warm),
            "RSS after the warm-up",
            1.05,
        )
    )
    # The shape of the growth (a plateau or a slope), RSS at each tenth of the load.
    tenths = []
    for tenth in range(1, 11):
        upto = [mib for at, mib in samples if at <= started + seconds * tenth / 10]
        tenths.append(round(upto[-1], 1) if upto else None)
    report.check("RSS MiB at each tenth of the load", tenths)
    report.check("RSS MiB after the final sync of every socket from 0", round(median(verified), 1))
    report.check(
        "RSS MiB min / max over the run",
        [round(min(m for _, m in samples), 1), round(max(m for _, m in samples), 1)],
    )
    latencies = result["latencies_ms"] or [float("nan")]
    report.check(
        "latency p50 / p99 ms over the run",
        [round(median(latencies), 2), round(percentile(latencies, 99), 2)],
    )
    for name in ("sent", "acked", "lost", "duplicated", "out_of_order", "gaps", "errors"):
        report.check(name, result[name])
    report.check("load generator pinned to CPUs", result["pinned_cpus"])
    report.check("asyncio tasks before / after", [before["tasks"], after["tasks"]])
    report.check("threads before / after", [before["threads"], after["threads"]])
    report.check("file descriptors before / after", [before["fds"], after["fds"]])
    report.check("TCP sockets by kind before", before["sockets"])
    report.check("TCP sockets by kind after", after["sockets"])
    report.check("OpenSocket rows before / after", [sockets_before, sockets_after])
    report.check("task kinds after", after["task_kinds"])
    if after["tasks"]:
        report.check("where the tasks left wait", after.get("task_stacks"))
    if after.get("allocations_grown"):
        report.check("allocations grown since the warm-up (KiB, count)", after["allocations_grown"])
    report.check("seconds for the tasks to settle (30 = never)", round(settle_seconds, 1))
    report.check("load average after", os.getloadavg())
    if args.quick:
        assert result["lost"] == 0 and result["duplicated"] == 0, result
        assert after["tasks"] <= before["tasks"], (before, after)
        assert after["threads"] <= before["threads"], (before, after)
        assert after["sockets"].get("clients", 0) == 0, after
        assert sockets_after == 0, sockets_after
    return report


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to show it works")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=50, help="offered messages per second")
    parser.add_argument("--seekers", type=int, default=200)
    # A long run keeps its own database: a --quick run of the suite started meanwhile recreates
    # bench_soak (DROP ... WITH (FORCE)), which would cut the long run's connections.
    parser.add_argument("--database", default=DB_NAME)
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.rate, args.seekers = 0.1, 20, 20
    return args


if __name__ == "__main__":
    final = main(parse())
    print("written:", final.write())
