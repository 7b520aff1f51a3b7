"""Runs every benchmark of the suite, each in its own process, then rebuilds
docs/performance.md from the full runs. `--quick` runs each at a small size to show it works."""

import subprocess
import sys
import time

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


def main() -> int:
    quick = "--quick" in sys.argv
    failed = []
    for module in BENCHMARKS:
        started = time.monotonic()
        print(f"== {module}{' (quick)' if quick else ''}", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", module, *(["--quick"] if quick else [])], cwd=ROOT, check=False
        )
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
