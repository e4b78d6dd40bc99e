"""Claims on scheduled runs: however many daemons share a database, each scheduled run of
each job is run by one of them. SQL only; :mod:`loadguard.app.daemon` claims before it
runs a job and marks the claim finished after."""

from __future__ import annotations

from datetime import datetime, timedelta

from loadguard.store.db import Store, now_iso
from loadguard.store.outbox import alive, worker

KEEP = timedelta(days=14)  # claims older than this are forgotten


def claim_run(store: Store, job_id: str, run_at: datetime) -> bool:
    """True when this process may run ``job_id``'s run at ``run_at``: nobody claimed it, or
    the process that did died before finishing it (on this machine)."""
    stamp = run_at.isoformat(timespec="seconds")
    me = worker()
    with store.atomic():
        cur = store.conn.execute(
            "INSERT INTO job_claims (job_id, run_at, claimed_by, claimed_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (job_id, stamp, me, now_iso()),
        )
        if cur.rowcount:
            return True
        row = store.conn.execute(
            "SELECT claimed_by, finished_at FROM job_claims WHERE job_id = ? AND run_at = ?",
            (job_id, stamp),
        ).fetchone()
        if row[1] is not None or alive(row[0]):
            return False
        store.conn.execute(
            "UPDATE job_claims SET claimed_by = ?, claimed_at = ? WHERE job_id = ? AND run_at = ?",
            (me, now_iso(), job_id, stamp),
        )
        return True


def finish_run(store: Store, job_id: str, run_at: datetime) -> None:
    with store.atomic():
        store.conn.execute(
            "UPDATE job_claims SET finished_at = ? WHERE job_id = ? AND run_at = ?",
            (now_iso(), job_id, run_at.isoformat(timespec="seconds")),
        )
        store.conn.execute(
            "DELETE FROM job_claims WHERE run_at < ?",
            ((run_at - KEEP).isoformat(timespec="seconds"),),
        )
