"""`python -m bot.knowledge`: validate, count, export to CSV and import from CSV."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.knowledge.csv_io import export_csv, import_csv
from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.schema import ENTITIES, KnowledgeBase

app = typer.Typer(help="Vägvisaren knowledge base tools.", no_args_is_help=True,
                  add_completion=False)
console = Console()
err_console = Console(stderr=True)

COUNTRIES = ("SE", "FI", "DK")
DirArg = Annotated[Path | None, typer.Argument(help="Knowledge folder (default: knowledge/)")]


def _load(directory: Path | None) -> KnowledgeBase:
    try:
        return load_knowledge(directory)
    except KnowledgeError as exc:
        err_console.print("[red]Invalid knowledge base[/red]")
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


@app.command()
def validate(directory: DirArg = None) -> None:
    """Validate every file and all references between them."""
    kb = _load(directory)
    total = sum(len(getattr(kb, e)) for e in ENTITIES)
    console.print(f"[green]OK[/green]: {total} records in {len(ENTITIES)} files")


def country_counts(kb: KnowledgeBase) -> dict[str, Counter[str]]:
    """Records per entity and country ('-' when an entity has no country)."""
    country_of = {p.id: p.country for p in kb.places}
    counts: dict[str, Counter[str]] = {}
    for entity in ENTITIES:
        counter: Counter[str] = Counter()
        for record in getattr(kb, entity):
            country = getattr(record, "country", None)
            if entity in ("companies", "providers"):
                country = country_of.get(record.municipality)
            elif entity == "visits":
                country = country_of.get(record.place)
            counter[country or "-"] += 1
        counts[entity] = counter
    return counts


def provider_regions(kb: KnowledgeBase) -> Counter[tuple[str, str]]:
    """Providers per (country, region) of their municipality."""
    places = {p.id: p for p in kb.places}
    return Counter((places[p.municipality].country, places[p.municipality].region)
                   for p in kb.providers if p.municipality in places)


def code_coverage(kb: KnowledgeBase) -> dict[str, tuple[int, int]]:
    """(programmes with an official code, programmes) per country."""
    out: dict[str, tuple[int, int]] = {}
    for country in COUNTRIES:
        mine = [p for p in kb.programmes if p.country == country]
        out[country] = (sum(p.code is not None for p in mine), len(mine))
    return out


@app.command()
def stats(directory: DirArg = None) -> None:
    """Print record counts per entity and country, providers per region and code coverage."""
    kb = _load(directory)
    table = Table(title="Knowledge base")
    for col in ("entity", "total", *COUNTRIES, "other"):
        table.add_column(col, justify="left" if col == "entity" else "right")
    for entity, counter in country_counts(kb).items():
        table.add_row(entity, str(sum(counter.values())), *(str(counter[c]) for c in
                      COUNTRIES), str(counter["-"]))
    console.print(table)
    regions = Table(title="Providers (schools and colleges) per region")
    for col in ("country", "region", "providers"):
        regions.add_column(col, justify="right" if col == "providers" else "left")
    for (country, region), count in sorted(provider_regions(kb).items()):
        regions.add_row(country, region, str(count))
    console.print(regions)
    codes = Table(title="Official programme codes")
    for col in ("country", "with code", "programmes", "coverage"):
        codes.add_column(col, justify="left" if col == "country" else "right")
    for country, (have, total) in code_coverage(kb).items():
        codes.add_row(country, str(have), str(total), f"{have / total:.0%}" if total else "-")
    console.print(codes)


@app.command()
def export(outdir: Annotated[Path, typer.Argument(help="Folder for the CSV files")],
           source: Annotated[Path | None, typer.Option(help="Knowledge folder")] = None) -> None:
    """Write one CSV file per entity."""
    for path in export_csv(_load(source), outdir):
        console.print(f"wrote {path}")


@app.command("import")
def import_(csv_file: Annotated[Path, typer.Argument(help="e.g. programmes.csv")],
            into: Annotated[Path | None, typer.Option(help="Knowledge folder")] = None) -> None:
    """Replace one entity's YAML with a CSV file's rows, after full validation."""
    try:
        target = import_csv(csv_file, into)
    except KnowledgeError as exc:
        err_console.print("[red]Import refused, nothing written[/red]")
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(f"[green]OK[/green]: wrote {target}")


@app.command()
def lookup(directory: DirArg = None) -> None:
    """Regenerate the NLU lookup tables in data/lookups/ (places and interest words)."""
    from bot.knowledge.nlu_lookup import write, write_interests

    kb = _load(directory)
    for path in (write(kb), write_interests(kb)):
        console.print(f"Wrote {path}")
