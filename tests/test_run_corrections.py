"""A runner corrects a run through the CLI (delete, restore, relabel, tag, re-shoe); each
correction reruns the guard, so a finding that no longer holds leaves `check` and its
unsent alert is cancelled, and nothing stored is lost."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clirun import lg
from loadguard import settings
from receivers import Receiver, drop_fit, paved_run, receiver

TODAY = datetime.now(UTC).date()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture
def anna(tmp_path: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    """anna in plan week 3 (hard ground too early), alerts held by quiet hours all day, and
    one run from her watch on the street (a real FIT file) imported yesterday."""
    conf = tmp_path / "settings.toml"
    conf.write_text(
        f'[alerts.anna]\nchannels = ["json://127.0.0.1:{hook.port}/a"]\n'
        'quiet_hours = "00:00-23:59"\n'
    )
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    db = tmp_path / "lg.sqlite"
    start = (TODAY - timedelta(days=16)).isoformat()
    assert lg(db, "athlete", "add", "anna", "--start", start, "--tz", "UTC")[0] == 0
    yesterday = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    drop_fit(paved_run(yesterday - timedelta(days=1)), tmp_path / "watch", tmp_path / "stage")
    code, out = lg(db, "import", str(tmp_path / "watch"))
    assert code == 0, out
    return db


def report(db: Path) -> dict[str, object]:
    code, out = lg(db, "check", "--json")
    assert code in (0, 3, 4), out
    parsed: dict[str, object] = json.loads(out)
    return parsed


def rules(db: Path) -> list[str]:
    findings = report(db)["findings"]
    assert isinstance(findings, list)
    return sorted(f["rule"] for f in findings)


def run_ids(db: Path) -> list[int]:
    runs = report(db)["runs"]
    assert isinstance(runs, list)
    return [int(r["id"]) for r in runs]


def send_states(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT status FROM sends ORDER BY id")]


def test_deleting_a_paved_run_in_week_3_clears_its_finding_and_cancels_its_alert(
    anna: Path, tmp_path: Path
) -> None:
    (run,) = run_ids(anna)
    assert "surface_phase" in rules(anna)
    assert send_states(anna) == ["pending"]  # held by quiet hours

    code, out = lg(anna, "run", "delete", str(run))
    assert code == 0, out
    assert f"run {run} deleted" in out
    assert f"loadguard run restore {run}" in out
    assert "GREEN" in out
    assert "surface_phase" not in rules(anna)
    assert run_ids(anna) == []
    assert send_states(anna) == ["cancelled"]

    code, out = lg(anna, "import", str(tmp_path / "watch"))  # the file is still there
    assert code == 0
    assert run_ids(anna) == []

    code, out = lg(anna, "runs", "--deleted")
    assert str(run) in out
    assert "deleted" in out
    assert f"run restore {run}" in out

    code, out = lg(anna, "run", "restore", str(run))
    assert code == 0
    assert "restored" in out
    assert run_ids(anna) == [run]
    assert "surface_phase" in rules(anna)
    assert lg(anna, "runs", "--deleted")[1].strip() == "No deleted or relabelled runs."


def test_a_run_relabelled_as_a_walk_counts_as_walking_and_the_label_can_be_taken_back(
    anna: Path,
) -> None:
    (run,) = run_ids(anna)
    code, out = lg(anna, "run", "label", str(run), "walk")
    assert code == 0, out
    assert "now counts as walk" in out
    assert run_ids(anna) == []
    assert "surface_phase" not in rules(anna)
    weeks = report(anna)["weeks"]
    assert isinstance(weeks, list)
    assert sum(w["walk_km"] for w in weeks) > 1.0

    assert "walk" in lg(anna, "runs", "--deleted")[1]
    code, out = lg(anna, "run", "label", str(run), "--clear")
    assert code == 0
    assert run_ids(anna) == [run]


def test_a_run_that_was_not_mine_counts_nowhere(anna: Path) -> None:
    (run,) = run_ids(anna)
    assert lg(anna, "run", "label", str(run), "not-mine")[0] == 0
    weeks = report(anna)["weeks"]
    assert isinstance(weeks, list)
    assert run_ids(anna) == []
    assert sum(w["walk_km"] for w in weeks) == 0


def test_tagging_a_watch_run_as_grass_makes_it_soft_ground_and_survives_a_rebuild(
    anna: Path,
) -> None:
    (run,) = run_ids(anna)
    code, out = lg(anna, "run", "tag", str(run), "grass")
    assert code == 0, out
    assert "tagged #grass" in out
    assert "surface_phase" not in rules(anna)
    assert "grass" in lg(anna, "runs")[1]

    assert lg(anna, "rebuild")[0] == 0
    assert "surface_phase" not in rules(anna)

    code, out = lg(anna, "run", "tag", str(run), "#grass", "asphalt")  # split evenly
    runs = report(anna)["runs"]
    assert isinstance(runs, list)
    surface = runs[0]["surface_km"]
    assert surface["grass"] == pytest.approx(surface["paved"])
    assert surface["grass"] > 0

    assert lg(anna, "run", "tag", str(run), "--clear")[0] == 0
    assert "surface_phase" in rules(anna)


def test_tags_the_shell_swallowed_or_a_word_it_does_not_know_are_refused(anna: Path) -> None:
    (run,) = run_ids(anna)
    code, out = lg(anna, "run", "tag", str(run))  # `run tag 1 #grass`: bash drops "#grass"
    assert code == 1
    assert "without '#'" in out
    assert "comment" in out
    code, out = lg(anna, "run", "tag", str(run), "sand")
    assert code == 1
    assert "surface 'sand' is not one of" in out
    assert "surface_phase" in rules(anna)  # nothing changed


def test_a_run_gets_another_shoe_and_a_wrong_run_or_shoe_is_named(anna: Path) -> None:
    (run,) = run_ids(anna)
    assert lg(anna, "shoe", "add", "Trail shoe")[0] == 0
    code, out = lg(anna, "run", "shoe", str(run), "Trail shoe")
    assert code == 0, out
    assert "shoe 'Trail shoe'" in out
    assert "Trail shoe" in lg(anna, "runs")[1]

    code, out = lg(anna, "run", "shoe", str(run + 99), "Trail shoe")
    assert code == 1
    assert f"no run {run + 99}" in out
    code, out = lg(anna, "run", "shoe", str(run), "Hoka")
    assert code == 1
    assert "Hoka" in out
    code, out = lg(anna, "run", "delete", str(run + 99))
    assert code == 1
    assert "loadguard runs" in out
    code, out = lg(anna, "run", "label", str(run), "swim")
    assert code == 1
    assert "label 'swim' is not one of" in out


def test_a_run_without_gps_on_unknown_ground_names_the_tag_command_that_fixes_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "bo", "--start", (TODAY - timedelta(days=9)).isoformat())
    start = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    plain = dataclasses.replace(paved_run(start - timedelta(days=1)), sub_sport="generic")
    drop_fit(plain, tmp_path / "watch", tmp_path / "stage")
    assert lg(db, "import", str(tmp_path / "watch"))[0] == 0
    findings = report(db)["findings"]
    assert isinstance(findings, list)
    (unknown,) = [f for f in findings if f["rule"] == "surface_unknown"]
    command = unknown["message"].split("`")[1]
    assert command.startswith("loadguard run tag ")
    code, out = lg(db, *command.split()[1:])  # as the runner copies it
    assert code == 0, out
    assert "surface_unknown" not in rules(db)
