"""Guard runs and the findings they produced, kept so alerts and dashboards can read them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from loadguard.guard.findings import Finding
from loadguard.store.db import Store, now_iso
from loadguard.store.sql import chunks


@dataclass(frozen=True)
class GuardRun:
    id: int
    athlete_id: str
    as_of: date
    trigger: str
    status: str
    ran_at: str


def digest(status: str, found: Sequence[Finding], since: date) -> str:
    """What a run says of the days from ``since`` on (the alert window: a scheduled pass
    sees no older findings), in 16 hex digits: equal digests, the same status and
    findings."""
    recent = [(f.rule, f.severity, f.date, f.subject, f.value, f.limit) for f in found]
    said = repr([status, *(r for r in recent if r[2] >= since)])
    return hashlib.sha256(said.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class NewRun:
    athlete_id: str
    as_of: date
    since: date  # the first day of the alert window its digest covers
    status: str
    found: Sequence[Finding]

    @cached_property
    def said(self) -> str:
        """Its :func:`digest` (a pass compares it before keeping the run: made once)."""
        return digest(self.status, self.found, self.since)


def save_run(store: Store, run: NewRun, trigger: str) -> int:
    return save_runs(store, [run], trigger)[0]


def save_runs(store: Store, runs: Sequence[NewRun], trigger: str) -> list[int]:
    """Keep guard runs with their findings, in one transaction; their ids."""
    ids = []
    ran_at = now_iso()
    with store.atomic():
        for run in runs:
            cur = store.conn.execute(
                "INSERT INTO guard_runs (athlete_id, as_of, trigger, status, ran_at, digest)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    run.athlete_id,
                    run.as_of.isoformat(),
                    trigger,
                    run.status,
                    ran_at,
                    run.said,
                ),
            )
            ids.append(int(cur.fetchone()[0]))
        store.conn.executemany(
            "INSERT INTO findings (run_id, athlete_id, rule, severity, date, plan_week, value,"
            ' "limit", message, evidence, subject, detail, seq)'
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    f.athlete_id,
                    f.rule,
                    f.severity,
                    f.date.isoformat(),
                    f.plan_week,
                    f.value,
                    f.limit,
                    f.message,
                    f.evidence,
                    f.subject,
                    f.detail,
                    seq,
                )
                for run_id, run in zip(ids, runs, strict=True)
                for seq, f in enumerate(run.found)
            ],
        )
    return ids


def latest_digests(store: Store, athlete_ids: Sequence[str]) -> dict[str, str | None]:
    """Each athlete's latest guard run's digest (None: a run from before digests)."""
    rows = []
    for chunk in chunks(athlete_ids):
        marks = ",".join("?" * len(chunk))
        rows += store.conn.execute(
            "SELECT g.athlete_id, g.digest FROM guard_runs g JOIN (SELECT athlete_id,"
            f" MAX(id) AS id FROM guard_runs WHERE athlete_id IN ({marks}) GROUP BY athlete_id)"
            " l ON l.id = g.id",
            chunk,
        ).fetchall()
    return {str(r[0]): r[1] for r in rows}


def latest_run(store: Store, athlete_id: str) -> tuple[GuardRun, list[Finding]] | None:
    row = store.conn.execute(
        "SELECT id, athlete_id, as_of, trigger, status, ran_at FROM guard_runs"
        " WHERE athlete_id = ? ORDER BY id DESC LIMIT 1",
        (athlete_id,),
    ).fetchone()
    if row is None:
        return None
    run = GuardRun(row[0], row[1], date.fromisoformat(row[2]), row[3], row[4], row[5])
    rows = store.conn.execute(
        'SELECT athlete_id, rule, severity, date, plan_week, value, "limit", message, evidence,'
        " subject, detail FROM findings WHERE run_id = ? ORDER BY seq",
        (run.id,),
    ).fetchall()
    found = [Finding(r[0], r[1], r[2], date.fromisoformat(r[3]), *r[4:]) for r in rows]
    return run, found
