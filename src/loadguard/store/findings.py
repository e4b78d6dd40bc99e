"""Guard runs and the findings they produced, kept so alerts and dashboards can read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from loadguard.guard.findings import Finding
from loadguard.store.db import Store, now_iso


@dataclass(frozen=True)
class GuardRun:
    id: int
    athlete_id: str
    as_of: date
    trigger: str
    status: str
    ran_at: str


def save_run(
    store: Store, athlete_id: str, as_of: date, trigger: str, status: str, found: list[Finding]
) -> int:
    with store.atomic():
        cur = store.conn.execute(
            "INSERT INTO guard_runs (athlete_id, as_of, trigger, status, ran_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (athlete_id, as_of.isoformat(), trigger, status, now_iso()),
        )
        run_id = int(cur.fetchone()[0])
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
                for seq, f in enumerate(found)
            ],
        )
    return run_id


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
