"""The command line end to end: the demo in a real process, and every command a user types."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from clirun import lg
from fitdata import path_of
from loadguard.cli.main import app

RUN = "activity-small-fenix2-run.fit"  # 9.0 km on 2015-08-15, a Fenix 2 run with GPS


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "lg.sqlite"


def test_the_demo_runs_end_to_end_in_a_real_process(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("loadguard")
    env = {**os.environ, "COLUMNS": "120"}
    done = subprocess.run(
        [str(exe), "demo", "--folder", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "imported 30 FIT files" in out
    assert "unfinished-sync.fit" in out
    assert "truncated" in out
    for rule in ("weekly_volume_cap", "surface_phase", "session_duration", "interval_structure"):
        assert rule in out
    assert "RED" in out
    fit_files = list((tmp_path / "demo" / "GARMIN" / "Activity").glob("*.fit"))
    assert len(fit_files) == 31

    db = tmp_path / "demo" / "loadguard.sqlite"
    code, text = lg(db, "check", "--as-of", "2026-11-15", "--json")
    assert code == 4
    report = json.loads(text)
    assert report["plan"] == {
        "id": "heel-fat-pad",
        "week": 10,
        "stage": "continuous running",
        "stage_week": 10,
        "stage_reason": "on plan",
    }
    assert [w["plan_week"] for w in report["weeks"]] == list(range(1, 11))
    assert {s["name"]: s["status"] for s in report["shoes"]} == {
        "Daily trainer": "retire",
        "Racing flat": "ok",
    }
    wk9 = report["weeks"][8]
    assert wk9["cap_km"] == pytest.approx(wk9["run_km"] / 1.4 * 1.1, rel=0.02)


def test_check_json_has_the_documented_shape(db: Path) -> None:
    assert lg(db, "athlete", "add", "anna", "--start", "2015-08-10", "--tz", "Europe/Oslo")[0] == 0
    assert (
        lg(db, "shoe", "add", "Trainer", "--initial-km", "100", "--default-from", "2015-01-01")[0]
        == 0
    )
    code, _ = lg(db, "import", str(path_of(RUN)))
    assert code == 0
    code, text = lg(db, "check", "--as-of", "2015-08-16", "--json")
    assert code in (0, 3, 4)
    report = json.loads(text)
    assert set(report) >= {"athlete", "as_of", "plan", "status", "weeks", "shoes", "findings"}
    assert report["status"] in {"green", "yellow", "red"}
    week = report["weeks"][-1]
    assert set(week) >= {
        "week_start",
        "plan_week",
        "run_km",
        "run_min",
        "change_pct",
        "cap_km",
        "surface_km",
    }
    assert sum(w["run_km"] for w in report["weeks"]) > 0
    assert report["shoes"][0]["km"] > 100
    for f in report["findings"]:
        assert set(f) >= {
            "rule",
            "severity",
            "date",
            "plan_week",
            "value",
            "limit",
            "message",
            "evidence",
        }
        assert f["evidence"] in {"plan", "study", "convention"}


def test_a_human_check_shows_the_light_the_week_and_the_shoes(db: Path) -> None:
    lg(db, "athlete", "add", "anna", "--start", "2015-08-10")
    lg(db, "shoe", "add", "Trainer", "--initial-km", "795", "--default-from", "2015-01-01")
    lg(db, "import", str(path_of(RUN)))
    code, out = lg(db, "check", "--as-of", "2015-08-16")
    assert code == 4  # the shoe passed 800 km
    assert "plan week 1" in out
    assert "Trainer" in out
    assert "retire" in out


def test_import_lists_failures_and_exits_1(db: Path, tmp_path: Path) -> None:
    lg(db, "athlete", "add", "anna", "--start", "2015-08-10")
    (tmp_path / "notes.fit").write_text("not a fit file")
    shutil.copy(path_of(RUN), tmp_path / "run.fit")
    code, out = lg(db, "import", str(tmp_path))
    assert code == 1
    assert "1 new" in out
    assert "1 failed" in out
    assert "notes.fit" in out
    code, out = lg(db, "failures")
    assert code == 0
    assert "notes.fit" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["athlete", "add", "x", "--start", "next week"], "is not a date"),
        (
            ["athlete", "add", "x", "--start", "2026-01-05", "--tz", "Mars/Olympus"],
            "not a known IANA",
        ),
        (["athlete", "add", "x", "--start", "2026-01-05", "--plan", "knee"], "no plan 'knee'"),
        (["check"], "no athlete yet"),
        (["import", "/nonexistent/watch"], "no athlete yet"),
    ],
)
def test_bad_input_gets_a_clear_error_naming_it(db: Path, args: list[str], message: str) -> None:
    code, out = lg(db, *args)
    assert code == 1
    assert message in out


def test_shoes_are_added_listed_assigned_and_retired(db: Path) -> None:
    lg(db, "athlete", "add", "anna", "--start", "2015-08-10")
    lg(db, "import", str(path_of(RUN)))
    assert lg(db, "shoe", "add", "Flat", "--stack", "18", "--drop", "4", "--minimalist")[0] == 0
    code, out = lg(db, "shoe", "add", "Flat")
    assert code == 1
    assert "already has a shoe named 'Flat'" in out
    code, out = lg(db, "shoe", "add", "Odd", "--stack", "90")
    assert code == 1
    assert "outside 0-60 mm" in out
    code, out = lg(db, "runs")
    run_id = next(line.split()[1] for line in out.splitlines() if "2015-08-15" in line)
    assert lg(db, "shoe", "assign", run_id, "Flat")[0] == 0
    code, out = lg(db, "check", "--as-of", "2015-08-16", "--json")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert "shoe_profile" in rules
    assert lg(db, "shoe", "retire", "Flat", "--on", "2015-08-20")[0] == 0
    code, out = lg(db, "shoe", "list", "--as-of", "2015-08-21")
    assert "retired" in out
    code, out = lg(db, "shoe", "assign", "99999", "Flat")
    assert code == 1
    assert "no run 99999" in out


def test_a_file_that_is_not_a_database_is_named_not_a_traceback(tmp_path: Path) -> None:
    not_db = tmp_path / "notes.txt"
    not_db.write_text("shopping list\n" * 200)
    code, out = lg(not_db, "athlete", "list")
    assert code == 1
    assert "cannot open the database" in out
    assert "notes.txt" in out


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[store]\npath = 3\n", "store.path"),
        ("[athlete]\ntimezone = 'UTC'\ncolour = 'red'\n", "athlete.colour"),
        ("[store\n", "not valid TOML"),
    ],
)
def test_a_wrong_settings_file_gets_an_error_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, named: str
) -> None:
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text(text)
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(settings_file))
    result = CliRunner().invoke(app, ["athlete", "list"])
    assert result.exit_code == 1
    assert named in result.output
    assert "settings.toml" in result.output


def test_the_settings_file_chooses_the_store_and_the_default_time_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file = tmp_path / "settings.toml"
    db = tmp_path / "from-settings.sqlite"
    settings_file.write_text(f"[store]\npath = '{db}'\n[athlete]\ntimezone = 'Europe/Paris'\n")
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(settings_file))
    result = CliRunner().invoke(app, ["athlete", "add", "anna", "--start", "2026-01-05"])
    assert result.exit_code == 0
    assert "Europe/Paris" in result.output
    assert db.exists()


def test_serve_answers_health_and_webhook_routes_in_a_real_process(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("loadguard")
    proc = subprocess.Popen(
        [str(exe), "--db", str(tmp_path / "lg.sqlite"), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split("serving on ", 1)[1].split(" ", 1)[0]
        health = requests.get(f"{url}/health", timeout=5)
        assert health.status_code == 200
        assert "strava" in health.json()["webhooks"]
        unknown = requests.post(f"{url}/webhooks/nowhere", data=b"{}", timeout=5)
        assert unknown.status_code == 404
        bad = requests.post(f"{url}/webhooks/strava", data=b"[]", timeout=5)
        assert bad.status_code == 400
    finally:
        proc.terminate()
        proc.wait(timeout=10)
