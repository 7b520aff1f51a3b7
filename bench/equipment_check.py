"""Benchmark: the measured equipment check (issue 3), through a real daphne and the real
consumer, against anchors measured in the same run.

Figures: offer → connected and offer → verdict (median, p99), server CPU per check at several
concurrency levels, and how many concurrent checks two cores hold. Anchors: two aiortc peers
connected in one process plus one signalling round trip through the consumer (connect time), and
PyAV decoding the same kind of frames the server decodes during a check (CPU).
Targets: connect within 1.5x the anchor, CPU per check within 1.3x the raw decode cost.

The clients (aiortc peers encoding 640×480 VP8 at 25 fps and Opus) run in this process on the
same machine as the server: at high concurrency they compete with it for the cores.

Run: .venv/bin/python -m bench.equipment_check [--quick]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from bench.common import ROOT, Figure, Report, median, percentile, setup_django

BENCH_DB = "bench_equipment"
FPS = 25
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def prepare_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            db.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=os.environ,
    )


def bench_sessions(count: int) -> list[str]:
    """Session cookies of `count` bench users, whose earlier checks are wiped."""
    from django.test import Client

    from accounts.models import Role, User
    from equipment.models import EquipmentCheck

    cookies = []
    for number in range(count):
        user, _ = User.objects.get_or_create(
            email=f"bench{number:03d}@bench.test",
            defaults={"first_name": "Bench", "last_name": f"{number:03d}", "role": Role.SEEKER},
        )
        EquipmentCheck.objects.filter(user=user).delete()
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    path = f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat"
    with open(path) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def one_check(server_url: str, cookie: str, *, connect_only: bool = False) -> dict:
    """One check through daphne; with `connect_only`, the client stops it once connected (the
    server closes the peer and marks the check interrupted), to sample the set-up alone."""
    from websockets.asyncio.client import connect

    from tests.equipment.client import ClientPeer, SyntheticVideo, Tone

    peer = ClientPeer(video=SyntheticVideo(fps=FPS), audio=Tone())
    connected = asyncio.Event()

    @peer.pc.on("connectionstatechange")
    def _state():
        if peer.pc.connectionState == "connected":
            connected.set()

    ws_url = server_url.replace("http://", "ws://") + "/ws/equipement/test/"
    result = {}
    try:
        async with connect(
            ws_url, origin=server_url, additional_headers={"Cookie": f"sessionid={cookie}"}
        ) as socket:
            # One signalling round trip through the consumer (an unknown type gets an error).
            started = time.perf_counter()
            await socket.send('{"type": "bench-ping"}')
            await socket.recv()
            result["signalling_rtt_ms"] = (time.perf_counter() - started) * 1000
            offer = await peer.offer()
            sent = time.perf_counter()
            await socket.send(json.dumps({"type": "offer", "sdp": offer}))
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 30))
                if message["type"] == "answer":
                    result["offer_to_answer_ms"] = (time.perf_counter() - sent) * 1000
                    await peer.accept(message["sdp"])
                    if connect_only:
                        await asyncio.wait_for(connected.wait(), 10)
                        result["offer_to_connected_ms"] = (time.perf_counter() - sent) * 1000
                        await socket.send('{"type": "stop"}')
                        break
                    asyncio.get_running_loop().create_task(_mark(connected, result, sent))
                elif message["type"] in ("verdict", "error"):
                    result["offer_to_verdict_ms"] = (time.perf_counter() - sent) * 1000
                    result["message"] = message
                    break
    finally:
        await peer.close()
    return result


async def _mark(connected: asyncio.Event, result: dict, sent: float) -> None:
    await connected.wait()
    result["offer_to_connected_ms"] = (time.perf_counter() - sent) * 1000


async def in_process_connect() -> float:
    """The anchor: two aiortc peers in this process, from the offer to connected."""
    from aiortc import RTCPeerConnection

    from tests.equipment.client import SyntheticVideo, Tone

    caller, callee = RTCPeerConnection(), RTCPeerConnection()
    tracks = [SyntheticVideo(fps=FPS), Tone()]
    for track in tracks:
        caller.addTrack(track)
    caller.createDataChannel("probe")
    connected = asyncio.Event()

    @caller.on("connectionstatechange")
    def _state():
        if caller.connectionState == "connected":
            connected.set()

    await caller.setLocalDescription(await caller.createOffer())
    started = time.perf_counter()
    await callee.setRemoteDescription(caller.localDescription)
    await callee.setLocalDescription(await callee.createAnswer())
    await caller.setRemoteDescription(callee.localDescription)
    await asyncio.wait_for(connected.wait(), 10)
    elapsed = (time.perf_counter() - started) * 1000
    for track in tracks:
        track.stop()
    await caller.close()
    await callee.close()
    return elapsed


def decode_cost_per_second(seconds: int = 10) -> float:
    """CPU seconds PyAV spends decoding one second of the check's media: 640×480 VP8 at 25 fps
    (encoded here at 1 Mbit/s, about what aiortc's encoder reaches on loopback) and 48 kHz
    Opus in 20 ms frames, with the same libvpx and libopus decoders aiortc uses."""
    import av

    from tests.equipment.client import SyntheticVideo, Tone

    video = SyntheticVideo(fps=FPS)
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 640, 480, "yuv420p"
    encoder.bit_rate = 1_000_000
    encoder.framerate = fractions.Fraction(FPS, 1)
    encoder.time_base = fractions.Fraction(1, FPS)
    encoder.options = {"deadline": "realtime", "cpu-used": "8"}
    video.fps = 10_000  # no pacing: frames as fast as they can be made
    packets = []

    async def frames(count):
        return [await video.recv() for _ in range(count)]

    made = asyncio.run(frames(FPS * seconds))
    for index, frame in enumerate(made):
        frame.pts = index
        frame.time_base = encoder.time_base
        packets.extend(encoder.encode(frame))
    packets.extend(encoder.encode(None))

    tone = Tone()
    audio_frames = asyncio.run(_audio(tone, 50 * seconds))
    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate, opus.layout, opus.format = 48000, "mono", "s16"
    audio_packets = []
    for frame in audio_frames:
        audio_packets.extend(opus.encode(frame))

    decoder = av.CodecContext.create("libvpx", "r")
    audio_decoder = av.CodecContext.create("libopus", "r")
    started = time.process_time()
    for packet in packets:
        decoder.decode(packet)
    for packet in audio_packets:
        audio_decoder.decode(packet)
    return (time.process_time() - started) / seconds


async def _audio(tone, count):
    tone._start = None
    frames = []
    for index in range(count):
        frame = await tone.recv()
        frame.pts = index * 960
        frames.append(frame)
        tone._start = time.monotonic() - 3600  # no pacing
    return frames


def bare_receiver(offers, answers, seconds: float) -> None:
    """A bare aiortc peer in a process of its own: receives and decodes the media for `seconds`
    after connecting, then reports its own CPU. What aiortc alone costs for the same media,
    without the meters, the probe, Django or daphne."""

    async def serve():
        from aiortc import RTCPeerConnection, RTCSessionDescription

        started = time.process_time()
        pc = RTCPeerConnection()
        connected = asyncio.Event()
        readers = []

        async def read(track):
            while True:
                await track.recv()

        pc.on("track", lambda track: readers.append(asyncio.ensure_future(read(track))))

        @pc.on("connectionstatechange")
        def _state():
            if pc.connectionState == "connected":
                connected.set()

        offer = await asyncio.to_thread(offers.get)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answers.put(pc.localDescription.sdp)
        await asyncio.wait_for(connected.wait(), 10)
        await asyncio.sleep(seconds)
        for reader in readers:
            reader.cancel()
        await pc.close()
        answers.put(time.process_time() - started)

    asyncio.run(serve())


async def bare_check(seconds: float) -> float:
    """CPU seconds of a bare aiortc receiver for one check's worth of media."""
    from tests.equipment.client import ClientPeer, SyntheticVideo, Tone

    context = get_context("spawn")
    offers, answers = context.Queue(), context.Queue()
    process = context.Process(target=bare_receiver, args=(offers, answers, seconds))
    process.start()
    peer = ClientPeer(video=SyntheticVideo(fps=FPS), audio=Tone(), data_channel=False)
    try:
        offers.put(await peer.offer())
        await peer.accept(await asyncio.to_thread(answers.get, True, 60))
        return await asyncio.to_thread(answers.get, True, 60)
    finally:
        await peer.close()
        process.join(10)


def check_in_process(server_url: str, cookie: str) -> dict:
    """One client in a process of its own, as a browser would be: a single Python process
    running several aiortc clients saturates its event loop long before the server does."""
    return asyncio.run(one_check(server_url, cookie))


def connect_in_process(server_url: str, cookie: str) -> dict:
    return asyncio.run(one_check(server_url, cookie, connect_only=True))


def connect_samples(server, pool, cookie: str, count: int) -> tuple[list[dict], list[float]]:
    """`count` set-ups through daphne, each next to one of the in-process anchor, alternately,
    so that the shared machine's load drifts over both alike."""
    served, anchors = [], []
    for _ in range(count):
        anchors.append(asyncio.run(in_process_connect()))
        served.append(pool.submit(connect_in_process, server.url, cookie).result(timeout=60))
        time.sleep(0.1)
    return served, anchors


def run_level(server, pool, cookies: list[str], level: int, rounds: int) -> dict:
    results, cpu, wall = [], 0.0, 0.0
    for _ in range(rounds):
        before_cpu, before_wall = cpu_seconds(server.process.pid), time.perf_counter()
        batch = list(pool.map(check_in_process, [server.url] * level, cookies[:level], timeout=120))
        cpu += cpu_seconds(server.process.pid) - before_cpu
        wall += time.perf_counter() - before_wall
        results.extend(batch)
        time.sleep(0.5)
    return {"results": results, "cpu": cpu, "wall": wall, "checks": level * rounds}


# Where the daphne process's CPU goes during a check, from py-spy's samples: a stack belongs to
# the first category, in this order, one of whose frames it passes through (part of the frame's
# "file.py:Class.function path", category). So the SCTP work the probe causes in the DTLS and
# ICE layers counts for the probe, an RTP packet's for the receive path, and the rest of the DTLS
# and ICE layers' for themselves.
PROFILE_RULES = [
    ("generateCertificate", "set-up: DTLS certificate generation"),
    ("generate_certificate", "set-up: DTLS certificate generation"),
    (":RTCDtlsTransport.start ", "set-up: DTLS handshake"),
    (":RTCIceTransport.start ", "set-up: ICE connectivity checks"),
    (":CheckSession.answer ", "set-up: offer/answer (SDP, transports, ICE gathering)"),
    (":RTCPeerConnection.close ", "tear-down: closing the connection, joining decoder threads"),
    ("rtcsctptransport.py", "data channel probe (SCTP, with its DTLS and ICE share)"),
    ("rtcdatachannel.py", "data channel probe (SCTP, with its DTLS and ICE share)"),
    ("Vp8Decoder.decode", "video decode (libvpx)"),
    ("OpusDecoder.decode", "audio decode (libopus, to stereo)"),
    ("run_coroutine_threadsafe", "decoded frames handed to the event loop"),
    ("measure.py", "ours: meters (and the probe's own logic)"),
    ("pylibsrtp", "receive path: SRTP decryption"),
    ("rtcrtpreceiver.py", "receive path: RTP, jitter buffer, RTCP, bitrate estimation"),
    ("jitterbuffer.py", "receive path: RTP, jitter buffer, RTCP, bitrate estimation"),
    ("rtp.py", "receive path: RTP, jitter buffer, RTCP, bitrate estimation"),
    ("rate.py", "receive path: RTP, jitter buffer, RTCP, bitrate estimation"),
    ("vpx.py", "receive path: RTP, jitter buffer, RTCP, bitrate estimation"),
    ("rtcrtpsender.py", "receive path: RTP, jitter buffer, RTCP, bitrate estimation"),
    ("rtcdtlstransport.py", "DTLS transport (demultiplexing, records)"),
    ("aioice", "ICE (consent checks, UDP receive)"),
    ("rtcicetransport.py", "ICE (consent checks, UDP receive)"),
    ("sdp.py", "set-up: offer/answer (SDP, transports, ICE gathering)"),
    ("rtcpeerconnection.py", "set-up: offer/answer (SDP, transports, ICE gathering)"),
    ("django/", "ours: Django, database"),
    ("psycopg", "ours: Django, database"),
    ("equipment/", "ours: consumer, session, verdict"),
]
# Every stack of the event loop passes through daphne and asyncio: for what no rule above claims,
# the deepest of these frames says whose work it is.
PROFILE_LOOP = [
    ("channels/", "daphne, channels, websocket"),
    ("daphne/", "daphne, channels, websocket"),
    ("twisted/", "daphne, channels, websocket"),
    ("autobahn/", "daphne, channels, websocket"),
    ("asyncio/", "event loop (asyncio)"),
    ("threading.py", "threads (waits, hand-offs)"),
    ("queue.py", "threads (waits, hand-offs)"),
]


def classify(stack: str) -> str:
    keys = []
    for frame in stack.split(";"):
        # "Class.function (path/file.py:line)" -> "file.py:Class.function path"
        function, _, where = frame.partition(" (")
        path = where.rsplit(":", 1)[0]
        keys.append(f"{path.rsplit('/', 1)[-1]}:{function} {path}")
    for needle, category in PROFILE_RULES:
        if any(needle in key for key in keys):
            return category
    for key in reversed(keys):
        for needle, category in PROFILE_LOOP:
            if needle in key:
                return category
    return "other"


# Samples whose leaf is one of these are a thread waiting, not working (py-spy's own idle
# detection does not work on these machines: every thread looks busy).
IDLE_LEAVES = (
    "EpollSelector.select (selectors.py",
    "Condition.wait (threading.py",
    "_worker (concurrent/futures/thread.py",
    "Thread._wait_for_tstate_lock (threading.py",
)


def thread_group(stack: str) -> str:
    if "decoder_worker" in stack:
        return "decoder threads"
    if stack.startswith("_run_module_as_main"):
        return "event loop thread"
    return "other threads"


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each live thread of `pid`."""
    result = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            result[int(task)] = cpu_seconds(pid, int(task))
    return result


def profile(checks: int, rate: int) -> None:
    """py-spy samples daphne during `checks` sequential checks. The kernel's per-thread CPU
    splits each check's CPU between the event loop thread, aiortc's decoder threads and the
    others (thread pool); within each group, py-spy's working samples split it by category."""
    prepare_database()
    setup_django()
    from tests.equipment.live import daphne

    cookies = bench_sessions(1)
    out = ROOT / "var" / "bench" / "equipment_check-profile.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {os.getloadavg()}")
    with (
        daphne(
            EQUIPMENT_CHECK_MAX_CONCURRENT=64,
            EQUIPMENT_CHECK_RATE_LIMIT=100000,
            LOG_LEVEL="WARNING",
            **_probe_env(),
        ) as server,
        ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool,
    ):
        pid = server.process.pid
        run_level(server, pool, cookies, 1, 2)  # warm-up
        spy = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).parent / "py-spy"),
                *("record", "--nonblocking", "--idle", "-f", "raw", "-r", str(rate)),
                *("-o", str(out), "--pid", str(pid)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(2)  # py-spy attaches
        threads_before, total_before = thread_cpu(pid), cpu_seconds(pid)
        run = run_level(server, pool, cookies, 1, checks)
        threads_after, total = thread_cpu(pid), cpu_seconds(pid) - total_before
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    main_cpu = threads_after[pid] - threads_before[pid]
    # Threads alive at both ends (the thread pool, daphne's own); the decoder threads of the
    # measured checks started and ended in between: they are what the process total leaves.
    others_cpu = sum(
        threads_after[tid] - threads_before[tid]
        for tid in threads_after
        if tid in threads_before and tid != pid
    )
    cpu = {
        "event loop thread": main_cpu,
        "decoder threads": total - main_cpu - others_cpu,
        "other threads": others_cpu,
    }
    samples: dict[str, Counter[str]] = {group: Counter() for group in cpu}
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        leaf = stack.rsplit(";", 1)[-1]
        if count.isdigit() and not leaf.startswith(IDLE_LEAVES):
            samples[thread_group(stack)][classify(stack)] += int(count)
    print(f"{checks} checks; daphne CPU per check {total / checks * 1000:.0f} ms (kernel):")
    rows: Counter[str] = Counter()
    for group, seconds in cpu.items():
        sampled = sum(samples[group].values())
        print(f"  {seconds / checks * 1000:7.1f} ms  {group} ({sampled} working samples)")
        for category, count in samples[group].items():
            rows[category] += seconds / checks * 1000 * count / sampled
    print("by category (each group's CPU split by its samples):")
    for category, per_check in rows.most_common():
        print(f"  {per_check:7.1f} ms  {per_check / (total / checks * 1000):6.1%}  {category}")
    verdicts = Counter(
        r["message"].get("verdict", r["message"].get("code")) for r in run["results"]
    )
    print(f"verdicts: {dict(verdicts)}; load average at end: {os.getloadavg()}; stacks: {out}")
    for key in ("upload_kbps", "download_kbps", "rtt_ms"):
        values = sorted(
            r["message"]["measurements"]["network"][key]
            for r in run["results"]
            if r["message"]["type"] == "verdict"
            and r["message"]["measurements"]["network"].get(key) is not None
        )
        if len(values) > 1:
            spread = statistics.stdev(values) / statistics.mean(values)
            print(f"{key}: median {median(values)}, min {values[0]}, max {values[-1]}, ", end="")
            print(f"coefficient of variation {spread:.0%}")


def _probe_env() -> dict:
    if os.environ.get("BENCH_PROBE_BYTES"):
        return {"EQUIPMENT_CHECK_PROBE_BYTES": os.environ["BENCH_PROBE_BYTES"]}
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description="Equipment check benchmark")
    parser.add_argument("--quick", action="store_true", help="small sizes, to show it still works")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="CHECKS",
        help="instead of the benchmark: py-spy on daphne during CHECKS sequential checks",
    )
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument(
        "--connect",
        type=int,
        metavar="SAMPLES",
        help="set-ups sampled for offer → connected, each next to an anchor (default 150; 20 "
        "with --quick)",
    )
    parser.add_argument(
        "--connect-only", action="store_true", help="only the offer → connected figures"
    )
    options = parser.parse_args()
    if options.profile:
        profile(options.profile, options.rate)
        return
    quick = options.quick
    if options.connect is None:
        options.connect = 20 if quick else 150
    prepare_database()
    setup_django()
    from tests.equipment.live import daphne

    levels = [1, 2] if quick else [1, 2, 4, 8]
    sequential = 3 if quick else 20
    rounds = 1 if quick else 3
    cookies = bench_sessions(max(levels))
    report = Report("equipment_check", quick)
    # The machine may be shared: the load says how far to trust the figures.
    report.check("load average at start", [round(load, 2) for load in os.getloadavg()])

    if not options.connect_only:
        bare = [asyncio.run(bare_check(3.1)) for _ in range(2 if quick else 5)]
        decode_per_second = decode_cost_per_second(3 if quick else 10)

    with (
        daphne(
            EQUIPMENT_CHECK_MAX_CONCURRENT=64,
            EQUIPMENT_CHECK_RATE_LIMIT=100000,
            LOG_LEVEL="WARNING",
            **_probe_env(),
        ) as server,
        ProcessPoolExecutor(max(levels), mp_context=get_context("spawn")) as pool,
    ):
        # Warm-up: every worker imports aiortc, and the server sets its codecs up.
        run_level(server, pool, cookies, 1 if options.connect_only else max(levels), 1)
        served, anchors = connect_samples(server, pool, cookies[0], options.connect)
        by_level = {}
        if not options.connect_only:
            by_level[1] = run_level(server, pool, cookies, 1, sequential)
            for level in levels[1:]:
                by_level[level] = run_level(server, pool, cookies, level, rounds)

    connect = [r["offer_to_connected_ms"] for r in served if "offer_to_connected_ms" in r]
    answered = [r["offer_to_answer_ms"] for r in served if "offer_to_answer_ms" in r]
    rtt = median([r["signalling_rtt_ms"] for r in served])
    anchor_connect = median(anchors) + rtt
    report.add(Figure("in-process aiortc connect (anchor part)", median(anchors), "ms"))
    report.add(Figure("signalling round trip through the consumer", rtt, "ms"))
    report.add(
        Figure(
            "offer to connected p50",
            median(connect),
            "ms",
            anchor=anchor_connect,
            anchor_name="in-process connect + 1 round trip",
            target=1.5,
        )
    )
    report.add(
        Figure(
            "offer to connected p99",
            percentile(connect, 99),
            "ms",
            anchor=percentile(anchors, 99) + rtt,
            anchor_name="in-process connect p99 + 1 round trip",
            target=1.5,
        )
    )
    report.check("connect samples (set-up only, each next to an anchor)", len(connect))
    report.add(Figure("offer to answer p50 (diagnostic)", median(answered), "ms"))
    report.add(Figure("offer to answer p99 (diagnostic)", percentile(answered, 99), "ms"))
    if options.connect_only:
        report.check("load average at end", [round(load, 2) for load in os.getloadavg()])
        return
    single = by_level[1]["results"]
    verdicts = [r["message"] for r in single]
    in_checks = [r["offer_to_connected_ms"] for r in single if "offer_to_connected_ms" in r]
    verdict_ms = [r["offer_to_verdict_ms"] for r in single]
    report.add(
        Figure(
            "offer to connected during full checks p50",
            median(in_checks),
            "ms",
            anchor=anchor_connect,
            anchor_name="in-process connect + 1 round trip",
        )
    )
    report.add(Figure("offer to verdict p50", median(verdict_ms), "ms"))
    report.add(Figure("offer to verdict p99", percentile(verdict_ms, 99), "ms"))

    report.add(
        Figure(
            "bare aiortc receiver CPU for 3.1 s of the same media (diagnostic)",
            median(bare) * 1000,
            "ms",
            anchor=decode_per_second * 3.1 * 1000,
            anchor_name="PyAV decode of 3.1 s of the same media",
            note="what aiortc alone costs, without meters, probe, Django or daphne",
        )
    )
    for level, run in by_level.items():
        results = run["results"]
        per_check = run["cpu"] / run["checks"]
        # The server decodes from the connection to its close: offer_to_end − offer_to_connected.
        media = [
            (
                r["message"]["measurements"]["timings"]["offer_to_end_ms"]
                - r["message"]["measurements"]["timings"].get("offer_to_connected_ms", 0)
            )
            / 1000
            for r in results
            if r["message"]["type"] == "verdict"
        ]
        if not media:
            report.check(
                f"{level} at once: no verdict",
                dict(Counter(r["message"].get("code") for r in results)),
            )
            continue
        media_seconds = median(media)
        report.add(
            Figure(
                f"server CPU per check, {level} at once",
                per_check * 1000,
                "ms",
                anchor=decode_per_second * media_seconds * 1000,
                anchor_name=f"PyAV decode of {media_seconds:.1f} s of the same media",
                target=1.3,
            )
        )
        fps = [
            r["message"]["measurements"]["video"]["fps"] or 0
            for r in results
            if r["message"]["type"] == "verdict"
        ]
        report.check(
            f"{level} at once: verdicts",
            ",".join(
                sorted({r["message"].get("verdict", r["message"].get("code")) for r in results})
            ),
        )
        report.check(f"{level} at once: median fps measured", round(median(fps), 1))
        reasons = Counter(
            reason["code"] for r in results for reason in r["message"].get("reasons", [])
        )
        report.check(f"{level} at once: reasons", dict(reasons))
        report.check(f"{level} at once: server cores busy", round(run["cpu"] / run["wall"], 2))

    held = 0
    for level, run in by_level.items():
        fps = [
            (r["message"].get("measurements") or {}).get("video", {}).get("fps") or 0
            for r in run["results"]
        ]
        passed = all(r["message"].get("verdict") in ("passed", "warnings") for r in run["results"])
        if passed and median(fps) >= 0.9 * FPS:
            held = level
    report.add(Figure("concurrent checks held (all passed, fps ≥ 90 %), measured", held, "checks"))
    one = by_level[1]
    cores_per_check = one["cpu"] / one["wall"]
    report.add(
        Figure(
            "concurrent checks two cores hold, from CPU per check",
            2 / cores_per_check if cores_per_check else 0,
            "checks",
        )
    )
    report.check(
        "verdicts of the sequential checks", sorted({v.get("verdict", "?") for v in verdicts})
    )
    report.check("load average at end", [round(load, 2) for load in os.getloadavg()])
    print(f"[equipment_check] written {report.write()}")


if __name__ == "__main__":
    main()
