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

from bot.concerns import CONCERNS
from bot.labels import LANGUAGES
from docs_section import write_section  # bench/, on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
OUT = ROOT / "var" / "eval-nlu"
PIPELINES = {"chosen": ROOT / "config.yml", "rasa-default": ROOT / "bench" / "config_default.yml"}
TARGETS = {"intent_accuracy": 0.92, "entity_f1": 0.85, "location_f1": 0.95}
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


ENTITIES = ("interest", "location")


def _entity_counts(report_dir: Path) -> dict[str, tuple[float, float, float]]:
    """(true positives, predicted, gold) per entity, from the extractor that finds it.

    Each extractor reports every gold entity type, also those it never extracts (the
    gazetteer scores 0 on `interest`), so an entity's figures come from the report where it
    scores best: the CRF for interests, the gazetteer (or DIET, in Rasa's default) for places.
    """
    best: dict[str, tuple[float, float, float, float]] = {}
    reports = sorted(report_dir.glob("*Extractor_report.json")) + sorted(
        report_dir.glob("DIETClassifier_report.json"))
    for report in reports:
        data = json.loads(report.read_text())
        for entity in ENTITIES:
            row = data.get(entity)
            if not row or not row.get("support"):
                continue
            gold = float(row["support"])
            tp = float(row["recall"]) * gold
            predicted = tp / row["precision"] if row["precision"] else 0.0
            if entity not in best or row["f1-score"] > best[entity][0]:
                best[entity] = (float(row["f1-score"]), tp, predicted, gold)
    return {entity: values[1:] for entity, values in best.items()}


def _f1(tp: float, predicted: float, gold: float) -> float:
    return 2 * tp / (predicted + gold) if predicted + gold else float("nan")


def _entity_f1(report_dir: Path) -> dict[str, float]:
    """Micro F1 over `interest` and `location`, and the F1 of each."""
    counts = _entity_counts(report_dir)
    scores = {entity: _f1(*counts[entity]) if entity in counts else float("nan")
              for entity in ENTITIES}
    totals = [sum(c[i] for c in counts.values()) for i in range(3)]
    scores["micro"] = _f1(*totals)
    return scores


def _evaluate(model: Path, name: str, language: str) -> dict[str, float]:
    out = OUT / name / language
    _rasa("test", "nlu", "-m", str(model), "--nlu", f"tests/nlu/{language}.yml", "--out", str(out))
    intents = json.loads((out / "intent_report.json").read_text())
    entities = _entity_f1(out)
    behind = [intents[i] for i in CONCERNS if i in intents]
    support = sum(r["support"] for r in behind)
    return {
        # Accuracy on the held-out examples of the questions behind the choice (bot/concerns.py):
        # the share of them given their own intent.
        "behind_accuracy": sum(r["recall"] * r["support"] for r in behind) / support
        if support else float("nan"),
        **{f"f1:{i}": float(intents[i]["f1-score"]) for i in CONCERNS if i in intents},
        "intent_accuracy": float(intents["accuracy"]),
        "intent_macro_f1": float(intents["macro avg"]["f1-score"]),
        "entity_f1": entities["micro"],
        "interest_f1": entities["interest"],
        "location_f1": entities["location"],
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
    for column in ("pipeline", "lang", "intent acc", "behind acc", "intent macro F1",
                   "entity F1", "interest F1", "location F1"):
        table.add_column(column)
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.node()} ({os.cpu_count()} cores), "
        "with `make eval-nlu` (bench/eval_nlu.py). Trained on `data/` (NLU examples and "
        "lookup tables), tested on the held-out `tests/nlu/<lang>.yml`, never trained on. "
        f"Targets: intent accuracy ≥ {TARGETS['intent_accuracy']}, "
        f"entity F1 ≥ {TARGETS['entity_f1']}, location F1 ≥ {TARGETS['location_f1']} in "
        "each language. Entity F1 is Rasa's token-level score; `interest` comes from the CRF, "
        "`location` from the gazetteer (bot/rasa_ext/gazetteer.py) in the chosen pipeline and "
        "from DIET in Rasa's default.",
        "",
        "| pipeline | language | intent accuracy | behind-the-choice accuracy | intent macro F1 "
        "| entity F1 (micro) | interest F1 | location F1 | NLU training time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, per_language in results.items():
        for language, m in per_language.items():
            table.add_row(name, language, f"{m['intent_accuracy']:.3f}",
                          f"{m['behind_accuracy']:.3f}",
                          f"{m['intent_macro_f1']:.3f}", f"{m['entity_f1']:.3f}",
                          f"{m['interest_f1']:.3f}", f"{m['location_f1']:.3f}")
            lines.append(
                f"| {name} | {language} | {m['intent_accuracy']:.3f} | "
                f"{m['behind_accuracy']:.3f} | "
                f"{m['intent_macro_f1']:.3f} | {m['entity_f1']:.3f} | "
                f"{m['interest_f1']:.3f} | {m['location_f1']:.3f} | "
                f"{train_seconds[name]:.0f} s |"
            )
    if "chosen" in results:
        chosen = results["chosen"]
        lines += ["", "The questions behind the choice, F1 per intent (chosen pipeline):", "",
                  "| intent | " + " | ".join(chosen) + " |",
                  "|---|" + "---|" * len(chosen)]
        lines += [f"| {i} | " + " | ".join(f"{chosen[lang].get(f'f1:{i}', float('nan')):.3f}"
                                            for lang in chosen) + " |" for i in CONCERNS]
    console.print(table)
    for name, seconds in train_seconds.items():
        console.print(f"NLU training time, {name}: {seconds:.0f} s")
    lines.append(END)
    write_section(DOCS, "\n".join(lines), START, END, "NLU evaluation")
    console.print(f"Wrote {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    typer.run(main)
