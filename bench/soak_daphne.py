"""daphne as bench/soak.py starts it: the same command line, plus a SIGUSR1 handler that writes
the process's live asyncio tasks and threads to the file named by SOAK_STATE_FILE (leak checks).
With SOAK_TRACEMALLOC=N (frames), each dump also names the source lines whose live allocations
grew most since the first dump (the soak's memory growth, attributed).

python -m bench.soak_daphne -b 127.0.0.1 -p PORT portal.asgi:application
"""

import asyncio
import json
import os
import signal
import threading
import tracemalloc
from collections import Counter


def sockets() -> dict:
    """This process's TCP sockets by kind: accepted clients, PostgreSQL, Redis, other."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = set()
    rows = []
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                local, remote, status, inode = fields[1], fields[2], fields[3], fields[9]
                if inode not in inodes:
                    continue
                local_port, remote_port = (
                    int(local.split(":")[1], 16),
                    int(remote.split(":")[1], 16),
                )
                if status == "0A":  # LISTEN
                    listening.add(local_port)
                else:
                    rows.append((local_port, remote_port))
    kinds = Counter()
    for local_port, remote_port in rows:
        if local_port in listening:
            kinds["clients"] += 1
        elif remote_port == 5432:
            kinds["postgresql"] += 1
        elif remote_port == 6379:
            kinds["redis"] += 1
        else:
            kinds["other"] += 1
    return dict(kinds)


def dump(*_):
    from twisted.internet import reactor

    loop = getattr(reactor, "_asyncioEventloop", None)
    tasks = asyncio.all_tasks(loop) if loop is not None else set()
    names = Counter(getattr(task.get_coro(), "__qualname__", "?") for task in tasks)
    state = {
        "tasks": len(tasks),
        "task_kinds": names.most_common(10),
        # Where the first few wait: tells a leaked task's cause.
        "task_stacks": [
            [
                f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno} "
                f"{frame.f_code.co_name}"
                for frame in task.get_stack(limit=12)
            ]
            + [f"cancelling={task.cancelling()}"]
            for task in list(tasks)[:5]
        ],
        "threads": threading.active_count(),
        "fds": len(os.listdir("/proc/self/fd")),
        "sockets": sockets(),
    }
    if tracemalloc.is_tracing():
        state["allocations_grown"] = grown()
    with open(os.environ["SOAK_STATE_FILE"], "w") as handle:
        json.dump(state, handle)


FIRST_SNAPSHOT: list = []


def grown() -> list:
    """With SOAK_TRACEMALLOC=N: the lines whose live allocations grew most since the first dump."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    if not FIRST_SNAPSHOT:
        FIRST_SNAPSHOT.append(snapshot)
        return []
    return [
        [str(stat.traceback[0]), round(stat.size_diff / 1024, 1), stat.count_diff]
        for stat in snapshot.compare_to(FIRST_SNAPSHOT[0], "lineno")[:15]
    ]


if __name__ == "__main__":
    if os.environ.get("SOAK_TRACEMALLOC"):
        # Slows the process down: a diagnostic run, not a figure.
        tracemalloc.start(int(os.environ["SOAK_TRACEMALLOC"]))
    signal.signal(signal.SIGUSR1, dump)
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()
