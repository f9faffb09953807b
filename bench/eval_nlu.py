"""`make eval-nlu`: intent accuracy, macro F1 and entity F1 per language on the held-out split.

Compares the project's pipeline (config.yml) with Rasa's default pipeline
(bench/config_default.yml), both trained on data/nlu and tested on tests/nlu/<lang>.yml,
and writes docs/nlu-eval.md. A benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from docs_section import write_section  # bench/, on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
OUT = ROOT / "var" / "eval-nlu"
LANGUAGES = ("sv", "fi", "da")
PIPELINES = {"chosen": ROOT / "config.yml", "rasa-default": ROOT / "bench" / "config_default.yml"}
TARGETS = {"intent_accuracy": 0.92, "entity_f1": 0.85}
console = Console()


def _rasa(*args: str) -> None:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    log = OUT / "rasa.log"
    with log.open("a") as handle:
        subprocess.run([str(RASA), *args], cwd=ROOT, env=env, check=True, stdout=handle,
                       stderr=subprocess.STDOUT)


def _train(name: str, config: Path) -> tuple[Path, float]:
    started = time.monotonic()
    _rasa("train", "nlu", "-c", str(config), "--nlu", "data", "--out", str(OUT / "models"),
          "--fixed-model-name", name)
    return OUT / "models" / f"{name}.tar.gz", time.monotonic() - started


def _entity_f1(report_dir: Path) -> float:
    """Micro F1 over `interest` and `location`, from whichever extractor reported."""
    for report in sorted(report_dir.glob("*Extractor_report.json")) + sorted(
        report_dir.glob("DIETClassifier_report.json")
    ):
        data = json.loads(report.read_text())
        if "micro avg" in data:
            return float(data["micro avg"]["f1-score"])
    return float("nan")


def _evaluate(model: Path, name: str, language: str) -> dict[str, float]:
    out = OUT / name / language
    _rasa("test", "nlu", "-m", str(model), "--nlu", f"tests/nlu/{language}.yml", "--out", str(out))
    intents = json.loads((out / "intent_report.json").read_text())
    return {
        "intent_accuracy": float(intents["accuracy"]),
        "intent_macro_f1": float(intents["macro avg"]["f1-score"]),
        "entity_f1": _entity_f1(out),
        "examples": float(intents["macro avg"]["support"]),
    }


DOCS = ROOT / "docs" / "nlu-eval.md"
START, END = "<!-- nlu-eval:start -->", "<!-- nlu-eval:end -->"


def main(skip_baseline: bool = typer.Option(False, help="Only evaluate config.yml.")) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, dict[str, float]]] = {}
    train_seconds: dict[str, float] = {}
    for name, config in PIPELINES.items():
        if skip_baseline and name != "chosen":
            continue
        console.print(f"[bold]Training {name}[/] ({config.relative_to(ROOT)}) …")
        model, train_seconds[name] = _train(name, config)
        results[name] = {}
        for language in LANGUAGES:
            console.print(f"  testing {name} on tests/nlu/{language}.yml")
            results[name][language] = _evaluate(model, name, language)
    table = Table(title="Held-out NLU evaluation")
    for column in ("pipeline", "lang", "intent acc", "intent macro F1", "entity F1"):
        table.add_column(column)
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.node()} ({os.cpu_count()} cores), "
        "with `make eval-nlu` (bench/eval_nlu.py). Trained on `data/` (NLU examples and "
        "lookup tables), tested on the held-out `tests/nlu/<lang>.yml`, never trained on. "
        f"Targets: intent accuracy ≥ {TARGETS['intent_accuracy']}, "
        f"entity F1 ≥ {TARGETS['entity_f1']} in each language.",
        "",
        "| pipeline | language | intent accuracy | intent macro F1 | entity F1 (micro) "
        "| NLU training time |",
        "|---|---|---|---|---|---|",
    ]
    for name, per_language in results.items():
        for language, m in per_language.items():
            table.add_row(name, language, f"{m['intent_accuracy']:.3f}",
                          f"{m['intent_macro_f1']:.3f}", f"{m['entity_f1']:.3f}")
            lines.append(
                f"| {name} | {language} | {m['intent_accuracy']:.3f} | "
                f"{m['intent_macro_f1']:.3f} | {m['entity_f1']:.3f} | "
                f"{train_seconds[name]:.0f} s |"
            )
    console.print(table)
    for name, seconds in train_seconds.items():
        console.print(f"NLU training time, {name}: {seconds:.0f} s")
    lines.append(END)
    write_section(DOCS, "\n".join(lines), START, END, "NLU evaluation")
    console.print(f"Wrote {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    typer.run(main)
