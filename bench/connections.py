"""Connection capacity (issue 8 item 4): idle websockets on one daphne process, then a restart.

N seekers (2,000; 100 with --quick), each with a real session, open the portal's real chat route
/ws/chat/<id>/ (with Origin) on one daphne process started as in bench/chat_load.py, from a load
process of their own, and stay idle. Measured on the daphne process: memory per connection (RSS
with N open minus RSS before, over N) and idle CPU (CPU seconds over a 20 s idle window). Anchor
in the same run: a bare `websockets` server (bench/chat_echo.py) holding the same clients.
Target: within 2x. Then daphne is restarted (SIGTERM, a new process on the same port) and every
client reconnects as the portal's chat.js does (full-jitter exponential backoff, 0.5 s doubling
to 15 s, at least 100 ms): the time until
1,000 clients are back, from the SIGTERM, and the number never back. Target: 1,000 back within 5 s,
none lost.

    python -m bench.connections [--clients 2000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter

from bench import chat_load
from bench.common import ROOT, Figure, Report, migrated_database, pin_load_generator

DB_NAME = "bench_connections"


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_daphne(port: int, log) -> subprocess.Popen:
    env = chat_load.server_env("portal")
    return subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        + ["portal.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=raise_nofile,  # noqa: PLW1509 - only setrlimit, before exec
    )


def start_echo(port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.chat_echo", str(port)],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,  # clients dropped without a close frame: not news
        preexec_fn=raise_nofile,  # noqa: PLW1509
    )


def wait_port(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def backoff_delay(attempt: int) -> float:
    """static/js/chat.js's reconnection delay: full jitter over a capped exponential step."""
    step = min(15_000, 500 * 2**attempt)
    return max(100, int(random.random() * step)) / 1000  # noqa: S311


# --- The load process: holds the sockets, reconnects, answers commands on stdin ----------------


async def hold(config: dict) -> None:
    import websockets

    raise_nofile()
    url, origin = config["url"], config["origin"]
    clients = config["clients"]
    open_now: set[int] = set()
    closed_at: dict[int, float] = {}
    back_at: dict[int, float] = {}
    handshake_failures = 0
    reasons: Counter = Counter()
    semaphore = asyncio.Semaphore(50)

    async def client(index: int, entry: dict) -> None:
        nonlocal handshake_failures
        first, attempt = True, 0
        while True:
            try:
                if first:
                    async with semaphore:
                        socket = await websockets.connect(
                            f"{url}/ws/chat/{entry['id']}/",
                            origin=origin,
                            additional_headers={"Cookie": f"sessionid={entry['seeker']}"},
                            compression=None,
                            open_timeout=60,
                        )
                else:
                    socket = await websockets.connect(
                        f"{url}/ws/chat/{entry['id']}/",
                        origin=origin,
                        additional_headers={"Cookie": f"sessionid={entry['seeker']}"},
                        compression=None,
                        open_timeout=60,
                    )
            except (OSError, websockets.InvalidHandshake, TimeoutError) as error:
                handshake_failures += 1
                reasons[f"{type(error).__name__}: {str(error)[:60]}"] += 1
                await asyncio.sleep(backoff_delay(attempt))
                attempt += 1
                continue
            attempt = 0
            if index in closed_at and index not in back_at:
                back_at[index] = time.time()
            first = False
            open_now.add(index)
            try:
                async for _ in socket:
                    pass
            except websockets.ConnectionClosed:
                pass
            open_now.discard(index)
            closed_at[index] = time.time()
            back_at.pop(index, None)
            await asyncio.sleep(backoff_delay(attempt))
            attempt += 1

    tasks = []
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if line in ("", "quit"):
            break
        if line == "open":
            tasks = [asyncio.create_task(client(i, entry)) for i, entry in enumerate(clients)]
            print("{}", flush=True)
        if line == "status":
            state = {
                "open": len(open_now),
                "handshake_failures": handshake_failures,
                "closed": len(closed_at),
                "back": sorted(back_at.values()),
                "reasons": reasons.most_common(5),
            }
            print(json.dumps(state), flush=True)
    for task in tasks:
        task.cancel()


class Load:
    """The load process, driven by lines on its stdin."""

    def __init__(self, config: dict):
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(config, handle)
        self.path = handle.name
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.connections", "--client", self.path],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=raise_nofile,  # noqa: PLW1509
        )

    def open(self) -> None:
        self.command("open")

    def status(self) -> dict:
        return self.command("status")

    def command(self, line: str) -> dict:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def wait_open(self, count: int, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.status()
            if state["open"] >= count or time.monotonic() > deadline:
                return state
            time.sleep(0.2)

    def close(self) -> None:
        try:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        os.unlink(self.path)


def idle_figures(pid: int, load: Load, count: int, idle: float) -> tuple[float, float, dict]:
    """Memory per connection (KiB) and idle CPU (% of a core) of the server `pid`."""
    time.sleep(1)
    before = rss_kib(pid)
    load.open()
    load_state = load.wait_open(count, timeout=180)
    time.sleep(2)
    after = rss_kib(pid)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(idle)
    cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0) * 100
    return (after - before) / max(1, load_state["open"]), cpu, load_state


def main(args) -> Report:
    report = Report("connections", args.quick)
    report.check("load average before", os.getloadavg())
    chat_load.DB_NAME = DB_NAME
    migrated_database(DB_NAME, chat_load.server_env("portal"))
    chat_load.setup_orm()
    conversations = chat_load.seed(args.clients, max(1, args.clients // 200))
    clients = [{"id": c["id"], "seeker": c["seeker"]} for c in conversations]

    # The anchor: a bare websockets server holding the same clients.
    port = chat_load.free_port()
    echo = start_echo(port)
    wait_port(port)
    # One warm connection first, so that the baseline RSS includes the first-connection costs.
    load = Load(
        {"url": f"ws://127.0.0.1:{port}", "origin": f"http://127.0.0.1:{port}", "clients": clients}
    )
    try:
        echo_per_conn, echo_cpu, echo_state = idle_figures(echo.pid, load, len(clients), args.idle)
    finally:
        load.close()
        echo.terminate()
        echo.wait()
    report.check("anchor sockets open", echo_state["open"])

    chat_load.LOGS.mkdir(parents=True, exist_ok=True)
    log = (chat_load.LOGS / "connections-daphne.log").open("ab")
    port = chat_load.free_port()
    server = start_daphne(port, log)
    chat_load.wait_http(f"http://127.0.0.1:{port}/healthz")
    load = Load(
        {"url": f"ws://127.0.0.1:{port}", "origin": f"http://127.0.0.1:{port}", "clients": clients}
    )
    try:
        opened = time.monotonic()
        per_conn, cpu, state = idle_figures(server.pid, load, len(clients), args.idle)
        report.check("daphne sockets open", state["open"])
        pinned = sorted(os.sched_getaffinity(load.process.pid))
        report.check("load generator pinned to CPUs", pinned)
        report.check("daphne handshake failures while opening", state["handshake_failures"])
        report.check(
            "seconds to open every socket (then idle)",
            round(time.monotonic() - opened - args.idle - 3, 1),
        )
        report.check(
            "daphne RSS with every socket open (MiB)", round(rss_kib(server.pid) / 1024, 1)
        )
        report.add(
            Figure(
                f"memory per idle websocket [{len(clients)} sockets]",
                per_conn,
                "KiB",
                echo_per_conn,
                "bare websockets server",
                2.0,
            )
        )
        report.add(
            Figure(
                f"idle CPU with {len(clients)} sockets",
                cpu,
                "% of a core",
                echo_cpu,
                "bare websockets server",
                2.0,
            )
        )

        # The restart: SIGTERM, a new process on the same port, every client comes back.
        restarted = time.time()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        stopped = time.time()
        server = start_daphne(port, log)
        chat_load.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        listening = time.time()
        target = min(1000, len(clients))
        deadline = time.monotonic() + 120
        while True:
            state = load.status()
            if state["open"] >= len(clients) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        back = state["back"]
        report.check("old process stop seconds (SIGTERM to exit)", round(stopped - restarted, 2))
        report.check("new process ready seconds (exit to /healthz)", round(listening - stopped, 2))
        report.check("clients back", len(back))
        report.check("clients never back (lost)", len(clients) - state["open"])
        report.check("handshake failures in all", state["handshake_failures"])
        report.check("handshake failure reasons", state["reasons"])
        if len(back) >= target:
            at = back[target - 1]
            report.add(
                Figure(
                    f"{target} clients back, from SIGTERM",
                    at - restarted,
                    "s",
                    5.0,
                    "5 s",
                    1.0,
                )
            )
            report.add(
                Figure(
                    f"{target} clients back, from the new process answering /healthz",
                    at - listening,
                    "s",
                    5.0,
                    "5 s",
                    1.0,
                )
            )
            report.check(f"all {len(back)} back, from SIGTERM (s)", round(back[-1] - restarted, 2))
        if args.quick:
            assert state["open"] == len(clients), state["open"]
            assert len(back) == len(clients), len(back)
    finally:
        load.close()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    report.check("load average after", os.getloadavg())
    if args.quick:
        assert echo_state["open"] == len(clients)
    return report


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to show it works")
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--idle", type=float, default=20, help="seconds of the idle window")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.clients, args.idle = 100, 2
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.client:
        with open(arguments.client) as config_file:
            configuration = json.load(config_file)
        pin_load_generator()  # the parent reports the process's CPUs
        asyncio.run(hold(configuration))
        sys.exit(0)
    final = main(arguments)
    print("written:", final.write())
