"""Importing through the orchestration into a real store (a SQLite file, and a PostgreSQL
database): no-ops, failures, duplicates."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from fitdata import DATA, path_of
from loadguard.app import service
from loadguard.cli.season import season
from loadguard.contract import Athlete, RawRecord, SampleWriter
from loadguard.sources import registry
from loadguard.sources.normalise import Prepared
from loadguard.store import activities as stored
from loadguard.store import frames
from loadguard.store.db import Store, StoreError

RUNS = ("activity-small-fenix2-run.fit", "garmin-fenix-5-run.fit", "2013-02-06-12-11-14.fit")


@pytest.fixture
def store(db: str) -> Store:
    s = Store(db)
    s.add_athlete("anna", "Anna", "heel-fat-pad", date(2012, 12, 31), "Europe/Berlin")
    return s


def athlete(store: Store) -> Athlete:
    return store.athlete("anna")


def counts(store: Store) -> tuple[int, int]:
    q = store.conn.execute
    return (
        q("SELECT COUNT(*) FROM raw_records").fetchone()[0],
        q("SELECT COUNT(*) FROM activities").fetchone()[0],
    )


def watch_folder(tmp_path: Path, names: tuple[str, ...]) -> Path:
    folder = tmp_path / "GARMIN" / "Activity"
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(path_of(name), folder / name)
    return folder


def test_importing_a_watch_folder_twice_stores_each_run_once(store: Store, tmp_path: Path) -> None:
    folder = watch_folder(tmp_path, RUNS)
    first = service.import_from(store, athlete(store), str(tmp_path))
    assert (first.seen, first.new, first.runs, first.failed) == (3, 3, 3, [])
    before = counts(store)
    again = service.import_from(store, athlete(store), str(folder))
    assert (again.new, again.unchanged) == (0, 3)
    assert counts(store) == before == (3, 3)


def test_a_bad_file_is_listed_the_batch_goes_on_and_a_fixed_file_clears_it(
    store: Store, tmp_path: Path
) -> None:
    folder = watch_folder(tmp_path, RUNS[:1])
    good = path_of(RUNS[1]).read_bytes()
    (folder / "broken.fit").write_bytes(good[: len(good) // 2])
    summary = service.import_from(store, athlete(store), str(folder))
    assert summary.new == 1
    assert [(Path(o).name, "truncated" in r) for o, r in summary.failed] == [("broken.fit", True)]
    listed = store.failures("anna")
    assert [(Path(f.origin).name, f.attempts) for f in listed] == [("broken.fit", 1)]

    retried = service.retry_failures(store, athlete(store))
    assert len(retried.failed) == 1
    assert store.failures("anna")[0].attempts == 2

    (folder / "broken.fit").write_bytes(good)  # the runner copies the file again
    retried = service.retry_failures(store, athlete(store))
    assert (retried.new, retried.failed) == (1, [])
    assert store.failures("anna") == []
    assert counts(store) == (2, 2)


def test_every_broken_shared_file_fails_alone_and_stores_nothing(store: Store) -> None:
    summary = service.import_from(store, athlete(store), str(DATA / "python-fitparse"))
    assert summary.failed, "the shared folder holds broken files"
    failed = {Path(o).name for o, _ in summary.failed}
    assert {"activity-unexpected-eof.fit", "nick.fit"} <= failed
    salvaged = {Path(o).name for o, _ in summary.salvaged}
    assert "activity-settings-corruptheader.fit" in salvaged  # its activity kept
    assert not any("not an activity" in reason for _, reason in summary.failed)
    skipped = {Path(o).name for o, _ in summary.not_activities}
    assert {"Settings.fit", "MonitoringFile.fit", "WorkoutRepeatSteps.fit"} <= skipped
    raw, acts = counts(store)
    assert raw == summary.new + len(summary.not_activities)  # kept, so never read again
    assert acts >= summary.runs > 0
    assert all(reason for _, reason in summary.failed)


def test_the_same_run_from_a_second_source_never_counts_twice(store: Store, tmp_path: Path) -> None:
    service.import_from(store, athlete(store), str(path_of(RUNS[0])))
    (fit_activity,) = registry.connector("fit").normalise(
        RawRecord("fit", "x", path_of(RUNS[0]).read_bytes(), "application/vnd.ant.fit", "x")
    )
    # the same run as another service reports it: a few seconds off, 0.5 % shorter
    other = replace(
        fit_activity,
        source="strava",
        source_id="123",
        start_utc=fit_activity.start_utc + timedelta(seconds=3),
        distance_m=fit_activity.distance_m * 0.995,
    )
    raw = RawRecord("strava", "123", b"{}", "application/json", "strava:123")
    offset = timedelta(hours=1)
    (written,) = stored.store_raw_with_activities(
        store, "anna", raw, [Prepared(other, offset, "source")]
    )
    assert written.duplicate_of is not None
    frame = frames.activities_frame(store, ["anna"])
    assert frame.height == 1
    assert frame["source"].to_list() == ["fit"]


def test_a_run_an_hour_apart_is_a_different_run(store: Store) -> None:
    a = season(date(2026, 9, 7), "UTC", 1)[0]
    b = replace(a, source_id="later", start_utc=a.start_utc + timedelta(hours=1))
    for act in (a, b):
        raw = RawRecord("season", act.source_id, b"-", "x", act.source_id)
        stored.store_raw_with_activities(
            store, "anna", raw, [Prepared(act, timedelta(0), "source")]
        )
    assert frames.activities_frame(store, ["anna"]).height == 2


def test_rebuild_normalises_again_from_stored_bytes_and_keeps_shoe_choices(
    store: Store, tmp_path: Path
) -> None:
    folder = watch_folder(tmp_path, RUNS)
    service.import_from(store, athlete(store), str(folder))
    shoe = store.add_shoe("anna", "Trainer", initial_km=10)
    first_id = int(frames.activities_frame(store, ["anna"])["activity_id"][0])
    stored.assign_shoe(store, "anna", first_id, shoe.id)
    shutil.rmtree(folder)  # the watch is gone
    before = frames.activities_frame(store, ["anna"]).drop("activity_id")
    count, failed = service.rebuild(store, athlete(store))
    assert (count, failed) == (3, [])
    after = frames.activities_frame(store, ["anna"])
    assert after.drop("activity_id").equals(before)
    assert after.filter(after["shoe_id"] == shoe.id).height == 1


def test_a_run_without_a_local_offset_uses_the_athletes_time_zone(
    store: Store, tmp_path: Path
) -> None:
    run = replace(season(date(2026, 9, 7), "UTC", 1)[0], utc_offset=None)  # 07:30 UTC
    writer = registry.connector("fit")
    assert isinstance(writer, SampleWriter)
    (path,) = writer.write_samples([run], tmp_path / "out")
    service.import_from(store, athlete(store), str(path))
    row = store.conn.execute("SELECT utc_offset_s, offset_from FROM activities").fetchone()
    assert row == (7200, "timezone")  # Berlin in September: UTC+2
    frame = frames.activities_frame(store, ["anna"])
    assert frame["start_local"][0].hour == 9


def test_a_newer_database_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'later')")
    with pytest.raises(StoreError, match="newer than this loadguard"):
        Store(path)


def test_a_runs_streams_come_back_from_its_stored_bytes_without_the_source(
    store: Store, tmp_path: Path
) -> None:
    folder = watch_folder(tmp_path, RUNS[:1])
    service.import_from(store, athlete(store), str(folder))
    shutil.rmtree(folder)
    (activity_id,) = frames.activities_frame(store, ["anna"])["activity_id"].to_list()
    streams = service.streams_of(store, activity_id)
    assert streams is not None
    assert len(streams) == 2809  # the Fenix 2 run's records
    lat = streams.get("lat")
    assert lat is not None
    assert 0 < abs(float(lat[~np.isnan(lat)][0])) <= 90
    assert service.streams_of(store, 987654) is None
