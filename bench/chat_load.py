"""Benchmark of the chat (issue 4), not run by CI.

200 seeker and 20 advisor clients (each advisor holds one socket per conversation it follows, 10)
run in a separate load process against one or two daphne processes sharing Redis and PostgreSQL.
At fixed offered rates (50 and 200 messages per second, 60 s each) it measures the end-to-end
latency (send by one side -> message.new at the other side) p50/p99, and counts messages lost,
duplicated or out of order (each must be 0; the final check syncs every socket from seq 0). In a
closed loop (every seeker sends its next message as soon as the previous one is acknowledged) it
measures the sustained persisted-message throughput of one and of two daphne processes.

Anchors measured in the same run: the round trip of a raw Redis publish/subscribe, of a bare
`websockets` echo server, and the rate of pgbench single-row inserts. Targets (issue 4): p99 within
5x the sum of the first two anchors and under 25 ms; one process sustains at least a tenth of the
pgbench insert rate; two processes at least 1.7x one. Both channels_redis layer classes are run.

    python -m bench.chat_load            # the full run (about 12 minutes)
    python -m bench.chat_load --quick    # small sizes, to show it works
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench.common import (
    ROOT,
    Figure,
    Report,
    median,
    migrated_database,
    percentile,
    pin_load_generator,
)

LOGS = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "bench_chat"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# pgbench's script: one single-row insert of a body as long as the chat's.
INSERT_SQL = "INSERT INTO bench_insert (body) VALUES (repeat('x', 70));\n"
BODY = "Bonjour, j'ai mis à jour mon CV, pouvez-vous le relire avant jeudi ?"


# --- The servers -------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(layer: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.chat_settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "CHAT_BENCH_LAYER": layer,
        "CHAT_BENCH_PREFIX": f"benchchat{uuid.uuid4().hex[:6]}",
        "PYTHONPATH": str(ROOT),
    }


class Servers:
    """Starts `count` daphne processes; stops them on exit."""

    def __init__(self, count: int, layer: str):
        self.count, self.env = count, server_env(layer)
        self.processes, self.urls = [], []
        # The servers' warnings and errors, kept for the post-mortem of a run.
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = (LOGS / f"chat_load-{layer}-{count}proc.log").open("ab")

    def __enter__(self) -> list[str]:
        for _ in range(self.count):
            port = free_port()
            self.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "daphne",
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "portal.asgi:application",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=self.log,
                    stderr=subprocess.STDOUT,
                )
            )
            self.urls.append(f"http://127.0.0.1:{port}")
        for url in self.urls:
            wait_http(url + "/healthz")
        return self.urls

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


# --- The database ------------------------------------------------------------------------------


def prepare_database() -> None:
    """A fresh migrated database: a copy of the suite's migrated template (bench/common.py)."""
    migrated_database(DB_NAME, server_env("portal"))


def setup_orm() -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.chat_settings",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "REDIS_URL": REDIS_URL,
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(seekers: int, advisors: int) -> list[dict]:
    """Users, followed seekers, their conversations and real sessions; returns what clients need."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Role, User
    from advisors.models import Advisor
    from agencies.models import Agency, Region
    from chat.models import Conversation
    from seekers.models import EnrolmentStep, FollowUpStatus, Seeker

    password = make_password("bench-password")
    region = Region.objects.create(name="Bench")
    agency = Agency.objects.create(region=region, name="Bench", code="bench")
    advisor_users = User.objects.bulk_create(
        User(
            email=f"advisor{n}@bench.test",
            role=Role.ADVISOR,
            password=password,
            first_name="Conseiller",
            last_name=str(n),
        )
        for n in range(advisors)
    )
    # Advisors reach the portal only with an authenticator app (accounts.second_factor).
    Authenticator.objects.bulk_create(
        Authenticator(user=user, type=Authenticator.Type.TOTP, data={"secret": "bench"})
        for user in advisor_users
    )
    advisor_rows = Advisor.objects.bulk_create(
        Advisor(user=user, agency=agency, capacity=10_000) for user in advisor_users
    )
    seeker_users = User.objects.bulk_create(
        User(
            email=f"seeker{n}@bench.test",
            role=Role.SEEKER,
            password=password,
            first_name="Demandeur",
            last_name=str(n),
        )
        for n in range(seekers)
    )
    seeker_rows = Seeker.objects.bulk_create(
        Seeker(
            user=user,
            agency=agency,
            referent=advisor_rows[n % advisors],
            status=FollowUpStatus.FOLLOWED_ONLINE,
            enrolment_step=EnrolmentStep.DONE,
        )
        for n, user in enumerate(seeker_users)
    )
    conversations = Conversation.objects.bulk_create(
        Conversation(seeker=seeker) for seeker in seeker_rows
    )

    def cookie(user) -> str:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return session.session_key

    advisor_cookies = [cookie(user) for user in advisor_users]
    return [
        {
            "id": conversation.pk,
            "seeker": cookie(seeker.user),
            "advisor": advisor_cookies[n % advisors],
        }
        for n, (seeker, conversation) in enumerate(zip(seeker_rows, conversations, strict=True))
    ]


def reset_messages() -> None:
    from django_tasks_db.models import DBTaskResult

    from chat.models import Conversation, Message, OpenSocket, ReadMark

    Message.objects.all().delete()
    ReadMark.objects.all().delete()
    OpenSocket.objects.all().delete()
    DBTaskResult.objects.all().delete()
    Conversation.objects.update(last_seq=0, last_message_at=None, awaiting_since=None)


def persisted_count() -> int:
    from chat.models import Message

    return Message.objects.count()


# --- The load process --------------------------------------------------------------------------


class Peer:
    def __init__(self, index: int, side: str, socket):
        self.index, self.side, self.socket = index, side, socket
        self.acks: dict[str, asyncio.Future] = {}
        self.received: dict[str, float] = {}
        self.seqs: list[int] = []
        self.history: asyncio.Queue = asyncio.Queue()
        self.errors = 0

    async def read(self) -> None:
        import websockets

        try:
            async for raw in self.socket:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "message.ack":
                    future = self.acks.get(frame["client_id"])
                    if future is not None and not future.done():
                        future.set_result((now, frame["message"]["seq"]))
                elif kind == "message.new":
                    self.seqs.append(frame["message"]["seq"])
                    self.received.setdefault(frame["message"]["client_id"], now)
                elif kind == "message.history":
                    await self.history.put(frame)
                elif kind == "error":
                    self.errors += 1
        except websockets.ConnectionClosed:
            pass


async def load(config: dict) -> dict:
    import websockets

    servers, conversations = config["servers"], config["conversations"]
    semaphore = asyncio.Semaphore(25)
    peers: dict[tuple[int, str], Peer] = {}

    async def open_peer(index: int, side: str, server: str) -> None:
        async with semaphore:
            socket = await websockets.connect(
                server.replace("http", "ws", 1) + f"/ws/chat/{conversations[index]['id']}/",
                origin=server,
                additional_headers={"Cookie": f"sessionid={conversations[index][side]}"},
                compression=None,
                open_timeout=30,
                max_queue=None,
            )
        peers[(index, side)] = Peer(index, side, socket)

    await asyncio.gather(
        *(
            open_peer(index, side, servers[(index + shift) % len(servers)])
            for index in range(len(conversations))
            for side, shift in (("seeker", 0), ("advisor", 1))
        )
    )
    readers = [asyncio.create_task(peer.read()) for peer in peers.values()]
    sent: dict[str, tuple[float, int, str]] = {}
    acked: dict[str, float] = {}
    lag = 0.0
    loop = asyncio.get_running_loop()

    async def send(index: int, side: str) -> asyncio.Future:
        client_id = str(uuid.uuid4())
        peer = peers[(index, side)]
        future = loop.create_future()
        peer.acks[client_id] = future
        sent[client_id] = (time.perf_counter(), index, side)
        await peer.socket.send(
            json.dumps({"type": "message.send", "client_id": client_id, "body": BODY})
        )
        future.add_done_callback(
            lambda f, c=client_id: (
                acked.__setitem__(c, f.result()[0]) if not f.cancelled() else None
            )
        )
        return future

    started = time.perf_counter() + 0.5
    if config["mode"] == "rate":
        rate, total = config["rate"], int(config["rate"] * config["duration"])
        for number in range(total):
            target = started + number / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lag = max(lag, -delay)
            index = number % len(conversations)
            side = "seeker" if (number // len(conversations)) % 2 == 0 else "advisor"
            await send(index, side)
        window = config["duration"]
    else:
        deadline = started + config["duration"]
        warm = started + 2

        async def closed_loop(index: int) -> None:
            while time.perf_counter() < deadline:
                await asyncio.wait_for(await send(index, "seeker"), 30)

        await asyncio.sleep(max(0, started - time.perf_counter()))
        await asyncio.gather(*(closed_loop(index) for index in range(len(conversations))))
        window = deadline - warm

    # Stragglers: every acknowledgement (an overloaded server may owe minutes of them), then
    # every delivery to the other side.
    pending = [f for peer in peers.values() for f in peer.acks.values() if not f.done()]
    if pending:
        await asyncio.wait(pending, timeout=300)
    grace = time.perf_counter() + 15
    while time.perf_counter() < grace:
        if all(
            client_id in peers[(index, "advisor" if side == "seeker" else "seeker")].received
            for client_id, (_, index, side) in sent.items()
        ):
            break
        await asyncio.sleep(0.1)

    latencies, ack_latencies, missed_live = [], [], 0
    for client_id, (at, index, side) in sent.items():
        other = peers[(index, "advisor" if side == "seeker" else "seeker")]
        if client_id in other.received:
            latencies.append(other.received[client_id] - at)
        else:
            missed_live += 1
        if client_id in acked:
            ack_latencies.append(acked[client_id] - at)
    if config["mode"] == "saturate":
        counted = sum(1 for at in acked.values() if warm <= at <= deadline)
    else:
        counted = len(acked)

    duplicated = out_of_order = 0
    for peer in peers.values():
        duplicated += len(peer.seqs) - len(set(peer.seqs))
        out_of_order += sum(1 for a, b in zip(peer.seqs, peer.seqs[1:], strict=False) if b < a)

    # The load ends here; what follows is the benchmark's own verification (the soak measures
    # its memory apart).
    load_ended_at = time.time()
    # The final word: every socket syncs from 0 and must hold every acknowledged message once.
    by_conversation: dict[int, set[str]] = {}
    for client_id in acked:
        by_conversation.setdefault(sent[client_id][1], set()).add(client_id)
    lost = len(sent) - len(acked)
    unanswered_syncs = gaps = 0
    for peer in peers.values():
        messages, after = [], 0
        while True:
            await peer.socket.send(json.dumps({"type": "sync", "after_seq": after}))
            try:
                page = await asyncio.wait_for(peer.history.get(), 120)
            except TimeoutError:
                unanswered_syncs += 1
                break
            messages.extend(page["messages"])
            if not page["has_more"] or not page["messages"]:
                break
            after = page["messages"][-1]["seq"]
        seqs = [message["seq"] for message in messages]
        gaps += int(seqs != list(range(1, len(seqs) + 1)))
        held = {message["client_id"] for message in messages}
        lost += len(by_conversation.get(peer.index, set()) - held)
        duplicated += len(seqs) - len(set(seqs))
    for peer in peers.values():
        await peer.socket.close()
    for reader in readers:
        reader.cancel()
    used = os.times()
    return {
        # The load generator's own CPU (user + system seconds), to tell its cost from the server's.
        "generator_cpu_s": used.user + used.system,
        "load_ended_at": load_ended_at,
        "sent": len(sent),
        "acked": len(acked),
        "throughput": counted / window,
        "latencies_ms": [value * 1000 for value in latencies],
        "ack_latencies_ms": [value * 1000 for value in ack_latencies],
        "missed_live": missed_live,
        "lost": lost,
        "duplicated": duplicated,
        "out_of_order": out_of_order,
        "gaps": gaps,
        "unanswered_syncs": unanswered_syncs,
        "errors": sum(peer.errors for peer in peers.values()),
        "generator_lag_ms": lag * 1000,
        "sockets": len(peers),
    }


def run_load_process(config: dict) -> dict:
    """Runs the clients in a separate Python process, as the issue asks."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.json"
        path.write_text(json.dumps(config))
        subprocess.run(
            [sys.executable, "-m", "bench.chat_load", "--client", str(path)], cwd=ROOT, check=True
        )
        return json.loads((Path(folder) / "result.json").read_text())


# --- The anchors -------------------------------------------------------------------------------


async def echo_round_trips(url: str, samples: int) -> list[float]:
    import websockets

    latencies = []
    async with websockets.connect(url, compression=None) as socket:
        for _ in range(20):
            await socket.send("warm")
            await socket.recv()
        for _ in range(samples):
            started = time.perf_counter()
            await socket.send(json.dumps({"type": "message.new", "body": BODY}))
            await socket.recv()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def websockets_anchor(samples: int) -> list[float]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.chat_echo", str(port)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                return asyncio.run(echo_round_trips(f"ws://127.0.0.1:{port}", samples))
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait()


def pgbench_inserts(seconds: int, clients: int = 10) -> tuple[float, float]:
    """pgbench single-row inserts: (rows per second, average latency in ms)."""
    import psycopg

    with psycopg.connect(f"{PG}/{DB_NAME}", autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_insert "
            "(id bigserial PRIMARY KEY, body text NOT NULL, at timestamptz DEFAULT now())"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(INSERT_SQL)
    command = ["pgbench", "-n", "-h", "127.0.0.1", "-U", "postgres", "-c", str(clients)]
    command += ["-j", str(min(clients, 2)), "-T", str(seconds), "-f", script.name, DB_NAME]
    try:
        for attempt in (1, 2):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode == 0:
                break
            # Seen once on the shared machine: a pgbench client refused at connection time.
            print(f"pgbench failed (attempt {attempt}): {done.stderr.strip()[-500:]}", flush=True)
        done.check_returncode()
        output = done.stdout
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"tps = ([\d.]+)", output).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", output).group(1))
    return rate, latency


# --- The orchestration -------------------------------------------------------------------------


def main(args) -> Report:
    report = Report("chat_load", args.quick)
    report.check("load average before", [round(load, 2) for load in os.getloadavg()])
    prepare_database()
    setup_orm()
    conversations = seed(args.seekers, args.advisors)

    from bench.channel_layer import raw_pubsub

    samples = 200 if args.quick else 2000
    redis_ms = [value * 1000 for value in asyncio.run(raw_pubsub(samples))]
    echo_ms = websockets_anchor(samples)
    inserts, _ = pgbench_inserts(3 if args.quick else 10)
    _, commit_ms = pgbench_inserts(3 if args.quick else 10, clients=1)
    r50, r99 = median(redis_ms), percentile(redis_ms, 99)
    e50, e99 = median(echo_ms), percentile(echo_ms, 99)
    report.add(Figure("anchor: raw Redis pub/sub round trip p50", r50, "ms"))
    report.add(Figure("anchor: raw Redis pub/sub round trip p99", r99, "ms"))
    report.add(Figure("anchor: bare websockets echo round trip p50", e50, "ms"))
    report.add(Figure("anchor: bare websockets echo round trip p99", e99, "ms"))
    report.add(Figure("anchor: pgbench single-row inserts (10 clients)", inserts, "rows/s"))
    # Not an anchor of the targets, but the floor of any latency that waits for a durable
    # commit, as every chat message does before it is acknowledged or delivered.
    report.add(Figure("context: pgbench one-client insert latency (one commit)", commit_ms, "ms"))

    for repeat in range(args.repeat):
        for layer in args.layers:
            for servers in args.servers:
                for rate in args.rates:
                    reset_messages()
                    with Servers(servers, layer) as urls:
                        result = run_load_process(
                            {
                                "servers": urls,
                                "conversations": conversations,
                                "mode": "rate",
                                "rate": rate,
                                "duration": args.duration,
                            }
                        )
                    label = f"[{layer}, {servers} proc, {rate} msg/s{tag(repeat)}]"
                    latencies = result["latencies_ms"] or [float("nan")]
                    p50, p99 = median(latencies), percentile(latencies, 99)
                    report.add(
                        Figure(
                            f"end-to-end latency p50 {label}",
                            p50,
                            "ms",
                            r50 + e50,
                            "Redis p50 + echo p50",
                            5.0,
                        )
                    )
                    report.add(
                        Figure(
                            f"end-to-end latency p99 {label}",
                            p99,
                            "ms",
                            r99 + e99,
                            "Redis p99 + echo p99",
                            5.0,
                        )
                    )
                    report.check(f"p99 under 25 ms {label}", p99 < 25)
                    report.check(f"persisted {label}", persisted_count())
                    for name in (
                        "sent",
                        "acked",
                        "lost",
                        "duplicated",
                        "out_of_order",
                        "gaps",
                        "missed_live",
                        "unanswered_syncs",
                        "errors",
                    ):
                        report.check(f"{name} {label}", result[name])
                    report.check(f"generator lag ms {label}", round(result["generator_lag_ms"], 1))
                    report.check(f"generator pinned to CPUs {label}", result["pinned_cpus"])
                    report.check(
                        f"generator CPU s / load average after {label}",
                        [round(result["generator_cpu_s"], 1), round(os.getloadavg()[0], 2)],
                    )
                    report.check(
                        f"ack latency p99 ms {label}",
                        round(percentile(result["ack_latencies_ms"] or [0], 99), 2),
                    )

    for layer in args.layers if args.saturate > 0 else []:
        one = None
        for servers in (1, 2):
            reset_messages()
            with Servers(servers, layer) as urls:
                result = run_load_process(
                    {
                        "servers": urls,
                        "conversations": conversations,
                        "mode": "saturate",
                        "duration": args.saturate,
                    }
                )
            label = f"[{layer}, {servers} proc]"
            if servers == 1:
                one = result["throughput"]
                report.add(
                    Figure(
                        f"sustained persisted msgs/s {label}",
                        one,
                        "msg/s",
                        inserts,
                        "pgbench inserts",
                        0.1,
                        higher_is_better=True,
                    )
                )
            else:
                report.add(
                    Figure(
                        f"sustained persisted msgs/s {label}",
                        result["throughput"],
                        "msg/s",
                        one,
                        "one process",
                        1.7,
                        higher_is_better=True,
                    )
                )
            for name in ("lost", "duplicated", "gaps", "errors"):
                report.check(f"{name} closed loop {label}", result[name])
            report.check(
                f"generator CPU s / load average after, closed loop {label}",
                [round(result["generator_cpu_s"], 1), round(os.getloadavg()[0], 2)],
            )
    report.check("load average after", [round(load, 2) for load in os.getloadavg()])
    return report


def tag(repeat: int) -> str:
    return f", run {repeat + 1}" if ARGS.repeat > 1 else ""


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to show it works")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=float, default=60, help="seconds per fixed rate")
    parser.add_argument("--saturate", type=float, default=20, help="seconds of closed loop")
    parser.add_argument("--rates", default="50,200", help="offered messages per second")
    parser.add_argument("--servers", default="1,2", help="daphne processes for fixed rates")
    parser.add_argument("--layers", default="portal,core", help="portal, core and/or pubsub")
    parser.add_argument(
        "--repeat", type=int, default=1, help="repeat the fixed rates, layers interleaved"
    )
    parser.add_argument("--seekers", type=int, default=200)
    parser.add_argument("--advisors", type=int, default=20)
    args = parser.parse_args()
    if args.quick:
        args.duration, args.saturate, args.rates = 4, 4, "20"
        args.seekers, args.advisors, args.servers = 20, 2, "2"
        args.layers, args.saturate = "portal", 3  # the suite's --quick runs in about two minutes
    args.rates = [float(rate) for rate in str(args.rates).split(",")]
    args.servers = [int(count) for count in str(args.servers).split(",")]
    args.layers = args.layers.split(",")
    return args


if __name__ == "__main__":
    arguments = ARGS = parse()
    if arguments.client:
        config_path = Path(arguments.client)
        pinned = pin_load_generator()
        outcome = asyncio.run(load(json.loads(config_path.read_text())))
        outcome["pinned_cpus"] = pinned
        (config_path.parent / "result.json").write_text(json.dumps(outcome))
        sys.exit(0)
    final = main(arguments)
    # docs/performance.md is rebuilt from var/bench/ by `make bench` (bench/run.py).
    print("written:", final.write())
