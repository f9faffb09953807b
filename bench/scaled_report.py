"""The scaled benchmark's tables and text for docs/benchmarks.md (pure: no processes, no I/O).

bench/bench_scaled.py measures; this module turns its LoadResults into Markdown: 1 against 2
Rasa replicas side by side with their ratios, CPU per turn per service, the 100-pupil run,
and a check of docs/deploy.md's capacity model against the measured CPU per turn.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench_load import PAUSE_S, LoadResult

START, END = "<!-- bench-scaled:start -->", "<!-- bench-scaled:end -->"
TITLE = "## Scaled stack: 1 and 2 Rasa replicas on PostgreSQL and Redis"
# docs/deploy.md, "Sizing": planned CPU ms per turn, and turns/s planned per Rasa replica.
PLANNED_MS = {"rasa": 60.0, "actions": 15.0, "gateway": 6.0}
PLANNED_PER_REPLICA = 8.0
PLANNED_STORES_MS = 4.6  # PostgreSQL and Redis, in the model's cores
PAUSES = {"paced": f"{PAUSE_S[0]:.0f}–{PAUSE_S[1]:.0f} s", "burst": "none"}


def kind(service: str) -> str:
    """"rasa-2" -> "rasa"; "gateway" -> "gateway"."""
    head, _, tail = service.rpartition("-")
    return head if head and tail.isdigit() else service


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "–"


def ms_per_turn(run: LoadResult, services: Sequence[str] | None = None) -> float:
    """CPU ms per turn of the named services (default: all, the client included)."""
    names = run.cpu_s if services is None else services
    return 1000 * sum(run.cpu_s.get(name, 0.0) for name in names) / max(run.turns, 1)


def kind_ms_per_turn(run: LoadResult, of_kind: str) -> float:
    return ms_per_turn(run, [name for name in run.cpu_s if kind(name) == of_kind])


def cores_busy(run: LoadResult) -> float:
    """How many cores all the processes kept busy on average during the run."""
    return sum(run.cpu_s.values()) / run.seconds if run.seconds else 0.0


def cpu_cell(run: LoadResult) -> str:
    return ", ".join(f"{name} {1000 * spent / max(run.turns, 1):.1f}"
                     for name, spent in run.cpu_s.items())


def find(runs: Sequence[LoadResult], users: int, mode: str) -> LoadResult | None:
    return next((r for r in runs if r.users == users and r.mode == mode), None)


def comparison(one: Sequence[LoadResult], two: Sequence[LoadResult]) -> list[str]:
    """1 against 2 replicas, one row per (pauses, pupils) measured with both."""
    lines = ["| pauses | pupils | turns/s, 1 replica | turns/s, 2 replicas | turns/s 2 ÷ 1 | "
             "p95 ms, 1 | p95 ms, 2 | p95 2 ÷ 1 | errors 1 / 2 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for a in one:
        b = find(two, a.users, a.mode)
        if b is None:
            continue
        lines.append(f"| {PAUSES[a.mode]} | {a.users} | {a.rate:.1f} | {b.rate:.1f} | "
                     f"{ratio(b.rate, a.rate)} | {a.pct(0.95):.0f} | {b.pct(0.95):.0f} | "
                     f"{ratio(b.pct(0.95), a.pct(0.95))} | {a.errors} / {b.errors} |")
    return lines


def run_table(runs: Sequence[tuple[int, LoadResult]], cores: int) -> list[str]:
    """Every run with its latency, errors and CPU per turn of each service."""
    lines = ["| Rasa replicas | pauses | pupils | turns | errors | p50 ms | p95 ms | p99 ms | "
             f"turns/s | CPU ms per turn, per service | all ms per turn | cores busy (of "
             f"{cores}) |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for replicas, r in runs:
        lines.append(f"| {replicas} | {PAUSES[r.mode]} | {r.users} | {r.turns} | {r.errors} | "
                     f"{r.pct(0.5):.0f} | {r.pct(0.95):.0f} | {r.pct(0.99):.0f} | "
                     f"{r.rate:.1f} | {cpu_cell(r)} | {ms_per_turn(r):.0f} | "
                     f"{cores_busy(r):.2f} |")
    return lines


def headline(one: Sequence[LoadResult], two: Sequence[LoadResult]) -> list[str]:
    """The ratios the issue asks for: burst turns/s and paced p95, 2 replicas over 1."""
    lines = []
    for mode, what in (("burst", "turns/s"), ("paced", "p95")):
        for a in (r for r in one if r.mode == mode):
            b = find(two, a.users, mode)
            if b is None:
                continue
            value = ratio(b.rate, a.rate) if mode == "burst" else ratio(b.pct(0.95),
                                                                        a.pct(0.95))
            lines.append(f"- {a.users} pupils, {mode}: {what} with 2 replicas ÷ with 1 = "
                         f"**{value}**")
    return lines


def cores_note(one: Sequence[LoadResult], cores: int) -> str:
    """What the machine's core count means for the ratio, with the measured busy cores."""
    burst = max((r for r in one if r.mode == "burst"), key=lambda r: r.users, default=None)
    busy = (f" In the 1-replica burst of {burst.users} pupils all processes together already "
            f"kept {cores_busy(burst):.2f} of the {cores} cores busy, so a second replica "
            f"could add at most the idle rest.") if burst else ""
    if cores <= 2:
        return (f"**This machine has {cores} cores**, shared by every Rasa replica, the action "
                "servers, the gateway, PostgreSQL, Redis and the load generator. A second Rasa "
                "replica does not get a core of its own: it competes with everything else for "
                "the same two, so the throughput ratio stays well under 2." + busy +
                " The ratio measures this machine, not how far Rasa scales: with a core per "
                "replica and cores for the rest, each replica adds about one replica's "
                "throughput (docs/deploy.md, \"Sizing\").")
    return (f"This machine has {cores} cores, shared by all services and the load generator; "
            "with fewer cores than busy processes the ratio stays under 2." + busy)


def capacity_check(run: LoadResult | None) -> list[str]:
    """docs/deploy.md's planned CPU per turn against the one measured on PostgreSQL."""
    if run is None or not run.turns:
        return []
    rasa = kind_ms_per_turn(run, "rasa")
    lines = [f"Capacity model (docs/deploy.md, \"Sizing\") against this run ({run.users} "
             f"pupils, {run.mode}, 2 replicas; CPU ms per turn, planned → measured):", ""]
    for service, planned in PLANNED_MS.items():
        measured = kind_ms_per_turn(run, service)
        verdict = "within the plan" if measured <= planned else "**above the plan**"
        lines.append(f"- {service}: {planned:.0f} → {measured:.1f} ({verdict})")
    postgres, redis = kind_ms_per_turn(run, "postgresql"), kind_ms_per_turn(run, "redis")
    lines.append(f"- PostgreSQL and Redis (planned {PLANNED_STORES_MS:g}): {postgres:.1f} + "
                 f"{redis:.1f} = "
                 f"{postgres + redis:.1f}, i.e. {(postgres + redis) / 10:.2f} cores per "
                 "100 turns/s")
    if rasa:
        ceiling = 1000 / rasa
        verdict = ("holds" if ceiling / 2 >= PLANNED_PER_REPLICA else
                   f"**is too high: plan at {ceiling / 2:.0f}**")
        lines.append(f"- one replica with a core to itself tops out near 1000 ÷ {rasa:.1f} = "
                     f"{ceiling:.0f} turns/s; the {PLANNED_PER_REPLICA:.0f} turns/s planned per "
                     f"replica (half of that) {verdict}")
    return lines


def section(*, when: str, machine: str, command: str, one: Sequence[LoadResult],
            two: Sequence[LoadResult], hundred: LoadResult | None, cores: int,
            memory_mb: dict[str, float], conversations: int, turns_per_conversation: int,
            actions: str) -> str:
    """The whole marked section."""
    runs = [(1, r) for r in one] + [(2, r) for r in two] + ([(2, hundred)] if hundred else [])
    biggest_burst = max((r for r in two if r.mode == "burst"), key=lambda r: r.users,
                        default=None)
    lines = [
        START, TITLE, "",
        f"Measured {when} on {machine}. Command: `{command}` (`make bench-load` runs it after "
        f"bench_load.py). Up to {conversations} conversation{'s' if conversations != 1 else ''} "
        f"of {turns_per_conversation} turns per pupil, sv/fi/da in turn, over the gateway; a "
        "paced pupil starts within the first 5 s; each stack starts with empty databases "
        f"and one unmeasured conversation per language and replica; {actions}; the load "
        "generator runs on the same machine.", "",
        cores_note(one, cores), "",
        "Ratios, 2 replicas over 1 (throughput is read from the burst runs, latency from the "
        "paced ones; a p95 ratio under 1 is better):", "", *headline(one, two), "",
        *comparison(one, two), "",
        "Every run, with the CPU that each process tree used per turn (ms; PostgreSQL with "
        "its backends; `client` is the load generator). *cores busy* is all of it divided by "
        "the run's wall time. The paced runs serve few turns per second, so the processes' "
        "idle work (PostgreSQL's background writers, timers) weighs more per turn there; the "
        "burst runs give what a turn costs:", "",
        *run_table(runs, cores), "",
    ]
    if hundred is not None:
        lines += [f"**{hundred.users} paced pupils on 2 replicas:** p95 "
                  f"{hundred.pct(0.95):.0f} ms, p99 {hundred.pct(0.99):.0f} ms, "
                  f"{hundred.errors} errors in {hundred.turns} turns "
                  f"({hundred.rate:.1f} turns/s).", ""]
    if memory_mb:
        total = sum(memory_mb.values())
        lines += ["Peak resident memory, 2 replicas (MB): " + ", ".join(
            f"{name} {mb:.0f}" for name, mb in memory_mb.items()) + f"; total {total:.0f} "
            "(PostgreSQL and Redis not counted).", ""]
    lines += [*capacity_check(biggest_burst), END]
    return "\n".join(lines)


def placeholder() -> str:
    """The section before the first real run."""
    return "\n".join([START, TITLE, "", "**Not yet measured.** `.venv/bin/python "
                      "bench/bench_scaled.py` (also run by `make bench-load`) writes this "
                      "section: 1 against 2 Rasa replicas, paced and burst, CPU per turn per "
                      "service, and 100 paced pupils on 2 replicas.", END])
