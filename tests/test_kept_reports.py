"""A report kept on disk: asked again by another process with nothing changed, it is
the report the guard makes, shown without a guard pass; anything it was made from that
changes (the athlete's data or record, the plan, the day, the view, the code) makes it
again, and a damaged file is only a miss."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clirun import lg
from loadguard.app import checking, kept, service
from loadguard.guard.plan import default_plans_dir
from loadguard.store import export, kept_reports, snapshot
from loadguard.store.db import Store
from webapp import A_RUN

DAY = date(2015, 8, 15)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "lg.sqlite"
    with Store(path) as store:
        athlete = store.add_athlete("anna", "Anna", "heel-fat-pad", date(2015, 6, 22), "UTC")
        service.import_from(store, athlete, str(A_RUN))
        store.add_shoe("anna", "Daily", initial_km=790)
    return path


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the guard passes; each test starts as a new process would (nothing kept in
    it), with the reports on disk read."""
    made: list[int] = []
    guard_pass = checking._check

    def counted(*args: Any) -> Any:
        made.append(1)
        return guard_pass(*args)

    monkeypatch.setattr(checking, "_check", counted)
    monkeypatch.setattr(kept_reports, "_forgotten_ns", 0)
    kept.forget()
    return made


def check_as_a_new_process(db: Path, day: date = DAY, **how: Any) -> Any:
    kept.forget()  # what this process kept is gone; the disk's is not
    with Store(db) as store:
        return checking.check(store, store.athlete("anna"), day, **how)


def test_a_report_asked_again_in_a_new_process_is_the_one_made_without_a_guard_pass(
    db: Path, passes: list[int]
) -> None:
    made = check_as_a_new_process(db)
    again = check_as_a_new_process(db)
    assert passes == [1]
    assert again is not made
    assert again == made
    assert again.as_dict() == made.as_dict()
    assert [s["status"] for s in again.shoes] == ["worn"]  # 790 km and the run's
    (file,) = (db.parent / "lg.sqlite.reports").glob("*.msgpack")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600  # pain and runs: the runner's alone


def test_the_terminal_shows_the_kept_report_as_it_showed_the_made_one(
    db: Path, passes: list[int]
) -> None:
    first = lg(db, "check", "--as-of", DAY.isoformat(), columns=80)
    kept.forget()
    second = lg(db, "check", "--as-of", DAY.isoformat(), columns=80)
    assert passes == [1]
    assert second == first
    assert "Daily" in second[1]


CHANGES: dict[str, Callable[[Store], object]] = {
    "a pain entry": lambda s: service.log_pain(s, s.athlete("anna"), 7, "after", DAY),
    "a shoe retired": lambda s: s.retire_shoe("anna", "Daily", DAY),
    "the runner's language": lambda s: s.add_athlete(
        "anna", "Anna", "heel-fat-pad", date(2015, 6, 22), "UTC", language="da"
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_to_the_athlete_makes_the_report_again(
    db: Path, passes: list[int], change: str
) -> None:
    before = check_as_a_new_process(db)
    with Store(db) as store:
        CHANGES[change](store)
    passes.clear()
    after = check_as_a_new_process(db)
    assert passes == [1]
    assert after.as_dict() != before.as_dict() or after.athlete != before.athlete


def test_another_day_or_view_is_made_not_taken_from_the_kept_one(
    db: Path, passes: list[int]
) -> None:
    check_as_a_new_process(db)
    later = check_as_a_new_process(db, date(2015, 9, 30))
    hidden = check_as_a_new_process(db, hide=frozenset({"fit"}))
    assert passes == [1, 1, 1]
    assert later.as_of == date(2015, 9, 30)
    assert hidden.runs == []


def test_a_changed_plan_file_makes_the_report_again(
    db: Path, passes: list[int], tmp_path: Path
) -> None:
    plans = tmp_path / "plans"
    shutil.copytree(default_plans_dir(), plans)
    assert check_as_a_new_process(db, plans_dir=plans).shoes[0]["status"] == "worn"
    plan = plans / "heel-fat-pad.toml"
    plan.write_text(plan.read_text().replace("retire_km = 800", "retire_km = 780"))
    after = check_as_a_new_process(db, plans_dir=plans)
    assert passes == [1, 1]
    assert after.shoes[0]["status"] == "retire"


def test_new_code_makes_the_report_again(
    db: Path, passes: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    check_as_a_new_process(db)
    monkeypatch.setattr(kept_reports, "_code", lambda: "an upgrade")
    check_as_a_new_process(db)
    assert passes == [1, 1]


@pytest.mark.parametrize("damage", [b"", b"\x93not msgpack at all", b"\x81\xa3key\xa1x"])
def test_a_damaged_kept_report_is_made_again_and_kept_whole(
    db: Path, passes: list[int], damage: bytes
) -> None:
    made = check_as_a_new_process(db)
    (file,) = (db.parent / "lg.sqlite.reports").glob("*.msgpack")
    file.write_bytes(damage)
    again = check_as_a_new_process(db)
    assert again == made
    assert passes == [1, 1]
    assert check_as_a_new_process(db) == made
    assert passes == [1, 1]


def test_a_folder_that_cannot_be_written_only_means_no_kept_report(
    db: Path, passes: list[int]
) -> None:
    (db.parent / "lg.sqlite.reports").write_text("a file where the folder would go")
    first = check_as_a_new_process(db)
    assert check_as_a_new_process(db) == first
    assert passes == [1, 1]


def test_forgetting_makes_the_next_check_a_guard_pass(db: Path, passes: list[int]) -> None:
    check_as_a_new_process(db)
    checking.forget_reports()
    check_as_a_new_process(db)
    assert passes == [1, 1]


def test_erasing_an_athlete_leaves_none_of_their_reports_or_runs_beside_the_store(
    db: Path, passes: list[int]
) -> None:
    with Store(db) as store:
        bob = store.add_athlete("bob", "Bob", "heel-fat-pad", date(2015, 6, 22), "UTC")
        service.import_from(store, bob, str(A_RUN))
        for athlete in (store.athlete("anna"), bob):
            checking.check(store, athlete, DAY)
        snapshot.Snapshot(store).activities(["anna", "bob"])
        ours = snapshot.bucket_of("anna")
        assert snapshot.bucket_of("bob") != ours  # so the test can tell them apart
        frames = db.parent / "lg.sqlite.frames"
        assert list(frames.glob(f"*-{ours:02d}-base.arrow"))
        reports = db.parent / "lg.sqlite.reports"
        assert len(list(reports.glob("*.msgpack"))) == 2
        export.erase(store, "anna", None, None)
        assert not list(frames.glob(f"*-{ours:02d}-*.arrow"))
        assert list(frames.glob(f"*-{snapshot.bucket_of('bob'):02d}-base.arrow"))
        (left,) = reports.glob("*.msgpack")
        assert left.name.startswith(kept_reports._digest("bob"))
        assert b"anna" not in b"".join(p.read_bytes() for p in frames.glob("*"))
