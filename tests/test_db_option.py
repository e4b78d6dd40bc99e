"""`--db` and LOADGUARD_DB: a file path or sqlite:///path; another database's URL is
refused by name, and nothing is made on disk for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadguard.cli.main import app


def test_a_postgresql_url_is_refused_by_name_and_makes_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for where in ({"LOADGUARD_DB": "postgresql://lg@localhost/lg"}, {}):
        args = [] if where else ["--db", "postgresql+psycopg://lg@localhost/lg"]
        result = CliRunner().invoke(app, [*args, "overview"], env={**where, "COLUMNS": "80"})
        assert result.exit_code == 1
        assert "postgresql" in result.output
        assert "are not supported by this version" in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []


def test_a_sqlite_url_names_the_file(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{db}", "overview"])
    assert result.exit_code == 0
    assert db.exists()
