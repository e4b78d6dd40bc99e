"""Two workers on one PostgreSQL store at once: the same alert recorded by both is stored
once and fails neither; a webhook event whose processing loses the database (a restart)
stays queued to be tried again, not marked failed (tests/test_cluster.py restarts a real
server under load)."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from loadguard.app import intake, service
from loadguard.guard.findings import Finding
from loadguard.store import accounts, outbox
from loadguard.store.db import Store
from loadguard.store.spool import Spool, Spooled
from pgserver import PostgresServer

FINDING = Finding(
    "anna", "surface", "warning", date(2026, 3, 10), 2, 8.0, 0.0, "asphalt", "plan", "2026-03-10"
)


@pytest.fixture
def pg(postgres: PostgresServer) -> str:
    url = postgres.new_database()
    with Store(url) as store:
        store.add_athlete("anna", "Anna", "heel-fat-pad", date(2026, 3, 2), "UTC")
    return url


def test_an_alert_two_workers_record_at_once_is_stored_once_and_fails_neither(pg: str) -> None:
    got: list[int | None] = []
    failed: list[BaseException] = []
    inserted = threading.Event()

    def second() -> None:
        inserted.wait(10)
        try:
            with Store(pg) as other, other.atomic():  # waits for the first to commit
                got.append(outbox.record_alert(other, "anna", FINDING, {}))
        except BaseException as exc:  # a UniqueViolation, before ON CONFLICT
            failed.append(exc)

    worker = threading.Thread(target=second)
    worker.start()
    with Store(pg) as first, first.atomic():
        got.append(outbox.record_alert(first, "anna", FINDING, {}))
        inserted.set()
        worker.join(1.0)  # the second is blocked on the first's row: its SELECT saw none
    worker.join(20)
    with Store(pg) as store:
        stored = store.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
    assert (failed, stored, sorted(got, key=str)) == ([], 1, sorted([got[0], None], key=str))


def test_a_lost_connection_is_told_from_a_bad_event() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    from loadguard.store.sql import connection_lost

    lost = OperationalError("SELECT 1", {}, Exception("terminating connection"))
    broken = IntegrityError("INSERT", {}, Exception("duplicate key"))
    told = [connection_lost("postgresql", e) for e in (lost, broken, ValueError("bad json"))]
    assert (told, connection_lost("sqlite", lost)) == ([True, False, False], False)


def test_process_event_lets_a_lost_connection_through_for_the_queue_to_retry(
    pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from loadguard.sources import registry

    class Receiver:
        def process(self, host: object, payload: object) -> list[str]:
            raise OperationalError("SELECT state", {}, Exception("terminating connection"))

    monkeypatch.setattr(registry, "webhook", lambda source: Receiver())
    with Store(pg) as store:
        event_id = accounts.queue_event(store, "strava", "k2", {})
        assert event_id is not None
        with pytest.raises(OperationalError):
            service.process_event(store, event_id)
        status = store.conn.execute("SELECT status FROM events").fetchone()[0]
    assert status == "pending"


class Restarting:
    """A task queue whose database restarts during the first deferral, then comes back."""

    def __init__(self) -> None:
        self.deferred: list[int] = []
        self.down = True

    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None:
        if self.down:
            self.down = False
            raise OSError("the database system is shutting down")
        self.deferred.append(int(args["event_id"]))


def test_events_stored_by_a_drain_whose_queueing_failed_are_queued_by_the_next(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "spool")
    spool.put([Spooled("strava", f"k{i}", {"owner_id": 1}) for i in range(3)])
    queue = Restarting()
    with Store(tmp_path / "lg.sqlite") as store:
        with pytest.raises(OSError, match="shutting down"):
            intake.drain(store, spool, queue)
        intake.drain(store, spool, queue)  # the batch again: its events are known, pending
        ids = [r[0] for r in store.conn.execute("SELECT id FROM events ORDER BY id")]
    assert queue.deferred == ids


class Counting:
    def __init__(self) -> None:
        self.deferred: list[int] = []

    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None:
        self.deferred.append(int(args["event_id"]))


def test_an_event_delivered_again_while_it_waits_is_queued_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    queue = Counting()
    with Store(tmp_path / "lg.sqlite") as store:
        spool.put([Spooled("strava", "k1", {"owner_id": 1})])
        intake.drain(store, spool, queue)
        spool.put([Spooled("strava", "k1", {"owner_id": 1})])  # Strava sends it again
        intake.drain(store, spool, queue)
        pending = store.conn.execute("SELECT status FROM events").fetchall()
    assert (queue.deferred, pending) == ([1], [("pending",)])
    assert spool.pending() == []
    assert list((tmp_path / "spool").iterdir()) == []  # no marker left behind
