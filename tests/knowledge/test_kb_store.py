"""The SQLite store holds every record and link."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, text

from bot.knowledge.schema import ENTITIES, KnowledgeBase
from bot.knowledge.store import build_metadata, to_sqlite


def test_sqlite_counts_match(kb: KnowledgeBase, tmp_path: Path) -> None:
    engine = to_sqlite(kb, tmp_path / "kb.sqlite")
    meta = build_metadata()
    with engine.connect() as conn:
        for entity in ENTITIES:
            count = conn.execute(select(func.count()).select_from(meta.tables[entity])).scalar()
            assert count == len(getattr(kb, entity)), entity
        links = conn.execute(select(func.count()).select_from(meta.tables["programmes_fields"]))
        assert links.scalar() == sum(len(p.fields) for p in kb.programmes)
        row = conn.execute(text(
            "select p.name, c.name from companies c join places p on p.id = c.municipality "
            "where c.id = 'skf_goteborg'")).one()
        assert row == ("Göteborg", "SKF")


def test_in_memory_and_rebuild(kb: KnowledgeBase, tmp_path: Path) -> None:
    assert to_sqlite(kb) is not None
    path = tmp_path / "kb.sqlite"
    to_sqlite(kb, path)
    engine = to_sqlite(kb, path)  # rebuilding an existing file replaces its tables
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from places")).scalar() == len(kb.places)
