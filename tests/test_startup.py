"""A command loads only what it uses: the help and the commands that only read or write
the store start without polars, numpy or any plug-in; a plug-in is found through its
entry point and imported when one of its commands runs. (The time itself is measured by
bench/bench_cli.py, never here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadguard.cli.main import with_plugins
from loadguard.sources import registry

# pydantic: typer 0.29 coerced every option through it, and the settings file was read
# with it (0.1 s each); cryptography loads when a secret is sealed or opened.
HEAVY = (
    "polars",
    "numpy",
    "loadguard_strava",
    "stravalib",
    "shapely",
    "pydantic",
    "pydantic_extra_types",
    "cryptography",
)

# Runs one command in a fresh interpreter and prints the top-level modules it imported.
PROBE = """
import json, sys
from loadguard.cli.main import main
sys.argv = ["loadguard", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def imported(*args: str, cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        with_plugins(), ["--db", str(db), "athlete", "add", "anna", "--start", "2026-09-07"]
    )
    assert result.exit_code == 0, result.output
    return db


def test_the_help_starts_without_polars_numpy_or_the_strava_plugin(tmp_path: Path) -> None:
    assert not imported("--help", cwd=tmp_path) & set(HEAVY)


@pytest.mark.parametrize(
    "command", [["athlete", "list"], ["alerts", "list"], ["failures"], ["runs", "--help"]]
)
def test_a_command_that_only_reads_the_store_starts_without_polars(
    store: Path, command: list[str]
) -> None:
    assert not imported("--db", str(store), *command, cwd=store.parent) & set(HEAVY)


def test_check_loads_polars_but_not_numpy_or_the_strava_plugin(store: Path) -> None:
    run = (
        Path(__file__).parents[2] / "shared/data/fit/python-fitparse/activity-small-fenix2-run.fit"
    )
    done = CliRunner().invoke(with_plugins(), ["--db", str(store), "import", str(run)])
    assert done.exit_code in (0, 3, 4), done.output
    loaded = imported("--db", str(store), "check", "--as-of", "2014-03-01", cwd=store.parent)
    assert ("polars" in loaded, "numpy" in loaded, "loadguard_strava" in loaded) == (
        True,
        False,
        False,
    )


@pytest.mark.parametrize("command", [["check"], ["shoe", "list"]])
def test_a_check_asked_again_with_nothing_changed_starts_without_polars(
    store: Path, command: list[str]
) -> None:
    run = (
        Path(__file__).parents[2] / "shared/data/fit/python-fitparse/activity-small-fenix2-run.fit"
    )
    CliRunner().invoke(with_plugins(), ["--db", str(store), "import", str(run)])
    asked = ["--db", str(store), *command, "--as-of", "2014-03-01"]
    assert "polars" in imported(*asked, cwd=store.parent)  # the guard makes the report
    assert not imported(*asked, cwd=store.parent) & set(HEAVY)  # the kept one is shown


def test_a_strava_command_loads_the_plugin(store: Path) -> None:
    assert "loadguard_strava" in imported("--db", str(store), "strava", "--help", cwd=store.parent)


def test_the_help_lists_the_strava_group_with_its_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(with_plugins(), ["--help"], env={"COLUMNS": "200"})
    assert "strava  Your runs from Strava: connect your account" in result.output


def test_the_help_lists_the_commands_under_their_headings(tmp_path: Path) -> None:
    result = CliRunner().invoke(with_plugins(), ["--help"], env={"COLUMNS": "80"})
    headings = [line for line in result.output.splitlines() if line.endswith(":")]
    assert headings == [
        "Options:",
        "Getting started:",
        "Runs and shoes:",
        "Pain and symptoms:",
        "Alerts and keeping watch:",
        "Surfaces:",
        "More sources of runs:",
    ]


@pytest.fixture
def broken_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real entry point, as a broken install would leave it, next to the installed ones."""
    original = registry._entry_points
    broken = EntryPoint("broken", "loadguard_no_such_module:app", registry.CLI)

    def with_broken(group: str = registry.GROUP) -> dict[str, EntryPoint]:
        found = original(group)
        return {**found, "broken": broken} if group == registry.CLI else found

    monkeypatch.setattr(registry, "_entry_points", with_broken)


def test_a_broken_plugin_fails_only_its_own_commands(broken_plugin: None, tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(with_plugins(), ["--help"], env={"COLUMNS": "120"})
    used = runner.invoke(with_plugins(), ["--db", str(tmp_path / "x.sqlite"), "broken", "go"])
    assert (listed.exit_code, "broken" in listed.output, used.exit_code) == (0, True, 1)


def test_a_broken_plugin_names_itself_and_the_reason(broken_plugin: None, tmp_path: Path) -> None:
    used = CliRunner().invoke(with_plugins(), ["--db", str(tmp_path / "x.sqlite"), "broken"])
    assert "command group 'broken' (loadguard_no_such_module:app) failed to load" in used.output
