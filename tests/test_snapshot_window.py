"""The columnar copy read for a window (a scheduled pass): every run with the few columns
shoe mileage and the last run need, and every column only for the runs from the window's
first day on, taken from the bucket's recent file. Whatever the files hold, the rows are
those SQL gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from loadguard.app import service
from loadguard.guard import metrics
from loadguard.store import frames, snapshot
from loadguard.store.db import Store
from receivers import drop_fit, paved_run

IDS = ["anna", "bo"]
TODAY = datetime.now(UTC).date()


def run(store: Store, tmp: Path, name: str, days_ago: int) -> None:
    start = datetime.now(UTC).replace(microsecond=0, hour=7) - timedelta(days=days_ago)
    folder = tmp / f"in-{name}-{days_ago}"
    path = drop_fit(paved_run(start, 10.0), folder, tmp / "staging")
    service.import_from(store, store.athlete(name), str(path))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Anna ran 300, 120, 40 and 3 days ago, Bo 200 and 10 days ago."""
    with Store(tmp_path / "lg.sqlite") as s:
        for name in IDS:
            s.add_athlete(name, name.title(), "heel-fat-pad", date(2025, 1, 6), "UTC")
        for name, days in (("anna", 300), ("anna", 120), ("anna", 40), ("anna", 3)):
            run(s, tmp_path, name, days)
        for days in (200, 10):
            run(s, tmp_path, "bo", days)
        yield s


def windowed(store: Store, first: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    return snapshot.Snapshot(store).windowed(IDS, metrics.READ_COLUMNS, metrics.HISTORY_READ, first)


def from_sql(store: Store, first: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    every = frames.activities_frame(store, IDS)
    since = every.filter(pl.col("start_local").dt.date() >= first)
    return every, since


def same(got: pl.DataFrame, want: pl.DataFrame) -> bool:
    order = ["athlete_id", "start_local"]
    return got.sort(order).equals(want.select(got.columns).sort(order))


def test_a_windowed_read_gives_every_run_narrow_and_the_windows_runs_whole(store: Store) -> None:
    first = TODAY - timedelta(days=50)
    snapshot.Snapshot(store).activities(IDS)  # the copy written
    history, window = windowed(store, first)
    every, since = from_sql(store, first)
    assert (history.height, window.height) == (6, 3)
    assert same(history, every)
    assert same(window, since)
    assert set(metrics.HISTORY_READ) <= set(history.columns)
    assert set(metrics.READ_COLUMNS) <= set(window.columns)


def test_the_recent_file_holds_only_the_last_months_of_runs(store: Store) -> None:
    copy = snapshot.Snapshot(store)
    copy.activities(IDS)
    windowed(store, TODAY - timedelta(days=50))
    recent = pl.concat(pl.read_ipc(p) for p in copy.folder.glob("*-recent.arrow"))
    days = {(TODAY - d).days for d in recent["start_local"].dt.date()}
    assert days == {40, 10, 3}  # within 91 days of their bucket's newest run: not 120, 200


def test_a_window_older_than_the_recent_file_is_read_from_the_base(store: Store) -> None:
    first = TODAY - timedelta(days=250)
    snapshot.Snapshot(store).activities(IDS)
    history, window = windowed(store, first)
    every, since = from_sql(store, first)
    assert window.height == 5
    assert same(window, since)
    assert same(history, every)


def test_a_recent_file_that_does_not_go_with_its_base_is_written_again(
    store: Store, tmp_path: Path
) -> None:
    first = TODAY - timedelta(days=50)
    copy = snapshot.Snapshot(store)
    copy.activities(IDS)
    windowed(store, first)
    recent = sorted(copy.folder.glob("*-recent.arrow"))
    kept = {p: p.read_bytes() for p in recent}
    run(store, tmp_path, "anna", 20)  # read again, merged into a new base and recent file
    windowed(store, first)
    for path, old in kept.items():  # the recent files of the base before
        path.write_bytes(old)
    history, window = windowed(store, first)
    every, since = from_sql(store, first)
    assert window.height == 4
    assert same(window, since)
    assert same(history, every)


def test_a_damaged_recent_file_is_written_again_from_the_base(store: Store) -> None:
    first = TODAY - timedelta(days=50)
    copy = snapshot.Snapshot(store)
    copy.activities(IDS)
    for path in copy.folder.glob("*-base.arrow"):
        path.with_name(path.name.replace("-base", "-recent")).write_bytes(b"not arrow")
    _, window = windowed(store, first)
    assert same(window, from_sql(store, first)[1])
    assert all(pl.read_ipc(p).height for p in copy.folder.glob("*-recent.arrow"))


def test_changes_kept_in_delta_files_are_in_the_window_as_sql_gives_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "MERGE_AT", 0)  # never merged: every change in a delta
    first = TODAY - timedelta(days=50)
    snapshot.Snapshot(store).activities(IDS)
    windowed(store, first)
    run(store, tmp_path, "bo", 30)
    history, window = windowed(store, first)
    every, since = from_sql(store, first)
    assert window.height == 4
    assert same(window, since)
    assert same(history, every)
