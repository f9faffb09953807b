"""Benchmark: what Rasa's SQL event broker costs a turn -> docs/benchmarks.md.

    .venv/bin/python bench/bench_broker.py [--turns 40] [--no-write]

Starts two Rasa servers (and one action server) of this checkout on free loopback ports, each
with its own SQLite files: one with endpoints.yml as it is (SQL tracker store and SQL event
broker), one with the same file less `event_broker`. Rasa publishes each event in its own
transaction, and before publishing reads the conversation back from the tracker store to see
which events are new (`TrackerStore.stream_events`). The same conversations are sent to both,
one turn to one server and then the same turn to the other, so that the machine's load moves
both alike; each turn's wall time is measured at Rasa's REST webhook, and each Rasa's CPU
time. The broker's database is opened in WAL mode first, as the gateway leaves it in
`make run`.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated

import httpx
import typer
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.stack import Ports, Stack, free_port  # noqa: E402
from bot.summaries import broker  # noqa: E402
from docs_section import write_section  # noqa: E402  (bench/, beside this script)

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-broker:start -->", "<!-- bench-broker:end -->"
CONVERSATION = ["hej", "jag gillar att skruva på mopeder", "jag bor i Göteborg",
                "vad tjänar en svetsare?", "tack så mycket"]


class RasaOnly(Stack):
    """Rasa with a chosen endpoints file; the action server of another stack."""

    def __init__(self, var_dir: Path, endpoints: Path, action_url: str) -> None:
        super().__init__(Ports(free_port(), 0, 0), var_dir,
                         extra_env={"VAGVISAREN_ACTION_URL": f"{action_url}/webhook"})
        self.endpoints = endpoints

    def commands(self) -> dict[str, list[str]]:
        commands = super().commands()
        rasa = commands["rasa"]
        rasa[rasa.index("--endpoints") + 1] = str(self.endpoints)
        return commands


def _turn(url: str, sender: str, message: str) -> float:
    began = time.perf_counter()
    reply = httpx.post(f"{url}/webhooks/rest/webhook", json={
        "sender": sender, "message": message, "metadata": {"language": "sv"}}, timeout=60)
    reply.raise_for_status()
    return (time.perf_counter() - began) * 1000


def _cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far, in ms (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _stats(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered), 1),
            "mean_ms": round(statistics.fmean(ordered), 1),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1)}


def measure(turns: int) -> dict[str, object]:
    var = Path(tempfile.mkdtemp(prefix="bench-broker-"))
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints.pop("event_broker")
    without_file = var / "endpoints-without-broker.yml"
    without_file.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    actions = Stack(Ports(0, free_port(), 0), var / "actions")
    stacks = {"with": RasaOnly(var / "with", ROOT / "endpoints.yml", actions.action_url),
              "without": RasaOnly(var / "without", without_file, actions.action_url)}
    try:
        actions.start(["actions"])
        actions.wait_ready(["actions"], timeout=300)
        for stack in stacks.values():
            stack.start(["rasa"])
        for stack in stacks.values():
            stack.wait_ready(["rasa"], timeout=400)
        for name, stack in stacks.items():  # warm up: load the policies, make the tables
            for message in CONVERSATION:
                _turn(stack.rasa_url, f"warm-{name}", message)
        url = f"sqlite:///{stacks['with'].broker_db}"
        assert broker.broker_ready(url)  # WAL, as the gateway leaves it
        before = broker.count(url)
        cpu = {name: _cpu_ms(stack.procs["rasa"].pid) for name, stack in stacks.items()}
        times: dict[str, list[float]] = {name: [] for name in stacks}
        order = list(stacks)
        while len(times["with"]) < turns:
            sender = uuid.uuid4().hex[:12]
            for message in CONVERSATION[:turns - len(times["with"])]:
                for name in order:
                    times[name].append(_turn(stacks[name].rasa_url, sender, message))
                order.reverse()  # neither server always goes first
        events = (broker.count(url) - before) / turns
        cpu = {name: round((_cpu_ms(stack.procs["rasa"].pid) - cpu[name]) / turns, 1)
               for name, stack in stacks.items()}
        assert not stacks["without"].broker_db.exists(), "the server without a broker has one"
        return {"turns": turns, "events_per_turn": round(events, 1),
                "with": {**_stats(times["with"]), "rasa_cpu_ms": cpu["with"]},
                "without": {**_stats(times["without"]), "rasa_cpu_ms": cpu["without"]}}
    finally:
        for stack in (*stacks.values(), actions):
            stack.stop()
        shutil.rmtree(var, ignore_errors=True)


def main(
    turns: Annotated[int, typer.Option(help="Turns sent to each server.")] = 40,
    write: Annotated[bool, typer.Option(help="Write the section of docs/benchmarks.md.")] = True,
) -> None:
    result = measure(turns)
    print(json.dumps(result))
    if not write:
        return
    with_, without = result["with"], result["without"]
    assert isinstance(with_, dict) and isinstance(without, dict)
    section = "\n".join([
        START,
        "## Event broker (cost per turn)",
        "",
        f"Measured {date.today().isoformat()} on {platform.node()} (a {os.cpu_count()}-core "
        "VM, shared with other test runs). Command: `.venv/bin/python bench/bench_broker.py` "
        f"({result['turns']} turns to each of two Rasa servers on SQLite, one with the SQL event "
        "broker and one without, the same turn to one and then the other; wall time of "
        f"Rasa's REST webhook; {result['events_per_turn']} events published per turn).",
        "",
        "| Rasa | median | mean | p90 | Rasa CPU per turn |",
        "|---|---|---|---|---|",
        *(f"| {label} | {stats['median_ms']} ms | {stats['mean_ms']} ms | {stats['p90_ms']} ms "
          f"| {stats['rasa_cpu_ms']} ms |"
          for label, stats in (("without the event broker", without),
                               ("with the SQL event broker", with_))),
        "",
        f"Difference of the medians: {with_['median_ms'] - without['median_ms']:+.1f} ms "
        "per turn.",
        END,
    ])
    write_section(DOC, section, START, END, "Benchmarks")


if __name__ == "__main__":
    typer.run(main)
