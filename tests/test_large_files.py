"""Large and chained FIT files: each session takes its own file's records, memory stays
bounded on a 65 MB chain (whole process, peak RSS), and the store's raw bytes moved to
the row's end (migration 16) with nothing lost."""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from fitdata import path_of
from loadguard.app import service
from loadguard.store import frames, migrations
from loadguard.store.db import Store
from loadguard.store.schema import MIGRATIONS
from loadguard_fit import normalise_payload

EXE = Path(sys.executable).with_name("loadguard")
RUNS = ("activity-small-fenix2-run.fit", "garmin-fenix-5-run.fit", "2013-02-06-12-11-14.fit")
STAMINA = path_of("garmin-stamina.fit")


def stream_lengths(payload: bytes) -> list[int]:
    return [len(a.streams) for a in normalise_payload(payload)]


def test_each_session_of_a_chained_file_takes_only_its_own_files_records() -> None:
    alone = [stream_lengths(path_of(name).read_bytes())[0] for name in RUNS]
    chained = b"".join(path_of(name).read_bytes() for name in RUNS)
    assert stream_lengths(chained) == alone


def test_the_same_run_chained_three_times_gives_three_sessions_of_its_records_not_nine() -> None:
    (one,) = stream_lengths(STAMINA.read_bytes())
    assert stream_lengths(STAMINA.read_bytes() * 3) == [one, one, one]


def test_a_65_mb_chained_fit_file_imports_every_run_within_300_mb(tmp_path: Path) -> None:
    chain = tmp_path / "chain.fit"
    copies = (65 << 20) // STAMINA.stat().st_size + 1
    chain.write_bytes(STAMINA.read_bytes() * copies)
    db = tmp_path / "lg.sqlite"
    subprocess.run(
        [str(EXE), "--db", str(db), "athlete", "add", "anna", "--start", "2026-03-02"],
        check=True,
        capture_output=True,
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [str(EXE), "--db", str(db), "import", str(chain)], capture_output=True, text=True
    )
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{copies} activities" in " ".join(done.stdout.split())
    # the largest child so far; when an earlier one was larger the figure says nothing
    assert peak_mb < 300 or before >> 10 >= peak_mb
    with sqlite3.connect(db) as conn:
        (size,) = conn.execute("SELECT length(payload) FROM raw_records").fetchone()
    assert size == chain.stat().st_size


@pytest.fixture
def old_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store at schema 15 (raw bytes before received_at) holding two runs: imported
    into a current store, then copied row by row into one made with 15 migrations."""
    current = tmp_path / "current.sqlite"
    with Store(current) as store:
        store.add_athlete("anna", "Anna", "heel-fat-pad", date(2012, 12, 31), "UTC")
        folder = tmp_path / "runs"
        folder.mkdir()
        for name in RUNS[:2]:
            (folder / name).write_bytes(path_of(name).read_bytes())
        service.import_from(store, store.athlete("anna"), str(folder))
    path = tmp_path / "old.sqlite"
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS", MIGRATIONS[:15])
        Store(path).close()
    with sqlite3.connect(path) as old:
        old.execute("ATTACH ? AS new", (str(current),))
        for table in ("athletes", "raw_records", "activities"):
            names = ", ".join(r[1] for r in old.execute(f"PRAGMA main.table_info({table})"))
            old.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM new.{table}")
    return path


def columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute("PRAGMA table_info(raw_records)")]


def test_upgrading_a_store_moves_the_raw_bytes_last_and_keeps_every_run_and_byte(
    old_store: Path,
) -> None:
    assert columns(old_store)[-1] == "received_at"
    with sqlite3.connect(old_store) as conn:
        before = conn.execute("SELECT id, key, payload FROM raw_records ORDER BY id").fetchall()
        runs = conn.execute("SELECT id, raw_id FROM activities ORDER BY id").fetchall()
    with Store(old_store) as store:
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert len(frames.activities_frame(store, ["anna"])) == 2
    assert columns(old_store)[-1] == "payload"
    with sqlite3.connect(old_store) as conn:
        assert conn.execute("SELECT id, key, payload FROM raw_records ORDER BY id").fetchall() == (
            before
        )
        assert conn.execute("SELECT id, raw_id FROM activities ORDER BY id").fetchall() == runs


def test_after_the_upgrade_deleting_a_runner_still_removes_their_raw_files(
    old_store: Path,
) -> None:
    with Store(old_store) as store:
        store.conn.execute("DELETE FROM athletes WHERE id = 'anna'")
        left = store.conn.execute("SELECT COUNT(*) FROM raw_records").fetchone()[0]
    assert left == 0
