"""The help is written for runners: every command and option says what it does for them,
with no developer notes, and the launcher and the demo's hint give commands that work."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from loadguard.cli.main import with_plugins

ROOT = Path(__file__).resolve().parents[1]
DEVELOPER_NOTES = re.compile(
    r"\bThin\b|:mod:|:func:|loadguard\.[a-z]|raw record|normalis|orchestration|\bTODO\b"
)


def commands(group: Any, path: str = "loadguard") -> Iterator[tuple[str, Any]]:
    """Every command under a typer group (typer bundles its own click, so no isinstance)."""
    yield path, group
    for name, sub in getattr(group, "commands", {}).items():
        yield from commands(sub, f"{path} {name}")


def texts(command: Any) -> Iterator[tuple[str, str]]:
    yield "help", command.help or ""
    for param in command.params:
        if param.name != "help":
            yield param.name or "?", getattr(param, "help", None) or ""


def test_developer_notes_are_caught() -> None:
    assert DEVELOPER_NOTES.search("Thin: parses, calls :mod:`loadguard.app.service`, prints.")
    assert not DEVELOPER_NOTES.search("Where you stand in your plan and what to change.")


def test_every_command_and_option_is_explained_without_developer_notes() -> None:
    tree = typer.main.get_command(with_plugins())
    seen = 0
    for path, command in commands(tree):
        for name, text in texts(command):
            assert text.strip(), f"`{path}` {name} has no help"
            assert not DEVELOPER_NOTES.search(text), f"`{path}` {name}: {text!r}"
            seen += 1
    assert seen > 100  # every command of the core and the Strava plug-in was read


def test_the_launcher_runs_loadguard_from_any_folder(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [str(ROOT / "loadguard"), "--db", "here.sqlite", "athlete", "add", "anna", "--start", "2026-09-07"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "athlete anna: plan heel-fat-pad from 2026-09-07" in done.stdout
    assert (tmp_path / "here.sqlite").exists()  # paths are the caller's, not the checkout's
