"""The scaled stack under load, for bench/bench_scaled.py: start it, drive pupils, count CPU.

The pupils are bench_load.py's (the same scripts in sv, fi and da over the gateway, the same
2–5 s pauses when paced, none in burst), with two differences, both because 100 pupils are
run here: a paced pupil sends its first message at a random moment within the first pause
(5 s) instead of all pupils at the same instant, which with 100 pupils would put a queue of
100 first turns into the p95; and a run may be cut short (`deadline_s`): a pupil starts no new
conversation after it, and the one under way is finished.

CPU is read from /proc (utime + stime, plus cutime + cstime for children that have exited,
e.g. PostgreSQL backends) over each service's process tree: each Rasa replica, each action
server, the gateway, the PostgreSQL postmaster with its backends (from postmaster.pid), Redis
(redis.pid) and this process, the load client. This is what psutil would read, without adding
it to requirements/bench.txt.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from rich.console import Console

from bench_load import PAUSE_S, SCRIPTS, LoadResult, _peak_rss_mb
from bench_load import _pupil as bench_load_pupil
from bot.scaled import ScaledStack

console = Console()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:  # the thread or process is gone
            continue
    return found


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def tree_cpu_s(pid: int, children: bool = True) -> float:
    """CPU seconds of a process tree: each live process's own time plus the time of the
    children it has already reaped (cutime, cstime), so that no exited process is lost."""
    ticks = 0
    for each in process_tree(pid) if children else [pid]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if children:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped children
    return ticks / os.sysconf("SC_CLK_TCK")


def service_pids(stack: ScaledStack) -> dict[str, int]:
    """The root process of each service, PostgreSQL and Redis included."""
    assert stack.postgres is not None and stack.redis is not None
    pids = {name: proc.pid for name, proc in stack.procs.items()}
    postmaster = stack.postgres.data_dir / "postmaster.pid"
    pids["postgresql"] = int(postmaster.read_text().split()[0])
    pids["redis"] = int((stack.redis.dir / "redis.pid").read_text().strip())
    return pids


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    snapshot = {name: tree_cpu_s(pid) for name, pid in pids.items()}
    snapshot["client"] = tree_cpu_s(os.getpid(), children=False)
    return snapshot


async def _pupil(client: httpx.AsyncClient, language: str, conversations: int,
                 result: LoadResult, rng: random.Random, deadline: float) -> None:
    """bench_load's pupil, but a paced one starts at a random moment of the first pause."""
    if result.mode == "paced":
        await asyncio.sleep(rng.uniform(0, PAUSE_S[1]))
    await bench_load_pupil(client, language, conversations, result, rng, deadline)


async def drive(url: str, users: int, mode: str, conversations: int,
                deadline_s: float = 0.0, seed: int = 42) -> LoadResult:
    """`users` pupils at once, each through `conversations` scripted conversations."""
    result = LoadResult(users, mode)
    rng = random.Random(seed)
    languages = list(SCRIPTS)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + deadline_s if deadline_s > 0 else float("inf")
        await asyncio.gather(*(
            _pupil(client, languages[i % len(languages)], conversations, result, rng, deadline)
            for i in range(users)))
        result.seconds = time.perf_counter() - started
    return result


def measured(stack: ScaledStack, users: int, mode: str, conversations: int,
             deadline_s: float) -> LoadResult:
    """One load run with the CPU each service (and the client) spent during it."""
    pids = service_pids(stack)
    before = cpu_snapshot(pids)
    run = asyncio.run(drive(stack.gateway_url, users, mode, conversations, deadline_s))
    after = cpu_snapshot(pids)
    run.cpu_s = {name: after[name] - before[name] for name in before}
    return run


def warm_up(stack: ScaledStack, replicas: int) -> None:
    """One unmeasured conversation per language and replica: loads what each replica and
    action server loads lazily, so the first measured turns are not cold starts."""
    asyncio.run(drive(stack.gateway_url, 3 * replicas, "burst", 1, seed=7))


@contextmanager
def scaled_stack(replicas: int, actions: int, logs_to: Path) -> Iterator[ScaledStack]:
    """A scaled stack on free loopback ports with empty databases, stopped afterwards.

    Its folder is under /tmp, not var/: PostgreSQL runs as `postgres` when we are root and
    must reach it (tests/scaled do the same). The services' logs are kept in `logs_to`, and
    the matching model beside it, for the next stack (the stack rebuilds it if out of date)."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"vagvisaren-bench-scaled-r{replicas}-"))
    var_dir.chmod(0o755)
    cache = logs_to.parent / "match-model"
    if cache.is_dir():
        shutil.copytree(cache, var_dir / "match-model")
    stack = ScaledStack.on_free_ports(var_dir, rasa=replicas, actions=actions, extra_env={
        "VAGVISAREN_RATE_LIMIT_PER_IP": "1000000",
        "VAGVISAREN_RATE_LIMIT_PER_SESSION": "1000000"})
    try:
        stack.start_stores()
        stack.start(stack.names)
        stack.wait_ready(timeout=600)
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(var_dir / "match-model", cache)
        yield stack
    finally:
        stack.stop()
        stack.stop_stores()
        shutil.rmtree(logs_to, ignore_errors=True)
        logs_to.mkdir(parents=True, exist_ok=True)
        for log in [*var_dir.glob("*.log"), var_dir / "redis" / "redis.log"]:
            if log.exists():
                shutil.copy(log, logs_to / log.name)
        shutil.rmtree(var_dir, ignore_errors=True)


def peak_rss_mb(stack: ScaledStack) -> dict[str, float]:
    """Peak resident memory of each Rasa replica, action server and the gateway."""
    return {name: _peak_rss_mb(proc.pid) for name, proc in stack.procs.items()}
