"""An import goes through its files in groups (one lookup, one savepoint, worker processes
reading ahead): a file still fails alone, nothing is stored twice, a group that cannot be
stored whole is stored file by file, and an import killed midway keeps what it reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from fitdata import path_of
from loadguard.app import importing, service
from loadguard.contract import Activity, Athlete, RawRecord, Streams
from loadguard.sources import normalise
from loadguard.store import activities as stored
from loadguard.store.db import Store
from test_import import counts

RUN = "garmin-fenix-5-run.fit"
SETTINGS = "Settings.fit"


def run_file(k: int, minutes: int = 5) -> bytes:
    """A FIT run of its own on day ``k`` (never another's duplicate)."""
    from loadguard_fit.writer import encode_activity

    n = minutes * 60
    speed = np.full(n, 2.8, dtype=np.float32)
    return encode_activity(
        Activity(
            source="test",
            source_id=str(k),
            sport="running",
            sub_sport="generic",
            start_utc=datetime(2024, 1, 1, 7, tzinfo=UTC) + timedelta(days=k),
            distance_m=float(2.8 * n),
            timer_s=float(n),
            elapsed_s=float(n),
            streams=Streams(
                {
                    "t": np.arange(n, dtype=np.float64),
                    "lat": 55.0 + np.arange(n) * 1e-5,
                    "lon": np.full(n, 12.0),
                    "distance_m": np.cumsum(speed).astype(np.float64),
                    "speed_mps": speed,
                }
            ),
        )
    )


def folder_of_runs(root: Path, count: int) -> Path:
    folder = root / "watch"
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(count):
        (folder / f"run-{k:03d}.fit").write_bytes(run_file(k))
    return folder


@pytest.fixture
def store(db: str) -> Store:
    s = Store(db)
    s.add_athlete("anna", "Anna", "heel-fat-pad", date(2023, 12, 25), "Europe/Berlin")
    return s


@pytest.fixture(params=[64, 2], ids=["one-group", "groups-of-two"])
def group_files(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """One group for the whole folder, or groups of two (worker processes read ahead)."""
    monkeypatch.setattr(importing, "GROUP_FILES", request.param)
    return int(request.param)


def anna(store: Store) -> Athlete:
    return store.athlete("anna")


def test_a_bad_file_in_the_middle_of_a_group_fails_alone_and_the_rest_are_stored(
    store: Store, tmp_path: Path, group_files: int
) -> None:
    folder = folder_of_runs(tmp_path, 4)
    good = path_of(RUN).read_bytes()
    (folder / "run-001b-broken.fit").write_bytes(good[: len(good) // 2])
    (folder / "run-002b-settings.fit").write_bytes(path_of(SETTINGS).read_bytes())
    summary = service.import_from(store, anna(store), str(folder))
    assert (summary.seen, summary.new, summary.runs) == (6, 4, 4)
    assert [Path(o).name for o, _ in summary.failed] == ["run-001b-broken.fit"]
    assert "truncated" in summary.failed[0][1]
    assert [Path(o).name for o, _ in summary.not_activities] == ["run-002b-settings.fit"]
    assert counts(store) == (5, 4)  # the settings file is kept, so never read again
    assert [Path(f.origin).name for f in store.failures("anna")] == ["run-001b-broken.fit"]


def test_reimporting_the_same_folder_stores_nothing_twice(
    store: Store, tmp_path: Path, group_files: int
) -> None:
    folder = folder_of_runs(tmp_path, 5)
    first = service.import_from(store, anna(store), str(folder))
    again = service.import_from(store, anna(store), str(folder))
    assert (first.new, first.unchanged, again.new, again.unchanged) == (5, 0, 0, 5)
    assert counts(store) == (5, 5)


def test_the_same_bytes_twice_in_one_import_are_stored_once(
    store: Store, tmp_path: Path, group_files: int
) -> None:
    folder = folder_of_runs(tmp_path, 5)
    for name in ("run-000-copy.fit", "run-004-copy.fit"):  # in the same group, and groups apart
        (folder / name).write_bytes((folder / name.replace("-copy", "")).read_bytes())
    summary = service.import_from(store, anna(store), str(folder))
    assert (summary.seen, summary.new, summary.unchanged, summary.failed) == (7, 5, 2, [])
    assert counts(store) == (5, 5)


def test_progress_ticks_once_per_file_in_order_with_every_file_counted(
    store: Store, tmp_path: Path, group_files: int
) -> None:
    folder = folder_of_runs(tmp_path, 5)
    ticks: list[tuple[str, int]] = []
    service.import_from(
        store, anna(store), str(folder), progress=lambda o, s: ticks.append((Path(o).name, s.seen))
    )
    assert ticks == [(f"run-{k:03d}.fit", k + 1) for k in range(5)]


def test_a_group_that_cannot_be_stored_whole_is_stored_file_by_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group_files: int
) -> None:
    def refused(*args: object) -> object:
        raise RuntimeError("a group write refused")

    monkeypatch.setattr(stored, "store_many", refused)
    folder = folder_of_runs(tmp_path, 4)
    summary = service.import_from(store, anna(store), str(folder))
    assert (summary.new, summary.failed) == (4, [])
    assert counts(store) == (4, 4)


def test_a_file_that_cannot_be_stored_stops_the_import_and_keeps_the_files_before_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = stored.store_raw_with_activities

    def refused_for_the_third(
        s: Store, athlete_id: str, raw: RawRecord, result: normalise.Normalised
    ) -> list[stored.StoredActivity]:
        if raw.origin.endswith("run-002.fit"):
            raise RuntimeError("the disk is full")
        return whole(s, athlete_id, raw, result)

    monkeypatch.setattr(stored, "store_raw_with_activities", refused_for_the_third)
    monkeypatch.setattr(stored, "store_many", lambda *a: (_ for _ in ()).throw(RuntimeError()))
    folder = folder_of_runs(tmp_path, 4)
    with pytest.raises(RuntimeError, match="the disk is full"):
        service.import_from(store, anna(store), str(folder))
    assert counts(store) == (2, 2)


def test_a_fault_reading_one_file_in_a_worker_fails_that_file_alone_with_its_reason(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "GROUP_FILES", 2)  # worker processes read ahead
    read = normalise.activities_of

    def tripping(raw: RawRecord) -> list[Activity]:
        if raw.origin.endswith("run-003.fit"):
            raise ZeroDivisionError("a bug of ours")
        return read(raw)

    monkeypatch.setattr(normalise, "activities_of", tripping)  # the workers inherit it
    folder = folder_of_runs(tmp_path, 6)
    summary = service.import_from(store, anna(store), str(folder))
    assert summary.new == 5
    assert [(Path(o).name, r) for o, r in summary.failed] == [
        (
            "run-003.fit",
            "loadguard could not read it (ZeroDivisionError: a bug of ours); please report it",
        )
    ]
    assert counts(store) == (5, 5)


def test_a_worker_that_dies_loses_no_file_the_rest_is_read_in_the_importing_process(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "GROUP_FILES", 2)
    # The importing process takes no chunk a worker could start: run-003 is a worker's.
    monkeypatch.setattr(normalise.Readers, "_steal", lambda self, waiting: False)
    read, parent = normalise.activities_of, os.getpid()
    died = tmp_path / "a worker died"

    def dying_in_a_worker(raw: RawRecord) -> list[Activity]:
        if raw.origin.endswith("run-003.fit") and os.getpid() != parent:
            died.write_text(str(os.getpid()))
            os._exit(1)  # killed (out of memory, say) while reading it
        return read(raw)

    monkeypatch.setattr(normalise, "activities_of", dying_in_a_worker)
    folder = folder_of_runs(tmp_path, 8)
    summary = service.import_from(store, anna(store), str(folder))
    assert died.exists()
    assert (summary.new, summary.failed) == (8, [])
    assert counts(store) == (8, 8)


def test_work_meanwhile_is_done_once_while_workers_read_new_files_and_never_for_nothing_new(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "GROUP_FILES", 2)
    monkeypatch.setattr(normalise, "_cores", lambda: 2)
    folder = folder_of_runs(tmp_path / "watch", 12)
    one = tmp_path / "one" / "run.fit"
    one.parent.mkdir()
    one.write_bytes(run_file(40))
    done: list[str] = []

    def import_noting(what: Path, name: str) -> importing.ImportSummary:
        return service.import_from(
            store, anna(store), str(what), meanwhile=lambda: done.append(name)
        )

    first, again, small = (
        import_noting(folder, "first"),
        import_noting(folder, "again"),
        import_noting(one.parent, "small"),
    )
    assert (first.new, again.unchanged, small.new) == (12, 12, 1)
    assert done == ["first"]


KILLED_IMPORT = """
import sys, time
from loadguard.app import importing, service
from loadguard.store.db import Store

importing.GROUP_FILES, importing.COMMIT_S = 3, 0.0

def reported(origin, summary):
    print(origin, flush=True)
    time.sleep(0.05)

with Store(sys.argv[1]) as store:
    service.import_from(store, store.athlete("anna"), sys.argv[2], progress=reported)
"""


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_an_import_killed_midway_keeps_the_files_it_reported_and_the_next_completes_the_rest(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lg.sqlite"
    with Store(db) as s:
        s.add_athlete("anna", "Anna", "heel-fat-pad", date(2023, 12, 25), "Europe/Berlin")
    folder = folder_of_runs(tmp_path, 30)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(db), str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    reported = [proc.stdout.readline().strip() for _ in range(8)]
    workers = children_of(proc.pid)
    if normalise._cores() >= 2:
        assert workers, "the import reads in worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers), "a worker outlived the import"

    with Store(db) as s:
        kept = {r[0] for r in s.conn.execute("SELECT origin FROM raw_records").fetchall()}
        assert set(reported) <= kept
        raw, acts = counts(s)
        assert raw == acts  # every file stored whole, with its run
        assert raw < 30
        summary = service.import_from(s, s.athlete("anna"), str(folder))
        assert (summary.new, summary.unchanged, summary.failed) == (30 - raw, raw, [])
        assert counts(s) == (30, 30)
    assert os.path.exists(db)
