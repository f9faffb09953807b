"""Interest-matching benchmark: field hit@1/hit@3 per language and mode, warm query latency.

    .venv/bin/python bench/bench_match.py

Evaluates on tests/matching/<lang>.yml (never used for training) and writes the figures into
the "Interest matching" section of docs/benchmarks.md (between the bench-match markers).
A benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.labels import COUNTRY_OF_LANGUAGE, LANGUAGES  # noqa: E402
from bot.matching.engine import Matcher  # noqa: E402
from bot.matching.evaluate import evaluate, load_devset  # noqa: E402
from docs_section import write_section  # noqa: E402  (bench/, beside this script)

MODES = ("hybrid", "lexical", "semantic")
TARGET_HIT3, TARGET_P95_MS = 0.90, 20.0
REPEATS = 20
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-match:start -->", "<!-- bench-match:end -->"


def _latency(matcher: Matcher) -> tuple[float, float, int]:
    """p50/p95 in ms of single warm hybrid queries, all dev sentences, REPEATS times each."""
    queries = [(item, lang) for lang in LANGUAGES for item in load_devset(lang)]
    for item, lang in queries:  # warm-up
        matcher.match(item.text, item.interests, lang, COUNTRY_OF_LANGUAGE[lang], place=None)
    times = []
    for _ in range(REPEATS):
        for item, lang in queries:
            started = time.perf_counter()
            matcher.match(item.text, item.interests, lang, COUNTRY_OF_LANGUAGE[lang])
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * len(times)) - 1], len(times)


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def main() -> None:
    started = time.monotonic()
    matcher = Matcher()
    load_s = time.monotonic() - started
    rows = []
    for lang in LANGUAGES:
        for mode in MODES:
            scores = evaluate(matcher, lang, mode)  # type: ignore[arg-type]
            rows.append((lang, mode, scores))
    p50, p95, n = _latency(matcher)

    lines = ["| language | mode | n | hit@1 | hit@3 |", "|---|---|---|---|---|"]
    for lang, mode, s in rows:
        lines.append(f"| {lang} | {mode} | {s.n} | {s.hit1:.3f} | {s.hit3:.3f} |")
    hybrid_ok = all(s.hit3 >= TARGET_HIT3 for _, mode, s in rows if mode == "hybrid")
    misses = [f"- {lang}: {t}" for lang, mode, s in rows if mode == "hybrid" for t in s.misses]
    machine = (f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
               f"{_memory()} RAM, Python {platform.python_version()}")
    section = "\n".join([
        START, "## Interest matching", "",
        f"Measured {date.today().isoformat()} on {machine} with `bench/bench_match.py` on the "
        "hand-written dev set `tests/matching/{sv,fi,da}.yml` (never used for training). "
        "A hit = any labelled field in the top k.", "",
        *lines, "",
        f"Warm hybrid query latency ({n} queries): p50 {p50:.2f} ms, p95 {p95:.2f} ms "
        f"(target ≤ {TARGET_P95_MS:.0f} ms). Matcher load (model + cached embeddings): "
        f"{load_s:.1f} s.", "",
        f"Targets: hybrid hit@3 ≥ {TARGET_HIT3:.2f} per language: "
        f"{'met' if hybrid_ok else 'NOT met'}; p95: "
        f"{'met' if p95 <= TARGET_P95_MS else 'NOT met'}.", "",
        "Hybrid misses (labelled field not in the top 3):", "", *(misses or ["- none"]),
        END,
    ])
    print(section.replace(START + "\n", "").replace("\n" + END, ""))
    write_section(DOC, section, START, END, "Benchmarks")
    print(f"\nwrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
