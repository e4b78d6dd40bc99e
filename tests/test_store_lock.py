"""A write never loses a runner's entry to another process's lock: it waits, says so, and
writes once the lock is gone; a lock held past the limit gets a clear refusal."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from clirun import lg
from loadguard.store import sql


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "lg.db"
    assert lg(path, "athlete", "add", "anna", "--start", "2026-09-07")[0] == 0
    return path


def pain_while_locked(db: Path, seconds: float) -> tuple[int, str]:
    """``loadguard pain 3 --after-run`` while another process holds the write lock for
    ``seconds`` (an import's batch: BEGIN IMMEDIATE, then wait)."""
    started = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        started.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert started.wait(10)
    try:
        return lg(db, "pain", "3", "--after-run", "--date", "2026-09-08")
    finally:
        holder.join()


def test_a_pain_entry_waits_out_a_lock_longer_than_the_busy_timeout_and_is_kept(
    db: Path,
) -> None:
    code, said = pain_while_locked(db, 12.0)
    assert code == 0, said
    assert "waiting for" in said
    assert "another process is writing to it" in said
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT score FROM pain_entries").fetchall() == [(3,)]


def test_a_lock_held_past_the_limit_is_a_clear_refusal_not_a_traceback(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "LOCK_WAIT_S", 1.0)
    code, said = pain_while_locked(db, 13.0)
    assert code == 1
    assert "stayed locked by another process" in " ".join(said.split())
    assert "nothing was written" in " ".join(said.split())
    assert "Traceback" not in said
