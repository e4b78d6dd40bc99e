"""The help is written for runners: every command and option says what it does for them,
with no developer notes, and the launcher and the demo's hint give commands that work."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from loadguard.cli.main import with_plugins
from webapp import Browser, served

ROOT = Path(__file__).resolve().parents[1]
DEVELOPER_NOTES = re.compile(
    r"\bThin\b|:mod:|:func:|loadguard\.[a-z]|raw record|normalis|orchestration|\bTODO\b"
)


def commands(group: Any, path: str = "loadguard") -> Iterator[tuple[str, Any]]:
    """Every command under a typer group (typer bundles its own click, so no isinstance)."""
    group = getattr(group, "loaded", group)  # a plug-in's stand-in: its real group
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
        [
            str(ROOT / "loadguard"),
            "--db",
            "here.sqlite",
            "athlete",
            "add",
            "anna",
            "--start",
            "2026-09-07",
        ],
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


def using_it_commands() -> list[tuple[str, set[int]]]:
    """The README's "Using it" commands, each with the exit codes its comment promises
    ("exit 1", "exit 0/3/4"; none named: 0)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Using it", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    out = []
    for line in block.splitlines():
        command, _, comment = line.partition("#")
        promised = re.search(r"\bexit ([\d/]+)", comment)
        codes = {int(c) for c in promised.group(1).split("/")} if promised else {0}
        out.append((command.strip(), codes))
    return out


def test_the_readme_commands_work_as_written_after_the_demo(tmp_path: Path) -> None:
    """What a newcomer does: the demo, then each "Using it" line copied as written, in a
    fresh folder with an empty HOME (the launcher is linked in, as in a checkout)."""
    (tmp_path / "loadguard").symlink_to(ROOT / "loadguard")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOADGUARD_", "XDG_")) and k != "VIRTUAL_ENV"
    }
    env.update(HOME=str(home), COLUMNS="80")
    commands = [("./loadguard demo --folder demo-data", {0}), *using_it_commands()]
    assert len(commands) >= 6
    outputs = {}
    for command, promised in commands:
        done = subprocess.run(
            command,
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode in promised, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, command
        outputs[command] = done.stdout
    assert (home / ".local" / "share" / "loadguard" / "loadguard.sqlite").exists()
    demo = outputs["./loadguard demo --folder demo-data"]
    hint = demo.split("Try:\n", 1)[1].strip().splitlines()[0].strip()
    assert hint == "./loadguard --db demo-data/loadguard.sqlite check --json"
    browser_lines = demo.split("Or see it in the browser", 1)[1].splitlines()
    assert browser_lines[1].strip() == "./loadguard --db demo-data/loadguard.sqlite serve"
    login = re.search(r"log in as (\S+) with the password (\S+)", demo)
    assert login is not None
    page = re.search(r"open http://127\.0\.0\.1:8080(/a/demo/\?as_of=\S+)", demo)
    assert page is not None
    with served(tmp_path / "demo-data" / "loadguard.sqlite") as server:
        browser = Browser(server.url)
        assert browser.login(login[1], login[2]).status_code == 200
        today = browser.open(page[1])
        assert 'data-status="red"' in today.text  # the season ends red, as `check` says
    done = subprocess.run(hint, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 4  # the demo's season is red
    assert json.loads(done.stdout)["athlete"] == "demo"
    (as_json,) = (out for command, out in outputs.items() if command.endswith("--json"))
    assert json.loads(as_json)["athlete"] == "anna"
    assert "unfinished-sync.fit" in next(o for c, o in outputs.items() if " import " in c)
