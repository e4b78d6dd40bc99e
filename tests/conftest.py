"""Every test runs with its own config and data folders: nothing reads or writes the
developer's real loadguard settings or store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadguard import settings
from loadguard.store.sql import dispose_engines
from loadguard_strava.standin import StravaStandIn
from pgserver import SKIP_ENV, PostgresServer, running_postgres
from standin_helpers import quiet_stravalib_env, running_standin


@pytest.fixture(autouse=True)
def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for name in ("LOADGUARD_SETTINGS", "LOADGUARD_DB", "LOADGUARD_PLANS"):
        monkeypatch.delenv(name, raising=False)
    settings.current.cache_clear()
    yield
    settings.current.cache_clear()


@pytest.fixture
def quiet_stravalib(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the stand-in's own tests: stravalib without environment credentials."""
    quiet_stravalib_env(monkeypatch)


@pytest.fixture
def strava() -> Iterator[StravaStandIn]:
    """A running Strava stand-in with one athlete."""
    yield from running_standin()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (see tests/pgserver.py)."""
    if os.environ.get(SKIP_ENV):
        pytest.skip(f"{SKIP_ENV} is set: the PostgreSQL runs of these tests are left out")
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new store's address, once a SQLite file and once a PostgreSQL database: the
    store, queue, scheduler and webhook tests run on both."""
    if request.param == "sqlite":
        yield str(tmp_path / "lg.sqlite")
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    yield server.new_database()
    dispose_engines()  # the test's pooled connections close with it
