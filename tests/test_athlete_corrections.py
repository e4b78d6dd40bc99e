"""Correcting an athlete changes what was asked and nothing else; adding one twice is
refused with a hint; a correction runs the guard again."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from clirun import lg


def listed(db: Path) -> str:
    """The athlete list's line, white space folded."""
    return " ".join(lg(db, "athlete", "list")[1].split())


def test_adding_an_existing_athlete_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    lg(
        db,
        "athlete",
        "add",
        "anna",
        "--start",
        "2026-03-02",
        "--name",
        "Anna B",
        "--tz",
        "Europe/Oslo",
    )
    code, out = lg(db, "athlete", "add", "anna", "--start", "2018-01-07")
    assert code == 1
    assert "athlete 'anna' exists" in out
    assert "loadguard athlete set anna" in out
    assert listed(db) == "anna Anna B heel-fat-pad 2026-03-02 Europe/Oslo"


def test_athlete_set_changes_one_field_only(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    lg(
        db,
        "athlete",
        "add",
        "anna",
        "--start",
        "2026-03-02",
        "--name",
        "Anna B",
        "--tz",
        "Europe/Oslo",
    )
    code, out = lg(db, "athlete", "set", "anna", "--start", "2026-03-09")
    assert code == 0, out
    assert listed(db) == "anna Anna B heel-fat-pad 2026-03-09 Europe/Oslo"
    code, _ = lg(db, "athlete", "set", "anna", "--name", "Anna Berg")
    assert listed(db) == "anna Anna Berg heel-fat-pad 2026-03-09 Europe/Oslo"


def test_athlete_set_refuses_bad_input_naming_it(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", "2026-03-02")
    assert "say what to change" in lg(db, "athlete", "set", "anna")[1]
    code, out = lg(db, "athlete", "set", "anna", "--tz", "Mars/Olympus")
    assert code == 1
    assert "'Mars/Olympus' is not a known IANA zone" in out
    code, out = lg(db, "athlete", "set", "bo", "--name", "Bo")
    assert code == 1
    assert "bo" in out


def test_a_correction_runs_the_guard_again(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", "2026-03-02")
    lg(db, "pain", "7", "--rest-day", "--date", "2026-03-05")
    before = json.loads(lg(db, "check", "--as-of", "2026-03-06", "--json")[1])
    assert [f["plan_week"] for f in before["findings"] if f["rule"] == "pain_red"] == [1]
    # the plan really started a week later: the red day now falls before it
    lg(db, "athlete", "set", "anna", "--start", "2026-03-09")
    after = json.loads(lg(db, "check", "--as-of", "2026-03-10", "--json")[1])
    assert [f for f in after["findings"] if f["rule"] == "pain_red"] == []


def pain_rows(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT day, moment, score FROM pain_entries ORDER BY id").fetchall()


def test_a_second_pain_score_for_the_same_morning_replaces_the_first(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", "2026-03-02")
    lg(db, "pain", "5", "--morning", "--date", "2026-03-05")
    code, out = lg(db, "pain", "2", "--morning", "--date", "2026-03-05")
    assert code == 0
    assert "pain 2/10 (morning, 2026-03-05) logged: green (replaces 5/10)" in out
    assert pain_rows(db) == [("2026-03-05", "morning", 2)]


def test_a_pain_entry_can_be_taken_back_and_its_finding_goes(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", "2026-03-02")
    lg(db, "pain", "7", "--rest-day", "--date", "2026-03-05")
    rules = [
        f["rule"]
        for f in json.loads(lg(db, "check", "--as-of", "2026-03-06", "--json")[1])["findings"]
    ]
    assert "pain_red" in rules
    code, out = lg(db, "pain", "--remove", "--rest-day", "--date", "2026-03-05")
    assert (code, "pain 7/10 (rest day, 2026-03-05) removed" in out) == (0, True)
    assert pain_rows(db) == []
    rules = [
        f["rule"]
        for f in json.loads(lg(db, "check", "--as-of", "2026-03-06", "--json")[1])["findings"]
    ]
    assert "pain_red" not in rules
    code, out = lg(db, "pain", "--remove", "--rest-day", "--date", "2026-03-05")
    assert code == 1
    assert "no pain logged for rest day on 2026-03-05" in out


def test_pain_needs_a_score_or_remove_but_not_both(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", "2026-03-02")
    for args in (["--morning"], ["3", "--remove", "--morning"]):
        code, out = lg(db, "pain", *args)
        assert code == 1
        assert "give a score 0-10, or --remove without one" in out
