"""The alert outbox: an alert is stored before any send; each delivery is tracked.

An alert exists once per (athlete, rule, subject, severity): the same finding
again is no new alert; the same subject at a higher severity is (escalation).
A delivery per channel is retried with back-off until it is sent, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loadguard.findings import SEVERITY_RANK, Finding
from loadguard.store.db import Store, now_iso

BACKOFF_S = (5, 30, 120, 600, 3600)


@dataclass(frozen=True)
class Due:
    delivery_id: int
    channel: str
    athlete_id: str
    rule: str
    severity: str
    date: str
    message: str
    evidence: str
    attempts: int


def queue(
    store: Store, athlete_id: str, found: list[Finding], channels: list[str], min_severity: str
) -> int:
    """Store the alerts these findings call for, with a delivery per channel; returns how
    many new alerts. A finding at or below a severity already alerted is not new."""
    floor = SEVERITY_RANK[min_severity]
    new = 0
    with store.atomic():
        for f in found:
            rank = SEVERITY_RANK[f.severity]
            if rank < floor:
                continue
            higher = store.conn.execute(
                "SELECT severity FROM alerts WHERE athlete_id = ? AND rule = ? AND subject = ?",
                (athlete_id, f.rule, f.subject),
            ).fetchall()
            if any(SEVERITY_RANK[s] >= rank for (s,) in higher):
                continue
            cur = store.conn.execute(
                "INSERT INTO alerts (athlete_id, rule, subject, severity, date, message, evidence,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    athlete_id,
                    f.rule,
                    f.subject,
                    f.severity,
                    f.date.isoformat(),
                    f.message,
                    f.evidence,
                    now_iso(),
                ),
            )
            new += 1
            for channel in channels:
                store.conn.execute(
                    "INSERT INTO deliveries (alert_id, channel, next_try_at) VALUES (?, ?, ?)",
                    (cur.lastrowid, channel, now_iso()),
                )
    return new


def due(store: Store, now: datetime | None = None) -> list[Due]:
    moment = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    rows = store.conn.execute(
        "SELECT d.id, d.channel, a.athlete_id, a.rule, a.severity, a.date, a.message,"
        " a.evidence, d.attempts FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
        " WHERE d.status = 'pending' AND d.next_try_at <= ? ORDER BY d.id",
        (moment,),
    ).fetchall()
    return [Due(*r) for r in rows]


def sent(store: Store, delivery_id: int) -> None:
    with store.atomic():
        store.conn.execute(
            "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?"
            " WHERE id = ? AND status = 'pending'",
            (now_iso(), delivery_id),
        )


def failed(store: Store, delivery_id: int, attempts: int, error: str) -> None:
    wait = BACKOFF_S[min(attempts, len(BACKOFF_S) - 1)]
    retry = (datetime.now(UTC) + timedelta(seconds=wait)).isoformat(timespec="seconds")
    with store.atomic():
        store.conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_try_at = ?"
            " WHERE id = ?",
            (error[:500], retry, delivery_id),
        )
