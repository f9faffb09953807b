"""CSV export/import, one file per entity, so counsellors can edit data in a spreadsheet.

Format: localized fields become `<name>_sv`, `<name>_fi`, `<name>_da`, `<name>_en` columns,
lists are joined with `|`, booleans are `true`/`false`, empty cells mean "not set". A
company's links are one cell: `manufacturing[welder cnc_operator]: builds ships | …`.
An import validates everything (rows and references) before it writes the YAML file.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.integrity import check_integrity
from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.schema import (
    ENTITIES,
    TEXT_LANGUAGES,
    FieldLink,
    KnowledgeBase,
    Localized,
    WordLists,
    id_attr,
)
from bot.labels import LANGUAGES, SOURCE_LANGUAGE
from bot.settings import get_settings

SEP = "|"


def unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, optional?) for `X | None`."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0], True
    return annotation, False


def is_localized(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Localized)


def is_wordlists(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, WordLists)


def is_list(tp: Any) -> bool:
    return typing.get_origin(tp) is list


def columns(model: type[BaseModel]) -> list[str]:
    """CSV header for a record model, in schema order."""
    cols: list[str] = []
    for name, info in model.model_fields.items():
        tp, _ = unwrap(info.annotation)
        if is_localized(tp):
            cols += [f"{name}_{lang}" for lang in TEXT_LANGUAGES]
        elif is_wordlists(tp):
            cols += [f"{name}_{lang}" for lang in LANGUAGES]
        else:
            cols.append(name)
    return cols


LINK_CELL = re.compile(r"^\s*(?P<field>[^\s\[:]+)\s*(?:\[(?P<professions>[^\]]*)\])?\s*:"
                       r"\s*(?P<basis>.*?)\s*$")


def link_cell(link: FieldLink) -> str:
    """`manufacturing[welder cnc_operator]: builds ships` (professions in brackets)."""
    professions = f"[{' '.join(link.professions)}]" if link.professions else ""
    return f"{link.field}{professions}: {link.basis}"


def parse_link(cell: str) -> dict[str, Any] | str:
    """The dict of a link cell, or the cell itself (pydantic then names what is wrong)."""
    found = LINK_CELL.match(cell)
    if found is None:
        return cell
    return {"field": found["field"], "basis": found["basis"],
            "professions": (found["professions"] or "").split()}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, FieldLink):
        return link_cell(value)
    return str(value)


def flatten(record: BaseModel) -> dict[str, str]:
    """One CSV row for a record."""
    row: dict[str, str] = {}
    for name in type(record).model_fields:
        value = getattr(record, name)
        if isinstance(value, Localized):
            row |= {f"{name}_{lang}": _cell(getattr(value, lang)) for lang in TEXT_LANGUAGES}
        elif isinstance(value, WordLists) or (value is None and is_wordlists(
                unwrap(type(record).model_fields[name].annotation)[0])):
            row |= {f"{name}_{lang}": SEP.join(getattr(value, lang)) if value else ""
                    for lang in LANGUAGES}
        elif isinstance(value, list):
            items = [_cell(v) for v in value]
            if any(SEP in item for item in items):
                raise KnowledgeError(f"{name}: a list item contains '{SEP}': {items}")
            row[name] = SEP.join(items)
        elif value is None and is_localized(unwrap(type(record).model_fields[name].annotation)[0]):
            row |= {f"{name}_{lang}": "" for lang in TEXT_LANGUAGES}
        else:
            row[name] = _cell(value)
    return row


def unflatten(model: type[BaseModel], row: dict[str, str]) -> dict[str, Any]:
    """Raw dict (for model validation) from a CSV row; empty cells are left out."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        tp, _ = unwrap(info.annotation)
        if is_localized(tp):
            texts = {lang: row.get(f"{name}_{lang}", "") for lang in TEXT_LANGUAGES}
            if any(texts.values()):
                data[name] = {k: v for k, v in texts.items() if v != ""}
        elif is_wordlists(tp):
            cells = {lang: row.get(f"{name}_{lang}", "") for lang in LANGUAGES}
            if any(cells.values()):
                data[name] = {k: v.split(SEP) for k, v in cells.items() if v != ""}
        elif is_list(tp):
            cell = row.get(name, "")
            items = cell.split(SEP) if cell != "" else []
            if typing.get_args(tp) == (FieldLink,):
                data[name] = [parse_link(item) for item in items]
            else:
                data[name] = items
        elif row.get(name, "") != "":
            data[name] = row[name]
    return data


def column_of(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """CSV column for a pydantic error location."""
    if not loc:
        return "(row)"
    name = str(loc[0])
    info = model.model_fields.get(name)
    if info is not None and (is_localized(tp := unwrap(info.annotation)[0]) or is_wordlists(tp)):
        lang = loc[1] if len(loc) > 1 and loc[1] in TEXT_LANGUAGES else SOURCE_LANGUAGE
        return f"{name}_{lang}"
    return name


def export_csv(kb: KnowledgeBase, outdir: Path) -> list[Path]:
    """Write one CSV per entity into `outdir`; returns the paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for entity, (_, model) in ENTITIES.items():
        path = outdir / f"{entity}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns(model))
            writer.writeheader()
            writer.writerows(flatten(r) for r in getattr(kb, entity))
        paths.append(path)
    return paths


def read_csv(path: Path) -> tuple[str, list[BaseModel], list[int]]:
    """(entity, validated records, start line of each row); errors name file, line, column."""
    entity = path.stem
    if entity not in ENTITIES:
        raise KnowledgeError(f"{path}: unknown entity '{entity}' (expected one of "
                             f"{', '.join(f'{e}.csv' for e in ENTITIES)})")
    model = ENTITIES[entity][1]
    expected = columns(model)
    errors: list[str] = []
    records: list[BaseModel] = []
    lines: list[int] = []
    try:
        fh = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read file ({exc})") from exc
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except (StopIteration, csv.Error, UnicodeDecodeError) as exc:
            raise KnowledgeError(f"{path}:1: missing or unreadable header ({exc})") from exc
        unknown = [c for c in header if c not in expected]
        missing = [c for c in expected if c not in header]
        if unknown or missing:
            problems = [f"column '{c}': unknown column" for c in unknown]
            problems += [f"column '{c}': missing column" for c in missing]
            raise KnowledgeError("\n".join(f"{path}:1: {p}" for p in problems))
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                raise KnowledgeError(f"{path}:{start}: unreadable row ({exc})") from exc
            if not any(cells):
                continue
            if len(cells) != len(header):
                errors.append(f"{path}:{start}: expected {len(header)} cells, got {len(cells)}")
                continue
            try:
                row = dict(zip(header, cells, strict=True))
                records.append(model.model_validate(unflatten(model, row)))
                lines.append(start)
            except ValidationError as exc:
                errors += [f"{path}:{start}: column '{column_of(model, e['loc'])}': {e['msg']}"
                           for e in exc.errors()]
    if errors:
        raise KnowledgeError(f"{len(errors)} problem(s) in {path}:\n" + "\n".join(errors))
    return entity, records, lines


def import_csv(path: Path, into: Path | None = None) -> Path:
    """Replace one entity's YAML in `into` with the CSV's rows, after full validation.

    Nothing is written when any row or reference is wrong."""
    entity, records, lines = read_csv(path)
    folder = Path(into or get_settings().knowledge_dir)  # validated and written: one folder
    current = load_knowledge(folder)
    parts = {e: getattr(current, e) for e in ENTITIES} | {entity: records}
    kb = KnowledgeBase(**parts)
    problems = check_integrity(kb)
    if problems:
        model = ENTITIES[entity][1]
        msgs = [
            f"{path}:{lines[p.index]}: column '{column_of(model, p.loc)}': {p.message}"
            if p.entity == entity else
            f"{ENTITIES[p.entity][0]}: record '{_record_key(kb, p.entity, p.index)}': {p.message}"
            for p in problems
        ]
        raise KnowledgeError(f"{len(msgs)} problem(s) importing {path}:\n" + "\n".join(msgs))
    target = folder / ENTITIES[entity][0]
    write_yaml(target, records, note=f"imported from {path.name}")
    return target


def _record_key(kb: KnowledgeBase, entity: str, index: int) -> str:
    return str(getattr(getattr(kb, entity)[index], id_attr(entity)))


def write_yaml(target: Path, records: list[BaseModel], note: str) -> None:
    """Atomically write records as a YAML list (temp file + rename)."""
    data = [r.model_dump(mode="json", exclude_none=True) for r in records]
    text = (f"# Vägvisaren knowledge base: {target.name} ({note}).\n"
            "# Format and CSV round trip: see knowledge/README.md\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
