"""`make bench-load`: the real stack under concurrent simulated pupils, and its costs.

Starts gateway, Rasa and action server (SQLite tracker store) on free loopback ports, drives N
concurrent pupils through multi-turn conversations in sv, fi and da over the gateway with an
asyncio httpx client, and prints per-turn latency (p50/p95/p99), turns per second, errors and
the peak resident memory of each service. It also times a full `rasa train` and a cold start
to the first answer, and repeats the load with Rasa's default NLU pipeline as the baseline.
Writes its section of docs/benchmarks.md. A benchmark, not a test: it never fails on targets.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import re
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


@dataclass
class LoadResult:
    users: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def turns(self) -> int:
        return len(self.latencies_ms)

    def pct(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


async def _pupil(client: httpx.AsyncClient, language: str, conversations: int,
                 result: LoadResult, rng: random.Random) -> None:
    for _ in range(conversations):
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
            await asyncio.sleep(rng.uniform(0.0, 0.05))  # a pupil's pause, kept short


async def _load(url: str, users: int, conversations: int) -> LoadResult:
    result = LoadResult(users)
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


def top_frames(path: Path, limit: int = 8) -> list[tuple[str, float]]:
    """The frames where most samples were spent (self time), as shares of all samples."""
    counts: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        leaf = stack.split(";")[-1]
        if "idle" in leaf or leaf.startswith(("select ", "poll ", "epoll_wait", "wait ")):
            continue
        counts[leaf] = counts.get(leaf, 0) + int(number)
        total += int(number)
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:limit]
    return [(frame, n / total) for frame, n in ranked] if total else []


def _measure(model: Path, label: str, users_list: list[int], conversations: int,
             profile_s: int = 0) -> dict:
    stack = Stack(Ports.free(), OUT / f"var-{label}", model=model,
                  extra_env={"VAGVISAREN_RATE_LIMIT_PER_IP": "1000000",
                             "VAGVISAREN_RATE_LIMIT_PER_SESSION": "1000000"})
    started = time.monotonic()
    stack.start()
    try:
        stack.wait_ready(timeout=300)
        first = httpx.post(f"{stack.gateway_url}/api/chat", json={"message": "hej"}, timeout=60)
        cold_start = time.monotonic() - started
        assert first.status_code == 200
        profilers = [
            _profile(proc.pid, f"{label}-{name}", profile_s)
            for name, proc in stack.procs.items()
        ] if profile_s else []
        runs = {users: asyncio.run(_load(stack.gateway_url, users, conversations))
                for users in users_list}
        for profiler in profilers:
            if profiler is not None:
                profiler.wait(timeout=profile_s + 30)
        memory = {name: _peak_rss_mb(proc.pid) for name, proc in stack.procs.items()}
    finally:
        stack.stop()
    return {"cold_start_s": cold_start, "runs": runs, "memory_mb": memory}


def main(
    users: Annotated[list[int] | None, typer.Option(help="Concurrent pupils per run.")] = None,
    conversations: Annotated[int, typer.Option(help="Conversations per pupil.")] = 3,
    baseline: Annotated[bool, typer.Option(help="Also measure Rasa's default pipeline.")] = True,
    profile: Annotated[int, typer.Option(help="Seconds of py-spy sampling (0: off).")] = 20,
    train: Annotated[bool, typer.Option(help="Time a full training (else use models/).")] = True,
) -> None:
    users = users or [20, 50]
    OUT.mkdir(parents=True, exist_ok=True)
    if train:
        console.print("[bold]Timing a full training of config.yml[/] (rasa train --force) …")
        model, train_s = _train(ROOT / "config.yml", "ours")
    else:
        model, train_s = MODEL, float("nan")
    results = {"ours": _measure(model, "ours", users, conversations, profile_s=profile)}
    train = {"ours": train_s}
    if baseline:
        console.print("[bold]Training the baseline (Rasa's default NLU pipeline)[/] …")
        base_model, train["rasa-default"] = _train(_baseline_config(), "baseline")
        results["rasa-default"] = _measure(base_model, "baseline", users[:1], conversations)
    table = Table(title="Load over the gateway (per turn)")
    for column in ("pipeline", "users", "turns", "errors", "p50 ms", "p95 ms", "p99 ms",
                   "turns/s"):
        table.add_column(column)
    rows = []
    for label, measured in results.items():
        for n, run in measured["runs"].items():
            row = (label, n, run.turns, run.errors, run.pct(0.5), run.pct(0.95), run.pct(0.99),
                   run.turns / run.seconds)
            rows.append(row)
            table.add_row(*(f"{v:.0f}" if isinstance(v, float) else str(v) for v in row[:-1]),
                          f"{row[-1]:.1f}")
    console.print(table)
    lines = [
        START, "## Load, memory, training and cold start", "",
        f"Measured {date.today().isoformat()} on {platform.node()}: nproc {os.cpu_count()}, "
        f"{_mem_gib():.1f} GiB RAM. Command: `make bench-load` "
        f"(`.venv/bin/python bench/bench_load.py`; {conversations} conversations of "
        f"{len(SCRIPTS['sv'])} turns per pupil, sv/fi/da in turn, over the gateway).", "",
        "| pipeline | users | turns | errors | p50 ms | p95 ms | p99 ms | turns/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.0f} | {r[5]:.0f} | {r[6]:.0f} | "
              f"{r[7]:.1f} |" for r in rows]
    lines += ["", "| pipeline | full training | cold start to first answer | peak RSS (MB) |",
              "|---|---|---|---|"]
    for label, measured in results.items():
        memory = ", ".join(f"{k} {v:.0f}" for k, v in measured["memory_mb"].items())
        total = sum(measured["memory_mb"].values())
        lines.append(f"| {label} | {train[label]:.0f} s | {measured['cold_start_s']:.0f} s | "
                     f"{memory}; total {total:.0f} |")
    if baseline:
        ours, base = results["ours"]["runs"][users[0]], results["rasa-default"]["runs"][users[0]]
        lines += ["", f"Ratio at {users[0]} users, ours / Rasa default: p95 "
                  f"{ours.pct(0.95) / base.pct(0.95):.2f}, throughput "
                  f"{(ours.turns / ours.seconds) / (base.turns / base.seconds):.2f}; training "
                  f"{train['ours'] / train['rasa-default']:.2f}."]
    profiles = sorted(OUT.glob("profile-ours-*.txt"))
    if profiles:
        lines += ["", f"Where the time goes under load (py-spy, {profile} s from the start of "
                  "the first run, self time per frame, top 5 per service):", ""]
        for path in profiles:
            service = path.stem.removeprefix("profile-ours-")
            frames = "; ".join(f"`{f[:90]}` {share:.0%}" for f, share in top_frames(path)[:5])
            lines.append(f"- {service}: {frames or 'no samples'}")
    lines += ["", "Targets: p95 ≤ 300 ms at 20 users, ≥ 30 turns/s, 0 errors, all services "
              "≤ 2.5 GB resident, training ≤ 5 min.", END]
    _write_section("\n".join(lines))
    console.print(f"Wrote {DOCS.relative_to(ROOT)}")


def _mem_gib() -> float:
    match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    return int(match.group(1)) / 1024 / 1024 if match else float("nan")


def _write_section(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
