"""Shared pieces of the benchmark suite: figures as ratios to anchors measured in the same run,
the JSON written under var/bench/, and the Markdown table of docs/performance.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
REPORT = ROOT / "docs" / "performance.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    anchor: float | None = None
    anchor_name: str = ""
    # The target as a ratio to the anchor: value/anchor <= target (or >= when higher is better).
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.anchor in (None, 0):
            return None
        return self.value / self.anchor

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def line(self) -> str:
        ratio = f"{self.ratio:.2f}x" if self.ratio is not None else "—"
        target = f"{'≥' if self.higher_is_better else '≤'} {self.target:g}x" if self.target else "—"
        met = {True: "met", False: "NOT met", None: "—"}[self.met]
        anchor = f"{self.anchor:.3f} {self.unit} ({self.anchor_name})" if self.anchor else "—"
        return (
            f"{self.name}: {self.value:.3f} {self.unit} | anchor {anchor} | ratio {ratio} | "
            f"target {target} | {met}"
        )


@dataclass
class Report:
    benchmark: str
    quick: bool
    figures: list[Figure] = field(default_factory=list)
    checks: dict = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(f"[{self.benchmark}] {figure.line()}", flush=True)
        return figure

    def check(self, name: str, value) -> None:
        """A correctness figure (lost, duplicated, out of order…): reported, and asserted by
        --quick runs in CI."""
        self.checks[name] = value
        print(f"[{self.benchmark}] check {name}: {value}", flush=True)

    def write(self) -> Path:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{self.benchmark}{'-quick' if self.quick else ''}.json"
        data = {
            "benchmark": self.benchmark,
            "quick": self.quick,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "figures": [{**asdict(f), "ratio": f.ratio, "met": f.met} for f in self.figures],
            "checks": self.checks,
        }
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
        return path


def machine() -> dict:
    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "not found"

    memory = "?"
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
            memory = f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    import django

    return {
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": version(["psql", "--version"]),
        "redis": version(["redis-server", "--version"]).split(" sha=")[0],
        "kernel": platform.release(),
    }


def pin_load_generator() -> list[int] | None:
    """Pins the calling process (a load generator) to the last CPU it may use, so that its work
    stays on one core instead of moving under the server's feet; returns that CPU, or None where
    pinning is not possible (one CPU, or no sched_setaffinity on this system)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return None
        os.sched_setaffinity(0, {cpus[-1]})
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, to show it still works")
    return parser.parse_args()


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()


def write_markdown() -> None:
    """Rebuilds the figures table of docs/performance.md from the full runs under var/bench/."""
    rows, machines = [], []
    for path in sorted(OUT.glob("*.json")):
        data = json.loads(path.read_text())
        if data.get("quick"):
            continue
        machines.append(data["machine"])
        for f in data["figures"]:
            ratio = f"{f['ratio']:.2f}x" if f["ratio"] is not None else "—"
            target = (
                f"{'≥' if f['higher_is_better'] else '≤'} {f['target']:g}x" if f["target"] else "—"
            )
            met = {True: "met", False: "**not met**", None: "—"}[f["met"]]
            anchor = f"{f['anchor']:.3f} {f['unit']} ({f['anchor_name']})" if f["anchor"] else "—"
            rows.append(
                f"| {data['benchmark']} | {f['name']} | {f['value']:.3f} {f['unit']} | {anchor} "
                f"| {ratio} | {target} | {met} |"
            )
        for name, value in data.get("checks", {}).items():
            rows.append(f"| {data['benchmark']} | check: {name} | {value} | — | — | — | — |")
    text = REPORT.read_text() if REPORT.exists() else f"# Performance\n\n{START}\n{END}\n"
    # Benchmarks not run on this machine (var/bench/ is not kept) keep their last rows.
    measured = {row.split(" | ")[0] for row in rows}
    table_rows = text.partition(START)[2].partition(END)[0].splitlines()
    kept = [
        row
        for row in table_rows
        if row.startswith("| ") and not row.startswith(("| benchmark ", "| --- "))
        if row.split(" | ")[0] not in measured
    ]
    rows = sorted(kept + rows, key=lambda row: row.split(" | ")[0])  # stable: runs' order kept
    described = machines[-1] if machines else machine()
    table = "\n".join(
        [
            START,
            f"Machine: {described['cores']} cores, {described['memory']}, Python "
            f"{described['python']}, Django {described['django']}, {described['postgresql']}, "
            f"{described['redis']}.",
            "",
            "| benchmark | figure | value | anchor | ratio | target | met |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            END,
        ]
    )
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    REPORT.write_text(before + table + after)


TEMPLATE_DATABASE = "bench_template"
TEMPLATE_LOCK = 80_000_008  # any number of the cluster's advisory locks that no one else takes


def migrations_signature() -> str:
    """A hash of every migration file of the project: the template is rebuilt when one changes."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def migrated_database(
    name: str, env: dict, server: str = "postgres://postgres@127.0.0.1:5432"
) -> None:
    """(Re)creates the database `name`, migrated, as a copy of a migrated template database
    (bench_template, rebuilt with `manage.py migrate` when a migration changed): a copy takes
    a second where a migration takes ten or more. `env`: the settings to migrate with."""
    import psycopg

    signature = migrations_signature()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        # One process at a time (the benchmarks of `bench.run --quick` run side by side, and
        # other runs may share the server): a copy fails while another reads the template.
        connection.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK])
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [TEMPLATE_DATABASE],
        ).fetchone()
        if row is None or row[0] != signature:
            connection.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {TEMPLATE_DATABASE}")
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                cwd=ROOT,
                env={**env, "DATABASE_URL": f"{server}/{TEMPLATE_DATABASE}"},
                check=True,
            )
            connection.execute(f"COMMENT ON DATABASE {TEMPLATE_DATABASE} IS '{signature}'")
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE}")
