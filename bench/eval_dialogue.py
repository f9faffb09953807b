"""`make eval-dialogue`: whole conversations (tests/conversations/) against the real stack.

Prints task success per language, the traps (a bot turn identical to the one before) and
every failed conversation, and writes docs/dialogue-eval.md. A benchmark, not a test: it never
fails on its figures (the fast subset runs in `make test`: tests/test_conversations.py).
"""

from __future__ import annotations

import os
import platform
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.table import Table

from bot.dialogue_eval import Runner, Summary, by_group, load, summarise
from bot.labels import LANGUAGES
from bot.stack import MODEL, Ports, Stack
from docs_section import write_section  # bench/, on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "eval-dialogue"
DOCS = ROOT / "docs" / "dialogue-eval.md"
START, END = "<!-- dialogue-eval:start -->", "<!-- dialogue-eval:end -->"
TARGET = 0.95
PARALLEL = 4  # conversations at a time: a class at the widget, not a load test
console = Console()


def _section(summaries: list[Summary], groups: list[Summary], seconds: float) -> str:
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.node()} ({os.cpu_count()} cores), "
        f"with `make eval-dialogue` (bench/eval_dialogue.py) against the real stack, in "
        f"{seconds:.0f} s. Target: task success ≥ {TARGET:.2f} in each language and 0 traps.",
        "",
        "| language | conversations | succeeded | task success | traps | target |",
        "|---|---|---|---|---|---|",
    ]
    for s in summaries:
        met = "met" if s.success >= TARGET and s.traps == 0 else "**not met**"
        lines.append(f"| {s.language} | {s.conversations} | {s.succeeded} | {s.success:.2f} | "
                     f"{s.traps} | {met} |")
    lines += ["", "By group (`main`: interests, places and visits; `behind`: worries, pressure, "
              "pay, myths and placements, written as real people write them; `where`: which "
              "schools teach it, and how far away):", "",
              "| language | group | conversations | succeeded | task success | traps |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {g.language} | {g.group} | {g.conversations} | {g.succeeded} | "
              f"{g.success:.2f} | {g.traps} |" for g in groups]
    failed = [r for s in summaries for r in s.failures]
    if failed:
        lines += ["", "Failed conversations:", "", "```"]
        lines += [r.report() for r in failed]
        lines += ["```"]
    lines.append(END)
    return "\n".join(lines)


def main(only: str = typer.Option("", help="Run one language (sv, fi or da).")) -> None:
    if not MODEL.exists():
        raise SystemExit(f"No trained model at {MODEL}: run `make train` first.")
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    var_dir = OUT / "var"
    shutil.rmtree(var_dir, ignore_errors=True)
    stack = Stack(Ports.free(), var_dir,
                  extra_env={"VAGVISAREN_RATE_LIMIT_PER_IP": "1000000",
                             "VAGVISAREN_RATE_LIMIT_PER_SESSION": "1000000"})
    stack.start()
    summaries: list[Summary] = []
    groups: list[Summary] = []
    started = time.monotonic()
    try:
        stack.wait_ready(timeout=300)
        runner = Runner(stack.gateway_url, stack.rasa_url, stack.token, domain)
        for language in [only] if only else LANGUAGES:
            conversations = load(language)
            with ThreadPoolExecutor(PARALLEL) as pool:
                results = list(pool.map(runner.run, conversations))
            summaries.append(summarise(language, results))
            groups += by_group(language, results)
    finally:
        stack.stop()
    seconds = time.monotonic() - started
    table = Table(title="Dialogue evaluation (tests/conversations/)")
    for column in ("language", "conversations", "task success", "traps"):
        table.add_column(column)
    for s in summaries:
        table.add_row(s.language, str(s.conversations), f"{s.success:.2f}", str(s.traps))
    console.print(table)
    for g in groups:
        console.print(f"  {g.language} {g.group}: {g.succeeded}/{g.conversations} "
                      f"({g.success:.2f}), traps {g.traps}")
    for s in summaries:
        for failed in s.failures:
            console.print(failed.report(), markup=False, highlight=False)
    if not only:
        write_section(DOCS, _section(summaries, groups, seconds), START, END, "Dialogue evaluation")
        console.print(f"Written to {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    typer.run(main)
