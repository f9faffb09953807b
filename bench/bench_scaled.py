"""`make bench-load`, scaled part: the same pupils on the scaled stack with 1 and 2 Rasa replicas.

    .venv/bin/python bench/bench_scaled.py [--users 20 --users 50] [--conversations 2]
        [--duration S] [--hundred 100] [--no-write | --docs PATH]

Starts the scaled stack of `make run-scaled` (bot/scaled.py: Rasa's SQL tracker store on a
local PostgreSQL, its Redis lock store, the gateway spreading conversations over the replicas)
on free loopback ports, first with 1 Rasa replica, then with 2, each with empty databases, and
drives bench_load.py's pupils through it (paced: 2–5 s pauses; burst: none). With 2 replicas
it also runs 100 paced pupils. It reports the two side by side with their ratio (burst:
turns/s; paced: p95), the CPU per turn of each process tree (each Rasa replica, each action
server, the gateway, PostgreSQL, Redis, the load client), errors, and checks docs/deploy.md's
capacity model against it; writes its own section of docs/benchmarks.md (bench-scaled
markers) with the date, the machine (cores, CPU model, RAM) and the git commit.

Action servers: as many as Rasa replicas (`--actions` to change). Replica i calls action server
i mod M (bot/scaled.py), so a second action server beside one Rasa replica would stand idle;
1+1 against 2+2 is `make run-scaled`'s pairing and its default.

Why a script of its own and not `bench_load.py --scaled`: bench_load.py also trains two models
and measures Rasa's default pipeline (most of its half hour), which the replica comparison does
not need; on its own this one takes under 10 minutes and can be run alone on a quiet machine.
`make bench-load` runs both. A benchmark, not a test: it never fails on figures.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# This checkout's bot/, also where .venv's editable install points at another one (a worktree
# sharing the main checkout's .venv): its ROOT decides which docs/ and models/ are used.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from bench_load import MODES, SCRIPTS, LoadResult, _mem_gib  # noqa: E402
from bot.local_services import Postgres, Redis  # noqa: E402
from bot.settings import ROOT  # noqa: E402
from bot.stack import MODEL  # noqa: E402
from docs_section import write_section  # noqa: E402
from scaled_load import measured, peak_rss_mb, scaled_stack, warm_up  # noqa: E402
from scaled_report import END, START, section  # noqa: E402

console = Console()
OUT = ROOT / "var" / "bench-scaled"
DOCS = ROOT / "docs" / "benchmarks.md"


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def machine() -> tuple[str, int]:
    """"host: N cores (nproc), CPU model, RAM, load, git commit", and N."""
    cores = len(os.sched_getaffinity(0))
    cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs")
    commit = _git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")
    load = os.getloadavg()[0]
    return (f"{platform.node()}: **{cores} cores** (nproc), "
            f"{model.group(1).strip() if model else 'unknown CPU'}, {_mem_gib():.1f} GiB RAM, "
            f"load average {load:.2f} at the start; git {commit or 'unknown'}"), cores


def _runs(stack_replicas: int, actions: int, users: list[int], modes: list[str],
          conversations: int, duration: float, hundred: int
          ) -> tuple[list[LoadResult], LoadResult | None, dict[str, float]]:
    runs: list[LoadResult] = []
    big: LoadResult | None = None
    started = time.monotonic()
    with scaled_stack(stack_replicas, actions, OUT / f"logs-r{stack_replicas}") as stack:
        console.print(f"  ready after {time.monotonic() - started:.0f} s; warming up …")
        warm_up(stack, stack_replicas)
        for mode in modes:
            for n in users:
                console.print(f"  {stack_replicas} replica(s): {n} pupils, {mode} …")
                runs.append(measured(stack, n, mode, conversations, duration))
                _show(runs[-1])
        if hundred:
            console.print(f"  {stack_replicas} replicas: {hundred} pupils, paced …")
            big = measured(stack, hundred, "paced", conversations, duration)
            _show(big)
        memory = peak_rss_mb(stack)
    return runs, big, memory


def _show(run: LoadResult) -> None:
    cpu = ", ".join(f"{k} {1000 * v / max(run.turns, 1):.1f}" for k, v in run.cpu_s.items())
    console.print(f"    {run.turns} turns in {run.seconds:.1f} s = {run.rate:.1f} turns/s, "
                  f"p50 {run.pct(0.5):.0f} / p95 {run.pct(0.95):.0f} / p99 "
                  f"{run.pct(0.99):.0f} ms, {run.errors} errors; CPU ms/turn: {cpu}")


def main(
    users: Annotated[list[int] | None, typer.Option(
        help="Pupils per run, on 1 and on 2 replicas (repeat; default 20 and 50).")] = None,
    mode: Annotated[list[str] | None, typer.Option(
        help="paced: 2–5 s pauses; burst: none (repeat; default both).")] = None,
    conversations: Annotated[int, typer.Option(help="Conversations per pupil.")] = 2,
    duration: Annotated[float, typer.Option(
        help="Seconds after which a pupil starts no new conversation (0: no limit).")] = 0.0,
    hundred: Annotated[int, typer.Option(
        help="Pupils of the paced run on 2 replicas only (0: skip it).")] = 100,
    actions: Annotated[int, typer.Option(
        help="Action servers (0: as many as Rasa replicas).")] = 0,
    write: Annotated[bool, typer.Option(help="Write the section into --docs.")] = True,
    docs: Annotated[Path, typer.Option(help="The Markdown file to write.")] = DOCS,
) -> None:
    users = users or [20, 50]
    modes = [m for m in MODES if m in (mode or MODES)]
    missing = [n for n, ok in (("postgresql", Postgres.installed()),
                               ("redis-server", Redis.installed())) if not ok]
    if missing or not MODEL.exists():
        console.print(f"[red]Cannot run:[/] {', '.join(missing) or 'no trained model'} "
                      "(`make stores`, `make train`).")
        raise typer.Exit(1)
    OUT.mkdir(parents=True, exist_ok=True)
    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    described, cores = machine()  # before the load, so the load average is the machine's own
    started = time.monotonic()
    results = {}
    for replicas in (1, 2):
        console.print(f"[bold]Scaled stack, {replicas} Rasa replica(s), "
                      f"{actions or replicas} action server(s)[/] …")
        results[replicas] = _runs(replicas, actions or replicas, users, modes, conversations,
                                  duration, hundred if replicas == 2 else 0)
    command = " ".join([".venv/bin/python bench/bench_scaled.py", *sys.argv[1:]]).strip()
    text = section(
        when=when, machine=described, command=command, one=results[1][0], two=results[2][0],
        hundred=results[2][1], cores=cores, memory_mb=results[2][2],
        conversations=conversations, turns_per_conversation=len(SCRIPTS["sv"]),
        actions=("action servers: as many as Rasa replicas (replica i calls action server i)"
                 if not actions else f"{actions} action server(s) in both"))
    print(text)  # as written, not wrapped by rich
    console.print(f"Wall time: {time.monotonic() - started:.0f} s")
    if write:
        write_section(docs, text, START, END, "Benchmarks")
        console.print(f"Wrote {docs}")


if __name__ == "__main__":
    typer.run(main)
