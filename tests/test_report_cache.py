"""A report is kept until the athlete's data changes: asked again, it is the same report;
after any write the guard reads (a run, its surfaces, a correction, a shoe, pain, a
symptom, a condition, the plan's start), it is made again."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from loadguard.app import checking, service
from loadguard.store.db import Store
from webapp import A_RUN

DAY = date(2015, 8, 15)


def fresh(db: Path) -> None:
    with Store(db) as store:
        athlete = store.add_athlete("anna", "Anna", "heel-fat-pad", date(2015, 6, 22), "UTC")
        service.import_from(store, athlete, str(A_RUN))


def test_asking_again_without_a_change_gives_the_kept_report(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    fresh(db)
    with Store(db) as store:
        athlete = store.athlete("anna")
        first = service.check(store, athlete, DAY)
        assert service.check(store, athlete, DAY) is first
        assert service.check(store, athlete, date(2015, 8, 16)) is not first
    with Store(db) as other_connection:
        assert service.check(other_connection, athlete, DAY) is first


WRITES: dict[str, Callable[[sqlite3.Connection], object]] = {
    "pain": lambda c: c.execute(
        "INSERT INTO pain_entries (athlete_id, day, moment, score, source, created_at)"
        " VALUES ('anna', '2015-08-15', 'after', 7, 'log', 'now')"
    ),
    "symptom": lambda c: c.execute(
        "INSERT INTO symptoms (athlete_id, day, kind, note, created_at)"
        " VALUES ('anna', '2015-08-15', 'numbness', '', 'now')"
    ),
    "condition": lambda c: c.execute(
        "INSERT INTO conditions (athlete_id, condition) VALUES ('anna', 'diabetes')"
    ),
    "shoe": lambda c: c.execute(
        "INSERT INTO shoes (athlete_id, name, initial_km, created_at)"
        " VALUES ('anna', 'Old', 900, 'now')"
    ),
    "surfaces": lambda c: c.execute("UPDATE activity_surfaces SET paved_m = paved_m + 1000"),
    "correction": lambda c: c.execute(
        "INSERT INTO run_corrections (athlete_id, source, source_id, label, updated_at)"
        " SELECT athlete_id, source, source_id, 'walk', 'now' FROM activities"
    ),
    "run deleted": lambda c: c.execute("DELETE FROM activities"),
    "plan start": lambda c: c.execute(
        "UPDATE athletes SET plan_start = '2015-08-03' WHERE id = 'anna'"
    ),
}


@pytest.mark.parametrize("what", sorted(WRITES))
def test_any_write_the_guard_reads_makes_the_report_again(tmp_path: Path, what: str) -> None:
    db = tmp_path / "lg.sqlite"
    fresh(db)
    with Store(db) as store:
        athlete = store.athlete("anna")
        before = service.check(store, athlete, DAY)
        with sqlite3.connect(db) as conn:  # another connection, as another process would
            WRITES[what](conn)
        athlete = store.athlete("anna")
        after = service.check(store, athlete, DAY)
    assert after is not before
    assert after.as_dict() != before.as_dict()


def test_a_new_database_at_the_same_path_is_not_mistaken_for_the_old(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    fresh(db)
    with Store(db) as store:
        old = service.check(store, store.athlete("anna"), DAY)
    db.unlink()
    with Store(db) as store:
        athlete = store.add_athlete("anna", "Anna", "heel-fat-pad", date(2015, 6, 22), "UTC")
        new = service.check(store, athlete, DAY)
    assert new is not old
    assert new.runs == []
    assert old.runs != []


def test_pages_asking_at_once_after_a_change_share_one_guard_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A charts page asks for four charts at once; after a change they wait for one
    guard pass rather than making four (each its own thread and connection, as in serve)."""
    db = tmp_path / "lg.sqlite"
    fresh(db)
    passes: list[int] = []
    guard_pass = checking._check
    started = threading.Barrier(4)

    def counted(*args: Any) -> Any:
        passes.append(1)
        return guard_pass(*args)

    monkeypatch.setattr(checking, "_check", counted)
    service.forget_reports()
    reports: list[object] = []

    def page() -> None:
        with Store(db) as store:
            athlete = store.athlete("anna")
            started.wait()
            reports.append(service.check(store, athlete, DAY))

    threads = [threading.Thread(target=page) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 4
    assert all(r is reports[0] for r in reports)
    assert len(passes) == 1
