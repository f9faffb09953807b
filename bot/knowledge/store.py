"""Load a KnowledgeBase into SQLite (file or in-memory) for ad-hoc SQL and reporting.

One table per entity, localized text flattened to `<name>_<lang>` columns (as in the CSV
export), and one link table per list attribute: `<entity>_<attribute>(owner_id, position,
value)`, e.g. `programmes_fields` or `places_aliases`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
)

from bot.knowledge.csv_io import LOC_LANGS, is_list, is_localized, unwrap
from bot.knowledge.integrity import REFERENCES
from bot.knowledge.schema import ENTITIES, KnowledgeBase, Localized, id_attr

SQL_TYPES: dict[Any, Any] = {float: Float, int: Integer, bool: Boolean, dt.date: Date}


def build_metadata() -> MetaData:
    """Tables for every entity and list attribute, derived from the schema."""
    meta = MetaData()
    for entity, (_, model) in ENTITIES.items():
        key = id_attr(entity)
        cols: list[Column[Any]] = []
        for name, info in model.model_fields.items():
            tp, _ = unwrap(info.annotation)
            if is_localized(tp):
                cols += [Column(f"{name}_{lang}", String) for lang in LOC_LANGS]
            elif is_list(tp):
                target = REFERENCES.get((entity, name))
                value = Column("value", String, ForeignKey(f"{target}.id")) if target else \
                    Column("value", String)
                Table(f"{entity}_{name}", meta,
                      Column("owner_id", String, ForeignKey(f"{entity}.{key}"), primary_key=True),
                      Column("position", Integer, primary_key=True), value)
            else:
                target = REFERENCES.get((entity, name))
                fk = [ForeignKey(f"{target}.id")] if target else []
                cols.append(Column(name, SQL_TYPES.get(tp, String), *fk, primary_key=name == key))
        Table(entity, meta, *cols)
    return meta


def _split(record: BaseModel) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """(scalar columns, list attributes) of one record."""
    row: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    for name in type(record).model_fields:
        value = getattr(record, name)
        if isinstance(value, list):
            lists[name] = value
        elif isinstance(value, Localized) or (value is None and is_localized(
                unwrap(type(record).model_fields[name].annotation)[0])):
            row |= {f"{name}_{lang}": getattr(value, lang, None) for lang in LOC_LANGS}
        else:
            row[name] = value
    return row, lists


def to_sqlite(kb: KnowledgeBase, path: Path | None = None) -> Engine:
    """Engine for a fresh SQLite database holding `kb` (in memory when `path` is None)."""
    engine = create_engine(f"sqlite:///{path}" if path else "sqlite://")
    meta = build_metadata()
    meta.drop_all(engine)
    meta.create_all(engine)
    with engine.begin() as conn:
        for entity in ENTITIES:
            key = id_attr(entity)
            rows, links = [], {}
            for record in getattr(kb, entity):
                row, lists = _split(record)
                rows.append(row)
                for attr, values in lists.items():
                    links.setdefault(attr, []).extend(
                        {"owner_id": row[key], "position": i, "value": str(v)}
                        for i, v in enumerate(values))
            if rows:
                conn.execute(insert(meta.tables[entity]), rows)
            for attr, link_rows in links.items():
                if link_rows:
                    conn.execute(insert(meta.tables[f"{entity}_{attr}"]), link_rows)
    return engine
