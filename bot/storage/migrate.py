"""Schema upgrades with Alembic: each process runs `upgrade head` when it first opens the app
database (bot/storage/db.py), so a new column or table reaches every existing database.

The migrations are in bot/storage/migrations/versions. The first one also adopts a database
made before Alembic (by `create_all`, so without an `alembic_version` table): it creates what
is missing and keeps every row that is there. The gateway and the action server start at the
same moment, so an upgrade holds a lock: a file beside an SQLite database, an advisory lock on
PostgreSQL (released when the upgrade's transaction ends).

A new migration: change bot/storage/models.py, then
`python -c "from bot.storage.migrate import revision; revision('what changed')"` writes one
from the difference (autogenerate); read it, and name the file like the others.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
# pg_advisory_xact_lock's key: any constant that no other code on the database uses.
PG_LOCK_KEY = 7_416_160_114


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an alembic.ini: the scripts, and the connection."""
    settings = Config()
    settings.set_main_option("script_location", str(MIGRATIONS))
    settings.attributes["connection"] = connection
    return settings


def head() -> str | None:
    """The newest migration's revision id."""
    return ScriptDirectory.from_config(config()).get_current_head()


def current(engine: Engine) -> str | None:
    """The database's revision; None for an empty or a pre-Alembic database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade (or adopt) the database to `revision`, one process at a time."""
    with _sqlite_file_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        command.upgrade(config(connection), revision)


def _sqlite_file_lock(engine: Engine) -> AbstractContextManager[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return nullcontext()
    return _file_lock(Path(f"{database}.migrate-lock"))


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the newest migration
    (for developers; compared on a scratch SQLite database)."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.db")
        upgrade(engine)
        with engine.begin() as connection:
            command.revision(config(connection), message, autogenerate=True)
        engine.dispose()
