"""The scaled benchmark's report (bench/scaled_report.py): the ratios point the right way, CPU
is summed per kind of service, and the section carries its markers and the core count."""

from __future__ import annotations

import sys

from bot.settings import ROOT

sys.path.insert(0, str(ROOT / "bench"))

from bench_load import LoadResult  # noqa: E402
from scaled_report import (  # noqa: E402
    END,
    START,
    capacity_check,
    comparison,
    kind,
    kind_ms_per_turn,
    section,
)


def _run(users: int, mode: str, latency_ms: float, seconds: float, turns: int = 100,
         cpu: dict[str, float] | None = None) -> LoadResult:
    run = LoadResult(users, mode, latencies_ms=[latency_ms] * turns, seconds=seconds)
    run.cpu_s = cpu or {}
    return run


def test_ratios_are_two_replicas_over_one() -> None:
    one = [_run(20, "paced", 200, 50), _run(20, "burst", 600, 4)]  # 25 turns/s
    two = [_run(20, "paced", 100, 50), _run(20, "burst", 500, 2.5)]  # 40 turns/s
    rows = comparison(one, two)
    assert rows[2].split(" | ")[4] == "1.00"  # paced: same turns/s
    assert rows[2].split(" | ")[7] == "0.50"  # paced: p95 halved
    assert rows[3].split(" | ")[4] == "1.60"  # burst: 40 / 25 turns/s


def test_cpu_is_summed_over_replicas_of_one_kind() -> None:
    run = _run(50, "burst", 900, 10, turns=1000, cpu={
        "rasa-1": 40.0, "rasa-2": 30.0, "actions-1": 4.0, "actions-2": 4.0, "gateway": 5.0,
        "postgresql": 6.0, "redis": 1.0, "client": 3.0})
    assert [kind(n) for n in ("rasa-12", "gateway", "postgresql")] == \
        ["rasa", "gateway", "postgresql"]
    assert kind_ms_per_turn(run, "rasa") == 70.0
    check = "\n".join(capacity_check(run))
    assert "rasa: 60 → 70.0 (**above the plan**)" in check
    assert "7.0, i.e. 0.70 cores per 100 turns/s" in check
    assert "1000 ÷ 70.0 = 14 turns/s" in check
    assert "is too high" in check  # 14 ÷ 2 = 7 < the 8 planned per replica


def test_the_section_has_its_markers_and_the_core_count() -> None:
    one, two = [_run(20, "burst", 600, 4, cpu={"rasa-1": 3.0})], [_run(20, "burst", 500, 3)]
    text = section(when="2026-12-01 12:00", machine="vm: **2 cores**", command="x", one=one,
                   two=two, hundred=_run(100, "paced", 300, 60), cores=2, memory_mb={},
                   conversations=2, turns_per_conversation=7, actions="2 action servers")
    assert text.startswith(START) and text.endswith(END)
    assert "**This machine has 2 cores**" in text and "0.75 of the 2 cores busy" in text
    assert "**100 paced pupils on 2 replicas:** p95 300 ms" in text
