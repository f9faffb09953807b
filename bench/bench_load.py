"""`make bench-load`: the real stack under concurrent simulated pupils, and its costs.

Starts gateway, Rasa and action server (SQLite tracker store) on free loopback ports, drives N
concurrent pupils through multi-turn conversations in sv, fi and da over the gateway with an
asyncio httpx client, and prints per-turn latency (p50/p95/p99), turns per second, errors, CPU
per turn and the peak resident memory of each service. Each N runs twice: "paced", where each
pupil pauses 2–5 s to read and type as a (fast) real pupil does, and "burst", with no pauses,
which finds the most turns per second the stack sustains. It also times a full `rasa train`
and a cold start to the first answer, and repeats the load with Rasa's default NLU pipeline as
the baseline. Writes its section of docs/benchmarks.md, with each target marked met or not.
A benchmark, not a test: it never fails on targets.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import random
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

import httpx
import typer
import yaml
from rich.console import Console
from rich.table import Table

from bot.settings import ROOT
from bot.stack import MODEL, RASA_BIN, Ports, Stack
from docs_section import write_section  # bench/, on sys.path when run as a script

console = Console()
OUT = ROOT / "var" / "bench-load"
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-load:start -->", "<!-- bench-load:end -->"
# One pupil's conversation per language: interest, place, "yes" to visits, a FAQ, goodbye.
SCRIPTS = {
    "sv": ["hej", "jag gillar att skruva på mopeder", "jag bor i Umeå", "ja",
           "vilka betyg behöver jag?", "tack", "hej då"],
    "fi": ["moi", "mä tykkään koodata", "asun Turussa", "joo", "mitä pisteitä tarvitsen?",
           "kiitos", "moikka"],
    "da": ["hej", "jeg er god til matematik og kan lide at bygge ting", "jeg bor i Aarhus",
           "ja tak", "hvilke karakterer skal jeg have?", "tak", "farvel"],
}


# A fast pupil reads the answer and types the next message in 2–5 s (most take longer).
PAUSE_S = (2.0, 5.0)
MODES = ("paced", "burst")


@dataclass
class LoadResult:
    users: int
    mode: str  # "paced": pupils pause PAUSE_S between messages; "burst": no pauses at all
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def turns(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")

    def cpu_per_turn(self) -> str:
        return ", ".join(f"{name} {1000 * spent / max(self.turns, 1):.0f}"
                         for name, spent in self.cpu_s.items())


async def _pupil(client: httpx.AsyncClient, language: str, conversations: int,
                 result: LoadResult, rng: random.Random, deadline: float = math.inf) -> None:
    """Whole conversations over the gateway; none is started after `deadline` (perf_counter)."""
    for _ in range(conversations):
        if time.perf_counter() > deadline:
            return
        session = None
        for text in SCRIPTS[language]:
            body = {"message": text, "language": language, "school": "bench-skolan"}
            if session:
                body["session_id"] = session
            started = time.perf_counter()
            try:
                reply = await client.post("/api/chat", json=body)
                data = reply.json()
                ok = reply.status_code == 200 and not data.get("degraded") and data["messages"]
            except (httpx.HTTPError, ValueError, KeyError):
                ok, data = False, {}
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            if not ok:
                result.errors += 1
                break
            session = data["session_id"]
            if result.mode == "paced":
                await asyncio.sleep(rng.uniform(*PAUSE_S))


async def _load(url: str, users: int, mode: str, conversations: int) -> LoadResult:
    result = LoadResult(users, mode)
    rng = random.Random(42)
    languages = list(SCRIPTS)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(
            _pupil(client, languages[i % 3], conversations, result, rng) for i in range(users)
        ))
        result.seconds = time.perf_counter() - started
    return result


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(c) for c in task.read_text().split()]
    return pids


def _cpu_s(pid: int, children: bool = True) -> float:
    """CPU seconds (user + system) used so far by a process and, by default, its children."""
    total = 0
    for each in _tree(pid) if children else [pid]:
        stat = Path(f"/proc/{each}/stat")
        if stat.exists():
            fields = stat.read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, in MB."""
    total = 0
    for each in _tree(pid):
        status = Path(f"/proc/{each}/status")
        if status.exists():
            match = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
            total += int(match.group(1)) if match else 0
    return total / 1024


def _train(config: Path, name: str) -> tuple[Path, float]:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    started = time.monotonic()
    with (OUT / f"train-{name}.log").open("w") as log:
        subprocess.run([str(RASA_BIN), "train", "--force", "--config", str(config),
                        "--fixed-model-name", name, "--out", str(OUT / "models")],
                       cwd=ROOT, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
    return OUT / "models" / f"{name}.tar.gz", time.monotonic() - started


def _baseline_config() -> Path:
    """Rasa's default NLU pipeline with our policies, so only the NLU differs."""
    ours = yaml.safe_load((ROOT / "config.yml").read_text())
    default = yaml.safe_load((ROOT / "bench" / "config_default.yml").read_text())
    default["policies"] = ours["policies"]
    default.setdefault("pipeline", []).append({"name": "RegexEntityExtractor"})
    path = OUT / "config_baseline.yml"
    path.write_text(yaml.safe_dump(default, sort_keys=False))
    return path


PY_SPY = ROOT / ".venv" / "bin" / "py-spy"


def _profile(pid: int, name: str, seconds: int) -> subprocess.Popen[bytes] | None:
    """Sample one service (with its workers) during the load; collapsed stacks to a file."""
    if not PY_SPY.exists():
        return None
    return subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--subprocesses", "--format", "raw",
         "--duration", str(seconds), "--rate", "50", "--nonblocking",
         "--output", str(OUT / f"profile-{name}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


# Where py-spy finds only the event loop's own frame, the service is waiting, not working.
IDLE_LEAVES = ("runners.py", "selectors.py", "select ", "poll ", "epoll_wait", "wait (threading")
# Stages of one Rasa turn, by a frame that every sample of the stage passes through.
RASA_STAGES = {
    "NLU": "parse_message (rasa/core/processor.py",
    "policies": "_predict_next_with_tracker (rasa/core/processor.py",
    "tracker store": "rasa/core/tracker_store.py",
    "action-server calls": "request (rasa/utils/endpoints.py",
    "checking action replies": "_validate_action_result (",
}


def _samples(path: Path) -> list[tuple[list[str], int]]:
    """Busy samples of a py-spy raw profile: (frames, count), idle loop samples left out."""
    busy = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = stack.split(";")
        if any(marker in frames[-1] for marker in IDLE_LEAVES):
            continue
        busy.append((frames, int(number)))
    return busy


def top_frames(path: Path, limit: int = 8) -> list[tuple[str, float]]:
    """The frames where most busy samples were spent (self time), as shares."""
    counts: dict[str, int] = {}
    for frames, n in _samples(path):
        counts[frames[-1]] = counts.get(frames[-1], 0) + n
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:limit]
    return [(frame, n / total) for frame, n in ranked] if total else []


def stage_shares(path: Path, stages: dict[str, str]) -> dict[str, float]:
    """Share of busy samples inside each stage (inclusive time; stages may nest)."""
    samples = _samples(path)
    total = sum(n for _, n in samples)
    return {
        name: sum(n for frames, n in samples if any(marker in f for f in frames)) / total
        for name, marker in stages.items()
    } if total else {}


def _measure(model: Path, label: str, users_list: list[int], modes: list[str],
             conversations: int, profile_s: int = 0) -> dict:
    var_dir = OUT / f"var-{label}"
    shutil.rmtree(var_dir, ignore_errors=True)  # every measurement starts with empty databases
    stack = Stack(Ports.free(), var_dir, model=model,
                  extra_env={"VAGVISAREN_RATE_LIMIT_PER_IP": "1000000",
                             "VAGVISAREN_RATE_LIMIT_PER_SESSION": "1000000"})
    started = time.monotonic()
    stack.start()
    try:
        stack.wait_ready(timeout=300)
        first = httpx.post(f"{stack.gateway_url}/api/chat", json={"message": "hej"}, timeout=60)
        cold_start = time.monotonic() - started
        assert first.status_code == 200
        runs = []
        for mode in modes:
            for users in users_list:
                console.print(f"  {label}: {users} pupils, {mode} …")
                before = {name: _cpu_s(proc.pid) for name, proc in stack.procs.items()}
                before["client"] = _cpu_s(os.getpid(), children=False)
                run = asyncio.run(_load(stack.gateway_url, users, mode, conversations))
                run.cpu_s = {name: _cpu_s(proc.pid) - before[name]
                             for name, proc in stack.procs.items()}
                run.cpu_s["client"] = _cpu_s(os.getpid(), children=False) - before["client"]
                runs.append(run)
        if profile_s:
            # The profiler costs CPU too, so it samples an extra burst that is not reported.
            console.print(f"  {label}: profiling {max(users_list)} pupils, burst …")
            profilers = [_profile(proc.pid, f"{label}-{name}", profile_s)
                         for name, proc in stack.procs.items()]
            asyncio.run(_load(stack.gateway_url, max(users_list), "burst", conversations))
            for profiler in profilers:
                if profiler is not None:
                    profiler.wait(timeout=profile_s + 30)
        memory = {name: _peak_rss_mb(proc.pid) for name, proc in stack.procs.items()}
    finally:
        stack.stop()
    return {"cold_start_s": cold_start, "runs": runs, "memory_mb": memory}


def _find(runs: list[LoadResult], users: int, mode: str) -> LoadResult | None:
    return next((r for r in runs if r.users == users and r.mode == mode), None)


def _targets(results: dict, train_s: float) -> list[str]:
    """Each target of issue 8, measured, with met / not met."""
    runs = results["ours"]["runs"]
    paced, burst = _find(runs, 20, "paced"), max(
        (r for r in runs if r.mode == "burst"), key=lambda r: r.users, default=None)
    errors = sum(r.errors for r in runs)
    memory = sum(results["ours"]["memory_mb"].values())

    def line(name: str, value: str, met: bool) -> str:
        return f"- {name}: {value}: **{'met' if met else 'not met'}**"

    lines = []
    if paced:
        lines.append(line("p95 ≤ 300 ms per turn at 20 pupils (paced)",
                          f"{paced.pct(0.95):.0f} ms", paced.pct(0.95) <= 300))
    if burst:
        lines.append(line(f"≥ 30 turns/s sustained ({burst.users} pupils, burst)",
                          f"{burst.rate:.1f} turns/s", burst.rate >= 30))
    lines.append(line("0 errors in all runs", str(errors), errors == 0))
    lines.append(line("all services ≤ 2.5 GB resident", f"{memory:.0f} MB", memory <= 2560))
    if train_s == train_s:  # not NaN: training was timed
        lines.append(line("training ≤ 5 min", f"{train_s:.0f} s", train_s <= 300))
    return lines


def main(
    users: Annotated[list[int] | None, typer.Option(help="Concurrent pupils per run.")] = None,
    mode: Annotated[list[str] | None, typer.Option(
        help="paced: pupils pause 2–5 s between messages; burst: no pauses.")] = None,
    conversations: Annotated[int, typer.Option(help="Conversations per pupil.")] = 3,
    baseline: Annotated[bool, typer.Option(help="Also measure Rasa's default pipeline.")] = True,
    profile: Annotated[int, typer.Option(help="Seconds of py-spy sampling (0: off).")] = 20,
    train: Annotated[bool, typer.Option(help="Time a full training (else use --model).")] = True,
    model: Annotated[Path, typer.Option(help="Model to serve with --no-train.")] = MODEL,
) -> None:
    users = users or [20, 50]
    modes = [m for m in MODES if m in (mode or MODES)]
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("profile-*.txt"):
        old.unlink()
    if train:
        console.print("[bold]Timing a full training of config.yml[/] (rasa train --force) …")
        model, train_s = _train(ROOT / "config.yml", "ours")
    else:
        train_s = float("nan")
    results = {"ours": _measure(model, "ours", users, modes, conversations, profile_s=profile)}
    train_times = {"ours": train_s}
    if baseline:
        console.print("[bold]Training the baseline (Rasa's default NLU pipeline)[/] …")
        base_model, train_times["rasa-default"] = _train(_baseline_config(), "baseline")
        results["rasa-default"] = _measure(base_model, "baseline", users[:1], modes,
                                           conversations)
    table = Table(title="Load over the gateway (per turn)")
    for column in ("pipeline", "users", "pauses", "turns", "errors", "p50 ms", "p95 ms",
                   "p99 ms", "turns/s", "CPU ms per turn"):
        table.add_column(column)
    pauses = {"paced": f"{PAUSE_S[0]:.0f}–{PAUSE_S[1]:.0f} s", "burst": "none"}
    rows = []
    for label, measured in results.items():
        for run in measured["runs"]:
            row = [label, str(run.users), pauses[run.mode], str(run.turns), str(run.errors),
                   f"{run.pct(0.5):.0f}", f"{run.pct(0.95):.0f}", f"{run.pct(0.99):.0f}",
                   f"{run.rate:.1f}", run.cpu_per_turn()]
            rows.append(row)
            table.add_row(*row)
    console.print(table)
    lines = [
        START, "## Load, memory, training and cold start", "",
        f"Measured {date.today().isoformat()} on {platform.node()}: nproc {os.cpu_count()}, "
        f"{_mem_gib():.1f} GiB RAM. Command: `make bench-load` "
        f"(`.venv/bin/python bench/bench_load.py`; {conversations} conversations of "
        f"{len(SCRIPTS['sv'])} turns per pupil, sv/fi/da in turn, over the gateway; the load "
        "generator runs on the same machine).", "",
        "| pipeline | users | pauses | turns | errors | p50 ms | p95 ms | p99 ms | turns/s | "
        "CPU ms per turn |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "| pipeline | full training | cold start to first answer | peak RSS (MB) |",
              "|---|---|---|---|"]
    for label, measured in results.items():
        memory = ", ".join(f"{k} {v:.0f}" for k, v in measured["memory_mb"].items())
        total = sum(measured["memory_mb"].values())
        lines.append(f"| {label} | {train_times[label]:.0f} s | "
                     f"{measured['cold_start_s']:.0f} s | {memory}; total {total:.0f} |")
    if baseline:
        lines.append("")
        for each in modes:
            ours = _find(results["ours"]["runs"], users[0], each)
            base = _find(results["rasa-default"]["runs"], users[0], each)
            if ours and base:
                lines.append(f"Ratio ours / Rasa default at {users[0]} pupils, {each}: p95 "
                             f"{ours.pct(0.95) / base.pct(0.95):.2f}, throughput "
                             f"{ours.rate / base.rate:.2f}.")
        ratio = train_times["ours"] / train_times["rasa-default"]
        lines.append(f"Training time ratio: {ratio:.2f}.")
    rasa_profile = OUT / "profile-ours-rasa.txt"
    if rasa_profile.exists():
        shares = stage_shares(rasa_profile, RASA_STAGES)
        lines += ["", f"Where Rasa's busy time goes (py-spy, {profile} s of an extra, unreported "
                  f"burst of {max(users)} pupils; inclusive shares of busy samples): " + ", ".join(
                      f"{name} {share:.0%}" for name, share in shares.items()) + "."]
    profiles = sorted(OUT.glob("profile-ours-*.txt"))
    if profiles:
        lines += ["", "Busiest frames per service (self time, share of busy samples):", ""]
        for path in profiles:
            service = path.stem.removeprefix("profile-ours-")
            frames = "; ".join(f"`{f[:90]}` {share:.0%}" for f, share in top_frames(path)[:5])
            lines.append(f"- {service}: {frames or 'no samples'}")
    targets = _targets(results, train_times["ours"])
    lines += ["", "Targets (issue 8):", "", *targets, END]
    console.print("\n".join(targets))
    write_section(DOCS, "\n".join(lines), START, END, "Benchmarks")
    console.print(f"Wrote {DOCS.relative_to(ROOT)}")


def _mem_gib() -> float:
    match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    return int(match.group(1)) / 1024 / 1024 if match else float("nan")


if __name__ == "__main__":
    typer.run(main)
