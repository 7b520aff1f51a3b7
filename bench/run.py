"""Runs every benchmark of the suite, each in its own process, then rebuilds
docs/performance.md from the full runs. `--quick` runs each at a small size to show it works,
three at a time (their timings are not figures, and most of a quick run waits on daphne start-ups,
sockets and sleeps): each one's output is printed whole when it ends."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import ROOT, write_markdown

# Each entry is a module of bench/ that accepts --quick and writes var/bench/<name>.json.
# bench/ateliers_recording.py is not listed: it prints its figures and takes no --quick.
BENCHMARKS = [
    "bench.channel_layer",
    "bench.chat_load",
    "bench.connections",
    "bench.slow_consumers",
    "bench.soak",
    "bench.dashboard",
    "bench.equipment_check",
    "bench.interview_setup",
]
# --quick starts them in this order, the longest first (seconds of a 29 November 14:07 UTC run
# side by side, beside a long soak: equipment_check 43, chat_load 28, connections 26, soak 18,
# interview_setup 18, slow_consumers 17, dashboard 13, channel_layer 3), so that the lanes end
# together.
QUICK_ORDER = [
    "bench.equipment_check",
    "bench.chat_load",
    "bench.connections",
    "bench.soak",
    "bench.interview_setup",
    "bench.slow_consumers",
    "bench.dashboard",
    "bench.channel_layer",
]


def run_quick(module: str) -> int:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", module, "--quick"],
        cwd=ROOT,
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    print(
        f"== {module} (quick)\n{result.stdout}"
        f"== {module}: exit {result.returncode} in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    return result.returncode


def main() -> int:
    quick = "--quick" in sys.argv
    failed = []
    if quick:
        jobs = int(os.environ.get("BENCH_QUICK_JOBS", "3"))
        assert sorted(QUICK_ORDER) == sorted(BENCHMARKS), "QUICK_ORDER must list every benchmark"
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            codes = dict(zip(QUICK_ORDER, pool.map(run_quick, QUICK_ORDER), strict=True))
        failed = [module for module in BENCHMARKS if codes[module]]
    for module in [] if quick else BENCHMARKS:
        started = time.monotonic()
        print(f"== {module}", flush=True)
        result = subprocess.run([sys.executable, "-m", module], cwd=ROOT, check=False)
        print(f"== {module}: exit {result.returncode} in {time.monotonic() - started:.1f} s")
        if result.returncode:
            failed.append(module)
    if not quick:
        write_markdown()
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
