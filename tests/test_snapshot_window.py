"""The columnar copy read for a window (a scheduled pass): each bucket's runs from its
recent file, and what the runs before add up to from its summaries. Whatever the files
hold, the metrics are those the same pass gets from SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loadguard.app import passes, service
from loadguard.guard import metrics
from loadguard.guard.plan import load_plan
from loadguard.store import snapshot, summaries
from loadguard.store.db import Store
from receivers import drop_fit, paved_run

IDS = ["anna", "bo"]
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=7)  # the alert window: the pass looks back 7 weeks more


def run(store: Store, tmp: Path, name: str, days_ago: int) -> None:
    start = datetime.now(UTC).replace(microsecond=0, hour=7) - timedelta(days=days_ago)
    folder = tmp / f"in-{name}-{days_ago}"
    path = drop_fit(paved_run(start, 10.0), folder, tmp / "staging")
    service.import_from(store, store.athlete(name), str(path))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Anna ran 300, 120, 40 and 3 days ago in two shoes, Bo 200 and 10 days ago in one."""
    with Store(tmp_path / "lg.sqlite") as s:
        for name in IDS:
            s.add_athlete(name, name.title(), "heel-fat-pad", date(2025, 1, 6), "UTC")
        s.add_shoe("anna", "Old", initial_km=100.0, default_from=TODAY - timedelta(days=400))
        s.add_shoe("anna", "New", default_from=TODAY - timedelta(days=100))
        s.add_shoe("bo", "Only", initial_km=50.0, default_from=TODAY - timedelta(days=400))
        for name, days in (("anna", 300), ("anna", 120), ("anna", 40), ("anna", 3)):
            run(s, tmp_path, name, days)
        for days in (200, 10):
            run(s, tmp_path, "bo", days)
        yield s


def pass_metrics(
    store: Store, monkeypatch: pytest.MonkeyPatch, copy: bool, since: date = SINCE
) -> metrics.Metrics:
    monkeypatch.setattr(passes, "SNAPSHOT_FROM", 1 if copy else 10**6)
    people = [store.athlete(a) for a in IDS]
    return passes.metrics_for(store, people, load_plan("heel-fat-pad"), TODAY, since=since)


def assert_same_metrics(store: Store, monkeypatch: pytest.MonkeyPatch, since: date = SINCE) -> None:
    got = pass_metrics(store, monkeypatch, copy=True, since=since)
    want = pass_metrics(store, monkeypatch, copy=False, since=since)
    mileage = ["shoe_id", "km", "first_used", "last_used", "rehab_runs"]
    assert_frame_equal(
        got.shoes.select(mileage).sort("shoe_id"), want.shoes.select(mileage).sort("shoe_id")
    )
    assert_frame_equal(got.last_runs.sort("athlete_id"), want.last_runs.sort("athlete_id"))  # type: ignore[union-attr]
    runs = ["activity_id", "local_date", "km", "shoe", "plan_week"]
    assert_frame_equal(
        got.runs.select(runs).sort("activity_id"), want.runs.select(runs).sort("activity_id")
    )
    key = [pl.col("athlete_id").cast(pl.String), "plan_week"]
    assert_frame_equal(
        got.weeks.with_columns(key[0]).sort(key), want.weeks.with_columns(key[0]).sort(key)
    )


def test_a_windowed_pass_gets_from_the_copy_the_metrics_sql_gives(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pass_metrics(store, monkeypatch, copy=True)  # the copy, its recent files and summaries written
    assert_same_metrics(store, monkeypatch)
    shoes = pass_metrics(store, monkeypatch, copy=True).shoes
    old = shoes.filter(pl.col("name") == "Old").row(0, named=True)
    assert old["km"] > 100.0  # its runs are all before the recent files: only summed
    assert old["last_used"] == TODAY - timedelta(days=120)


def test_a_windowed_read_takes_only_the_recent_runs_and_sums_the_rest(store: Store) -> None:
    copy = snapshot.Snapshot(store)
    copy.activities(IDS)  # the copy written
    rows, before = copy.windowed(IDS, metrics.READ_COLUMNS, TODAY - timedelta(days=56))
    days = sorted((TODAY - d).days for d in rows["start_local"].dt.date())
    assert days == [3, 10, 40]  # within 13 weeks of their bucket's newest run: not 120, 200
    assert sorted(before.last["last"].to_list()) == [
        TODAY - timedelta(days=200),
        TODAY - timedelta(days=120),
    ]


def test_a_window_older_than_the_recent_files_is_read_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pass_metrics(store, monkeypatch, copy=True)
    rows, _ = snapshot.Snapshot(store).windowed(
        IDS, metrics.READ_COLUMNS, TODAY - timedelta(days=250)
    )
    assert rows.height == 6
    assert_same_metrics(store, monkeypatch, since=TODAY - timedelta(days=200))


def test_a_recent_file_from_another_base_is_made_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = snapshot.Snapshot(store)
    pass_metrics(store, monkeypatch, copy=True)
    kept = {p: p.read_bytes() for p in copy.folder.glob("*-recent.arrow")}
    run(store, tmp_path, "anna", 20)  # read again, merged into a new base, recent file, sums
    pass_metrics(store, monkeypatch, copy=True)
    for path, old in kept.items():  # the recent files of the bases before
        path.write_bytes(old)
    assert_same_metrics(store, monkeypatch)


def test_damaged_summaries_are_made_again_from_the_base(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = snapshot.Snapshot(store)
    pass_metrics(store, monkeypatch, copy=True)
    for path in copy.folder.glob("*-summary*.arrow"):
        path.write_bytes(b"not arrow")
    assert_same_metrics(store, monkeypatch)
    assert all(pl.read_ipc(p).height for p in copy.folder.glob("*-summary.arrow"))


def test_changes_kept_in_delta_files_count_as_sql_gives_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "MERGE_AT", 0)  # never merged: every change in a delta
    pass_metrics(store, monkeypatch, copy=True)
    run(store, tmp_path, "bo", 30)
    store.add_shoe("anna", "Third", default_from=TODAY - timedelta(days=5))
    assert_same_metrics(store, monkeypatch)


def test_sums_are_left_out_for_an_athlete_written_to_while_they_are_made(store: Store) -> None:
    base = snapshot.Snapshot(store)._fresh(IDS, snapshot.versions(store, IDS))
    calls = iter([{"anna": 1, "bo": 2}, {"anna": 1, "bo": 3}])  # Bo written to meanwhile
    athletes, shoes = summaries.summarise(
        store,
        base.with_columns(
            pl.col("athlete_id").replace_strict({"anna": 1, "bo": 2}).alias(snapshot.VERSION)
        ),
        datetime.combine(TODAY - timedelta(days=50), datetime.min.time()),
        lambda _store, _ids: next(calls),
    )
    assert athletes["athlete_id"].to_list() == ["anna"]
    assert set(shoes["athlete_id"].to_list()) == {"anna"}
