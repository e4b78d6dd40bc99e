"""Running the `loadguard` command in-process on a database, as the CLI tests do."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from loadguard.cli.main import app


def lg(db: Path, *args: str, columns: int = 200) -> tuple[int, str]:
    """Exit code and output of ``loadguard --db DB ARGS...`` (wide, so no line is broken)."""
    result = CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": str(columns)})
    return result.exit_code, result.output
