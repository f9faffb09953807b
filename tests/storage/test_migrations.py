"""The app database's schema is built and upgraded by the Alembic migrations on start-up, on
SQLite and on PostgreSQL; a database of an older release keeps every row."""

from __future__ import annotations

import datetime as dt
import threading
import time
from types import ModuleType
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot import storage
from bot.admin.__main__ import cli
from bot.auth import accounts, audit
from bot.storage import migrate
from bot.storage.db import new_engine

T0 = 1_760_000_000.0


def _initial() -> ModuleType:
    """The first migration: its tables are the schema `create_all` made before Alembic."""
    module = ScriptDirectory.from_config(migrate.config()).get_revision("0001").module
    assert module is not None
    return module


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the first release, its columns, in a stable order (the
    data that must survive; later migrations add columns)."""
    with engine.connect() as connection:
        return {table.name: sorted(tuple(row) for row in connection.execute(select(table)))
                for table in _initial().metadata.sorted_tables}


def _fill(engine: Engine, tables: dict[str, Any]) -> None:
    """A row or two in each table, the way the previous release wrote them."""
    at = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with engine.begin() as connection:
        connection.execute(tables["schools"].insert(), [
            {"id": "demo-skolan", "name": "Demoskolan", "created_at": at},
            {"id": "annan-skola", "name": "Annan skola", "created_at": at}])
        connection.execute(tables["counsellors"].insert().values(
            id=1, username="anna", password_hash="$argon2id$x", school="demo-skolan",
            language="sv", role="admin", created_at=at))
        connection.execute(tables["counsellor_sessions"].insert().values(
            token_hash="a" * 64, counsellor_id=1, expires_at=T0 + 3600))
        connection.execute(tables["audit_log"].insert(), [
            {"username": "anna", "school": "demo-skolan", "conversation_id": f"c{i}",
             "action": "transcript", "at": T0 + i} for i in range(3)] + [
            {"username": "bo", "school": "annan-skola", "conversation_id": "*",
             "action": "export", "at": T0 + 10}])
        connection.execute(tables["handover_requests"].insert().values(
            conversation_id="c1", question="Kan jag prata med någon?", school="demo-skolan",
            language="sv", created_at=at))
        connection.execute(tables["signup_requests"].insert().values(
            conversation_id="c2", visit_id="industrinatten", nickname="Sam", school=None,
            language="fi", created_at=at))
        connection.execute(tables["conversation_summaries"].insert().values(
            conversation_id="c1", school="demo-skolan", language="sv", started_at=T0,
            ended_at=T0 + 60, fields="|it|", handover=True, data="{}", state="{}"))
        connection.execute(tables["summary_cursor"].insert().values(name="tracker",
                                                                    last_event_id=42))
        connection.execute(tables["aggregate_counts"].insert().values(
            school="demo-skolan", week="2026-W09", dimension="total", key="conversations",
            count=7))
        connection.execute(tables["job_runs"].insert().values(name="purge", started_at=T0,
                                                              finished_at=T0 + 1, report="{}"))


def _indexes(engine: Engine, table: str) -> set[str]:
    return {index["name"] for index in inspect(engine).get_indexes(table)}


def test_a_new_database_is_built_by_the_migrations_and_matches_the_models(db_url: str) -> None:
    engine = storage.engine(db_url)
    assert migrate.current(engine) == migrate.head()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection),
                                       storage.Base.metadata)
    assert differences == [], "models.py and the migrations disagree: add a migration"


def test_a_database_from_before_alembic_is_upgraded_with_its_rows(db_url: str) -> None:
    old = new_engine(db_url)
    _initial().metadata.create_all(old)  # what the previous release's create_all made
    _fill(old, _initial().metadata.tables)
    before = _rows(old)
    assert not inspect(old).has_table("alembic_version")
    assert "ix_audit_log_school_at" not in _indexes(old, "audit_log")
    old.dispose()

    engine = storage.engine(db_url)  # start-up

    assert migrate.current(engine) == migrate.head()
    assert "ix_audit_log_school_at" in _indexes(engine, "audit_log")
    assert _rows(engine) == before
    assert [(a.username, a.role) for a in accounts.list_counsellors(db_url)] == [("anna", "admin")]
    assert [e.conversation_id for e in audit.entries("demo-skolan", url=db_url)] == [
        "c2", "c1", "c0"]


def test_a_database_at_the_first_migration_is_upgraded_with_its_rows(db_url: str) -> None:
    old = new_engine(db_url)
    migrate.upgrade(old, "0001")
    _fill(old, _initial().metadata.tables)
    before = _rows(old)
    assert migrate.current(old) == "0001"
    assert "ix_audit_log_school_at" not in _indexes(old, "audit_log")
    old.dispose()

    engine = storage.engine(db_url)

    assert migrate.current(engine) == migrate.head() != "0001"
    assert "ix_audit_log_school_at" in _indexes(engine, "audit_log")
    assert _rows(engine) == before


def test_a_database_from_before_the_school_registry_is_completed(db_url: str) -> None:
    """The oldest release: no `role` column, no `schools` table, no school index."""
    old = new_engine(db_url)
    with old.begin() as connection:
        connection.execute(text(
            "CREATE TABLE counsellors (id INTEGER PRIMARY KEY, username VARCHAR(64) UNIQUE "
            "NOT NULL, password_hash VARCHAR(255) NOT NULL, school VARCHAR(64) NOT NULL, "
            "language VARCHAR(2) NOT NULL, created_at TIMESTAMP)"))
        connection.execute(text("INSERT INTO counsellors (id, username, password_hash, school, "
                                "language) VALUES (1, 'anna', 'x', 'demo-skolan', 'sv')"))
    old.dispose()

    engine = storage.engine(db_url)

    assert migrate.current(engine) == migrate.head()
    assert [(a.username, a.role) for a in accounts.list_counsellors(db_url)] == [
        ("anna", "counsellor")]
    with storage.session(db_url) as current:
        assert current.scalars(select(storage.School.id)).all() == ["demo-skolan"]
    assert "ix_counsellors_school" in _indexes(engine, "counsellors")


def test_processes_starting_at_once_upgrade_the_database_once(db_url: str) -> None:
    """The gateway and the action server open a new database at the same moment."""
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        engine = new_engine(db_url)
        try:
            start.wait()
            migrate.upgrade(engine)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=open_it, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "an upgrade is stuck"
    assert errors == []
    engine = new_engine(db_url)
    assert migrate.current(engine) == migrate.head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_the_migrations_are_one_line_and_go_back_down(db_url: str) -> None:
    script = ScriptDirectory.from_config(migrate.config())
    assert len(script.get_heads()) == 1, "two migrations revise the same one: merge them"
    engine = new_engine(db_url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(migrate.config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_the_settings_database_url_is_the_default(settings_db: str) -> None:
    assert storage.engine().url == make_url(settings_db)
    tables = set(inspect(storage.engine()).get_table_names())
    assert {"schools", "counsellors", "audit_log", "alembic_version"} <= tables


def test_the_admin_command_upgrades_the_settings_database(settings_db: str) -> None:
    result = CliRunner().invoke(cli, ["upgrade-db"])
    assert result.exit_code == 0, result.output
    assert result.output == f"The app database is at migration {migrate.head()}.\n"
    assert migrate.current(new_engine(settings_db)) == migrate.head()
