"""`loadguard overview`: every athlete of a store at a glance, as a coach's list is."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from loadguard.app import service
from loadguard.cli.main import app
from loadguard.store.db import Store


def lg(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": "80"})
    return result.exit_code, result.output


def test_overview_lists_every_athlete_reds_first_in_one_command(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    with Store(db) as store:
        anna = store.add_athlete("anna", "Anna", "heel-fat-pad", date(2026, 3, 2), "UTC")
        store.add_athlete("bo", "Bo", "heel-fat-pad", date(2026, 3, 2), "UTC")
        service.log_pain(store, anna, 8, "after", service.today(anna))
        store.add_shoe("bo", "Clifton", initial_km=815.0)
        store.add_athlete("cai", "Cai", "heel-fat-pad", service.today(anna), "UTC")
    code, shown = lg(db, "overview")
    assert code == 0
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert shown.index("Anna") < shown.index("Bo") < shown.index("Cai")
    assert "8/10" in shown
    assert "Clifton" in shown
    code, text = lg(db, "overview", "--csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["athlete"], r["light"]) for r in rows] == [
        ("anna", "red"),
        ("bo", "red"),  # a shoe past 800 km
        ("cai", "green"),  # started today: not yet quiet for 14 days
    ]


def test_overview_of_an_empty_store_says_how_to_begin(tmp_path: Path) -> None:
    code, shown = lg(tmp_path / "lg.sqlite", "overview")
    assert code == 0
    assert "loadguard athlete add" in shown
