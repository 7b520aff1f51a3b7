"""Slow consumers (issue 8 item 9): during the chat load, 5% of the sockets stop reading.

The chat load of bench/chat_load.py (seekers and advisors, one socket each per conversation, on one
daphne process with Redis and PostgreSQL), at a fixed offered rate, in three phases of one run:
baseline (after a warm-up), then 5% of the sockets (the seeker side of one conversation in ten)
stop reading for the pause (60 s; 4 s with --quick): their client stops taking frames, so that
with a 4-frame client buffer the TCP window closes and the server must hold what it owes them;
then they read again. Others keep sending and receiving.

Figures: the end-to-end latency p99 of the messages to the other sockets during the pause, against
the baseline p99 of the same sockets in the same run (target within 1.2x); daphne's RSS before,
during (peak) and after; and, once the slow sockets read again, every message they were owed
delivered (0 lost, 0 duplicated, in order).

    python -m bench.slow_consumers [--rate 100] [--pause 60] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench import chat_load
from bench.common import (
    ROOT,
    Figure,
    Report,
    median,
    migrated_database,
    percentile,
    pin_load_generator,
)

DB_NAME = "bench_slow_consumers"


async def load(config: dict) -> dict:
    import websockets

    server, conversations = config["server"], config["conversations"]
    slow = {index for index in range(len(conversations)) if index % 10 == 0}
    semaphore = asyncio.Semaphore(25)
    sockets, received, seqs, resume = {}, {}, {}, {}

    async def open_peer(index: int, side: str) -> None:
        slow_socket = side == "seeker" and index in slow
        async with semaphore:
            sockets[(index, side)] = await websockets.connect(
                server.replace("http", "ws", 1) + f"/ws/chat/{conversations[index]['id']}/",
                origin=server,
                additional_headers={"Cookie": f"sessionid={conversations[index][side]}"},
                compression=None,
                open_timeout=30,
                max_queue=4 if slow_socket else None,
                # A stopped client answers no ping either (the library's own would close it).
                ping_interval=None if slow_socket else 20,
            )
        received[(index, side)], seqs[(index, side)] = {}, []
        resume[(index, side)] = asyncio.Event()
        resume[(index, side)].set()

    await asyncio.gather(
        *(open_peer(i, side) for i in range(len(conversations)) for side in ("seeker", "advisor"))
    )

    async def read(key) -> None:
        try:
            async for raw in sockets[key]:
                await resume[key].wait()
                now = time.perf_counter()
                frame = json.loads(raw)
                if frame["type"] == "message.new":
                    seqs[key].append(frame["message"]["seq"])
                    received[key].setdefault(frame["message"]["client_id"], now)
                elif frame["type"] == "message.ack":
                    acked.add(frame["client_id"])
        except websockets.ConnectionClosed:
            pass

    acked: set[str] = set()
    readers = [asyncio.create_task(read(key)) for key in sockets]
    sent: dict[str, tuple[float, int, str, str]] = {}
    phases: dict[str, float] = {}
    rate = config["rate"]

    async def run_phase(name: str, seconds: float, number: int) -> int:
        phases[f"{name} start"] = time.time()
        started = time.perf_counter()
        for step in range(int(rate * seconds)):
            delay = started + step / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            index = number % len(conversations)
            side = "seeker" if (number // len(conversations)) % 2 == 0 else "advisor"
            if name == "pause" and side == "seeker" and index in slow:
                side = "advisor"  # a stopped client does not send either
            number += 1
            if sockets[(index, side)].close_code is not None:  # closed by the server
                side = "advisor" if side == "seeker" else "seeker"
                if sockets[(index, side)].close_code is not None:
                    continue
            client_id = str(uuid.uuid4())
            sent[client_id] = (time.perf_counter(), index, side, name)
            await sockets[(index, side)].send(
                json.dumps({"type": "message.send", "client_id": client_id, "body": "Bonjour"})
            )
        phases[f"{name} end"] = time.time()
        return number

    number = await run_phase("warm", config["warm"], 0)
    number = await run_phase("baseline", config["baseline"], number)
    for index in slow:
        resume[(index, "seeker")].clear()
    number = await run_phase("pause", config["pause"], number)
    for index in slow:
        resume[(index, "seeker")].set()
    number = await run_phase("after", config["after"], number)
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if all(
            client_id in received[(index, "advisor" if side == "seeker" else "seeker")]
            for client_id, (_, index, side, _) in sent.items()
        ):
            break
        await asyncio.sleep(0.2)
    phases["drained"] = time.time()

    latencies: dict[str, list[float]] = {
        "warm": [],
        "baseline": [],
        "pause": [],
        "after": [],
        "slow": [],
    }
    lost = to_closed = unacknowledged = 0
    closed = {key: sockets[key].close_code for key in sockets if sockets[key].close_code}
    for client_id, (at, index, side, phase) in sent.items():
        other = (index, "advisor" if side == "seeker" else "seeker")
        if client_id not in received[other]:
            if client_id not in acked:
                # Never acknowledged: written on a socket the server had already closed (its
                # stopped client had not read the close yet). A real client sends it again.
                unacknowledged += 1
            elif sockets[other].close_code is not None:
                to_closed += 1  # the server closed that socket: its client syncs on return
            else:
                lost += 1
            continue
        delay = (received[other][client_id] - at) * 1000
        if other[1] == "seeker" and index in slow:
            latencies["slow"].append(delay)
        else:
            latencies[phase].append(delay)
    duplicated = sum(len(s) - len(set(s)) for s in seqs.values())
    out_of_order = sum(
        sum(1 for a, b in zip(s, s[1:], strict=False) if b < a) for s in seqs.values()
    )
    for socket in sockets.values():
        await socket.close()
    for reader in readers:
        reader.cancel()
    return {
        "latencies": latencies,
        "phases": phases,
        "sent": len(sent),
        "lost": lost,
        "undelivered_to_closed_sockets": to_closed,
        "never_acknowledged": unacknowledged,
        "sockets_closed_by_server": len(closed),
        "close_codes": sorted(set(closed.values())),
        "duplicated": duplicated,
        "out_of_order": out_of_order,
        "slow_sockets": len(slow),
        "sockets": len(sockets),
    }


def sample_rss(pid: int, samples: list, stop: threading.Event) -> None:
    from bench.connections import rss_kib

    while not stop.is_set():
        try:
            samples.append((time.time(), rss_kib(pid) / 1024))
        except (OSError, RuntimeError):
            return
        stop.wait(0.25)


def main(args) -> Report:
    report = Report("slow_consumers", args.quick)
    report.check("load average before", os.getloadavg())
    chat_load.DB_NAME = DB_NAME
    migrated_database(DB_NAME, chat_load.server_env("portal"))
    chat_load.setup_orm()
    conversations = chat_load.seed(args.seekers, max(1, args.seekers // 10))
    servers = chat_load.Servers(1, "portal")
    with servers as urls:
        process = servers.processes[0]
        samples: list = []
        stop = threading.Event()
        sampler = threading.Thread(target=sample_rss, args=(process.pid, samples, stop))
        sampler.start()
        config = {
            "server": urls[0],
            "conversations": conversations,
            "rate": args.rate,
            "warm": 1 if args.quick else 10,
            "baseline": args.baseline,
            "pause": args.pause,
            "after": args.after,
        }
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "config.json"
            path.write_text(json.dumps(config))
            subprocess.run(
                [sys.executable, "-m", "bench.slow_consumers", "--client", str(path)],
                cwd=ROOT,
                check=True,
            )
            result = json.loads((Path(folder) / "result.json").read_text())
        time.sleep(2)
        stop.set()
        sampler.join()
    phases = result["phases"]

    def rss_between(start: str, end: str) -> list[float]:
        return [mib for at, mib in samples if phases[start] <= at <= phases[end]] or [0.0]

    before = rss_between("baseline start", "baseline end")
    during = rss_between("pause start", "pause end")
    after = rss_between("after end", "drained") + [samples[-1][1]]
    label = f"[{result['sockets']} sockets, {result['slow_sockets']} stopped {args.pause:g} s]"
    base = result["latencies"]["baseline"] or [float("nan")]
    paused = result["latencies"]["pause"] or [float("nan")]
    report.add(
        Figure(
            f"others' latency p50 during the pause {label}",
            median(paused),
            "ms",
            median(base),
            "baseline p50, same sockets",
            1.2,
        )
    )
    report.add(
        Figure(
            f"others' latency p99 during the pause {label}",
            percentile(paused, 99),
            "ms",
            percentile(base, 99),
            "baseline p99, same sockets",
            1.2,
        )
    )
    report.add(
        Figure(
            f"daphne RSS peak during the pause {label}",
            max(during),
            "MiB",
            max(before),
            "RSS peak during the baseline",
        )
    )
    report.check(
        "daphne RSS MiB before / during (peak) / after",
        [round(max(before), 1), round(max(during), 1), round(after[-1], 1)],
    )
    # The same sockets once the stopped ones read again: tells a drift of the machine's other
    # load (shared cores) from an effect of the pause.
    later = result["latencies"]["after"] or [float("nan")]
    report.check(
        "others' latency p50 / p99 ms after the pause",
        [round(median(later), 2), round(percentile(later, 99), 2)],
    )
    slow = result["latencies"]["slow"] or [0.0]
    report.check("slow sockets' latency max ms (held until they read)", round(max(slow), 1))
    for name in (
        "sent",
        "lost",
        "duplicated",
        "out_of_order",
        "undelivered_to_closed_sockets",
        "never_acknowledged",
        "sockets_closed_by_server",
        "close_codes",
        "pinned_cpus",
    ):
        report.check(name, result[name])
    report.check("load average after", os.getloadavg())
    if args.quick:
        assert result["lost"] == 0 and result["duplicated"] == 0 and result["out_of_order"] == 0
        assert result["latencies"]["slow"], "the slow sockets received nothing"
    return report


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to show it works")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=100, help="offered messages per second")
    parser.add_argument("--baseline", type=float, default=30)
    parser.add_argument("--pause", type=float, default=60)
    parser.add_argument("--after", type=float, default=20)
    parser.add_argument("--seekers", type=int, default=200)
    args = parser.parse_args()
    if args.quick:
        args.rate, args.baseline, args.pause, args.after, args.seekers = 20, 3, 4, 2, 40
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.client:
        config_path = Path(arguments.client)
        pinned = pin_load_generator()
        outcome = asyncio.run(load(json.loads(config_path.read_text())))
        outcome["pinned_cpus"] = pinned
        (config_path.parent / "result.json").write_text(json.dumps(outcome))
        sys.exit(0)
    final = main(arguments)
    print("written:", final.write())
