"""Fixtures: an app database on SQLite and, where its binaries are installed, on PostgreSQL;
a Redis server for the shared rate limits."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import servers

from bot import storage
from bot.settings import get_settings


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    if servers.pg_bin() is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed: "
                    "apt-get install postgresql")
    with servers.postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty app database: an SQLite file, or a database in the throwaway cluster."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = servers.new_database(request.getfixturevalue("pg_cluster"))
    yield url
    storage.engine.cache_clear()


@pytest.fixture
def settings_db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The settings name `db_url` as VAGVISAREN_DATABASE_URL: the code's default database."""
    monkeypatch.setenv("VAGVISAREN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("VAGVISAREN_DATABASE_URL", db_url)
    get_settings.cache_clear()
    storage.engine.cache_clear()
    yield db_url
    get_settings.cache_clear()
    storage.engine.cache_clear()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: apt-get install redis-server")
    with servers.redis() as url:
        yield url
