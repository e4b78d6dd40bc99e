"""`--db` and LOADGUARD_DB: a file path, sqlite:///path or postgresql://; another
database's URL is refused by name, and nothing is made on disk for one."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadguard.cli.main import app
from pgserver import PostgresServer


def test_an_unreachable_postgresql_server_is_named_with_the_reason_and_makes_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://lg:hunter2@127.0.0.1:{port}/lg"
    for where in ({"LOADGUARD_DB": url}, {}):
        args = [] if where else ["--db", url]
        result = CliRunner().invoke(app, [*args, "overview"], env={**where, "COLUMNS": "80"})
        assert result.exit_code == 1
        said = " ".join(result.output.split())
        assert f"cannot open the database postgresql://lg:***@127.0.0.1:{port}/lg" in said
        assert "connection refused" in said.lower()
        assert "hunter2" not in said
        assert "Traceback" not in said
    assert list(tmp_path.iterdir()) == []


def test_another_database_url_is_refused_by_name() -> None:
    result = CliRunner().invoke(app, ["--db", "mysql://lg@localhost/lg", "overview"])
    assert result.exit_code == 1
    assert "mysql:// databases are not supported" in " ".join(result.output.split())


def test_the_store_runs_on_postgresql_from_the_command_line(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    add = ["athlete", "add", "anna", "--name", "Anna", "--start", "2026-11-02"]
    first = CliRunner().invoke(app, ["--db", url, *add, "--tz", "Europe/Copenhagen"])
    assert first.exit_code == 0, first.output
    listed = CliRunner().invoke(app, ["athlete", "list"], env={"LOADGUARD_DB": url})
    assert listed.exit_code == 0, listed.output
    assert "anna" in listed.output


def test_a_sqlite_url_names_the_file(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{db}", "overview"])
    assert result.exit_code == 0
    assert db.exists()
