"""The alert outbox: every message is stored before any send; every send is tracked.

``alerts`` holds what was alerted, once per (athlete, rule, subject, severity): the
same finding again is no new alert; the same subject at a higher severity is (an
escalation); a new week, run or shoe is a new subject. ``notices`` hold what one
recipient is to be told (an alert, a digest, a summary), ``sends`` one delivery
of a notice to one channel: claimed before sending (two workers never send the
same row), retried with back-off, held to the end of quiet hours.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from loadguard.guard.findings import SEVERITY_RANK, Finding
from loadguard.store import channel_urls
from loadguard.store.db import Store, now_iso
from loadguard.store.sql import chunks

BACKOFF_S = (5, 30, 120, 600, 3600)
STALE_CLAIM = timedelta(minutes=5)  # a claim older than this was a worker that died


@dataclass(frozen=True)
class Due:
    send_id: int
    channel: str
    attempts: int
    recipient: str
    kind: str
    payload: dict[str, Any]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def record_alert(
    store: Store, athlete_id: str, f: Finding, payload: Mapping[str, Any]
) -> int | None:
    """The alert this finding calls for, stored; None when it (or a higher severity of the
    same subject) was alerted before."""
    rank = SEVERITY_RANK[f.severity]
    before = store.conn.execute(
        "SELECT severity FROM alerts WHERE athlete_id = ? AND rule = ? AND subject = ?",
        (athlete_id, f.rule, f.subject),
    ).fetchall()
    if any(SEVERITY_RANK[s] >= rank for (s,) in before):
        return None
    # ON CONFLICT: another worker's guard run for this athlete stored it a moment ago
    cur = store.conn.execute(
        "INSERT INTO alerts (athlete_id, rule, subject, severity, date, message, evidence,"
        " created_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (athlete_id, rule, subject, severity) DO NOTHING RETURNING id",
        (
            athlete_id,
            f.rule,
            f.subject,
            f.severity,
            f.date.isoformat(),
            f.message,
            f.evidence,
            now_iso(),
            json.dumps(payload),
        ),
    )
    row = cur.fetchone()
    return None if row is None else int(row[0])


def add_notice(
    store: Store,
    recipient: str,
    kind: str,
    ref: str,
    payload: Mapping[str, Any],
    channels: Iterable[str],
    due_at: datetime,
    *,
    athlete_id: str | None = None,
    alert_id: int | None = None,
) -> int | None:
    """Store a notice with a send per channel; None when this (recipient, kind, ref) exists."""
    row = store.conn.execute(
        "INSERT INTO notices (recipient, kind, ref, athlete_id, alert_id, payload,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        (recipient, kind, ref, athlete_id, alert_id, json.dumps(payload), now_iso()),
    ).fetchone()
    if row is None:
        return None
    notice_id = int(row[0])
    store.conn.executemany(
        "INSERT INTO sends (notice_id, channel, next_try_at) VALUES (?, ?, ?)",
        [(notice_id, c, iso(due_at)) for c in channels],
    )
    return notice_id


def alerted(store: Store, athlete_ids: Sequence[str]) -> dict[str, dict[tuple[str, str], int]]:
    """Per athlete, the highest severity (rank) alerted for each (rule, subject)."""
    found: dict[str, dict[tuple[str, str], int]] = {}
    for chunk in chunks(athlete_ids):
        marks = ",".join("?" * len(chunk))
        for athlete_id, rule, subject, severity in store.conn.execute(
            f"SELECT athlete_id, rule, subject, severity FROM alerts WHERE athlete_id IN ({marks})",
            chunk,
        ):
            mine = found.setdefault(str(athlete_id), {})
            key = (str(rule), str(subject))
            mine[key] = max(mine.get(key, -1), SEVERITY_RANK[severity])
    return found


def waiting(store: Store, athlete_ids: Sequence[str]) -> dict[str, set[tuple[str, str]]]:
    """Per athlete, the (rule, subject) of alerts with a send still pending."""
    found: dict[str, set[tuple[str, str]]] = {}
    for chunk in chunks(athlete_ids):
        marks = ",".join("?" * len(chunk))
        for athlete_id, rule, subject in store.conn.execute(
            "SELECT n.athlete_id, a.rule, a.subject FROM sends s JOIN notices n ON"
            " n.id = s.notice_id JOIN alerts a ON a.id = n.alert_id WHERE s.status = 'pending'"
            f" AND n.athlete_id IN ({marks})",
            chunk,
        ):
            found.setdefault(str(athlete_id), set()).add((str(rule), str(subject)))
    return found


def cancel_resolved(store: Store, athlete_id: str, still: set[tuple[str, str]]) -> int:
    """Unsent alerts whose finding is gone (the run was deleted, the shoe reassigned) are
    cancelled: a resolved condition is not sent late."""
    rows = store.conn.execute(
        "SELECT s.id, a.rule, a.subject FROM sends s JOIN notices n ON n.id = s.notice_id"
        " JOIN alerts a ON a.id = n.alert_id WHERE n.athlete_id = ? AND s.status = 'pending'",
        (athlete_id,),
    ).fetchall()
    gone = [(send_id,) for send_id, rule, subject in rows if (rule, subject) not in still]
    store.conn.executemany(
        "UPDATE sends SET status = 'cancelled', last_error = 'resolved before it was sent'"
        " WHERE id = ? AND status = 'pending'",
        gone,
    )
    return len(gone)


def due(store: Store, now: datetime) -> list[Due]:
    rows = store.conn.execute(
        "SELECT s.id, s.channel, s.attempts, n.recipient, n.kind, n.payload FROM sends s"
        " JOIN notices n ON n.id = s.notice_id"
        " WHERE s.status = 'pending' AND s.next_try_at <= ? ORDER BY s.id",
        (iso(now),),
    ).fetchall()
    return [Due(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


def worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(store: Store, send_id: int, now: datetime) -> bool:
    """Take a pending send for this worker; False when another worker has it."""
    cur = store.conn.execute(
        "UPDATE sends SET status = 'sending', claimed_at = ?, claimed_by = ?"
        " WHERE id = ? AND status = 'pending'",
        (iso(now), worker(), send_id),
    )
    return cur.rowcount == 1


def sent(store: Store, send_id: int, now: datetime) -> None:
    store.conn.execute(
        "UPDATE sends SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = ''"
        " WHERE id = ?",
        (iso(now), send_id),
    )


def failed(store: Store, send_id: int, attempts: int, error: str, now: datetime) -> None:
    """Back to pending, tried again after a back-off that grows with each attempt."""
    wait = BACKOFF_S[min(attempts, len(BACKOFF_S) - 1)]
    store.conn.execute(
        "UPDATE sends SET status = 'pending', attempts = attempts + 1, last_error = ?,"
        " next_try_at = ?, claimed_at = NULL, claimed_by = NULL WHERE id = ?",
        (error[:500], iso(now + timedelta(seconds=wait)), send_id),
    )


def hold(store: Store, send_id: int, until: datetime) -> None:
    """Not now (the recipient's quiet hours): due again at ``until``."""
    store.conn.execute("UPDATE sends SET next_try_at = ? WHERE id = ?", (iso(until), send_id))


def dropped(store: Store, send_id: int, reason: str) -> None:
    store.conn.execute(
        "UPDATE sends SET status = 'dropped', last_error = ? WHERE id = ?", (reason, send_id)
    )


def alive(claimed_by: str | None) -> bool:
    """Whether the worker that claimed a send (or a scheduled run) may still be at it."""
    host, _, pid = (claimed_by or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's worker: only time tells (STALE_CLAIM)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(store: Store, now: datetime) -> int:
    """Sends claimed by a worker that died before it finished go back to pending: its
    process is gone, or its claim is older than any send takes. At least once: a send
    that died after the channel took it is sent again, never lost."""
    rows = store.conn.execute(
        "SELECT id, claimed_at, claimed_by FROM sends WHERE status = 'sending'"
    ).fetchall()
    stale = iso(now - STALE_CLAIM)
    dead = [(i,) for i, at, by in rows if (at or "") <= stale or not alive(by)]
    store.conn.executemany(
        "UPDATE sends SET status = 'pending', claimed_at = NULL, claimed_by = NULL"
        " WHERE id = ? AND status = 'sending'",
        dead,
    )
    return len(dead)


def has_notice(store: Store, recipient: str, kind: str, ref: str) -> bool:
    row = store.conn.execute(
        "SELECT 1 FROM notices WHERE recipient = ? AND kind = ? AND ref = ?", (recipient, kind, ref)
    ).fetchone()
    return row is not None


def last_digest(store: Store, recipient: str) -> dict[str, Any]:
    """The payload of the recipient's last digest ({} if none yet)."""
    row = store.conn.execute(
        "SELECT payload FROM notices WHERE recipient = ? AND kind = 'digest'"
        " ORDER BY id DESC LIMIT 1",
        (recipient,),
    ).fetchone()
    found: dict[str, Any] = json.loads(row[0]) if row else {}
    return found


def listing(store: Store, limit: int = 50) -> list[tuple[Any, ...]]:
    """The latest sends with their notices, newest first (``loadguard alerts outbox``)."""
    return store.conn.execute(
        "SELECT s.id, n.recipient, n.kind, n.ref, s.channel, s.status, s.attempts,"
        " s.next_try_at, s.sent_at, s.last_error FROM sends s"
        " JOIN notices n ON n.id = s.notice_id ORDER BY s.id DESC LIMIT ?",
        (limit,),
    ).fetchall()


# -- channels added from the CLI and the web: sealed at rest (store/channel_urls.py) -------


def stored_channels(store: Store) -> dict[str, list[str]]:
    """Recipient key -> its stored channel URLs, opened (SecretKeyError: the key)."""
    return channel_urls.stored_channels(store)


def add_channel(store: Store, recipient: str, url: str) -> bool:
    return channel_urls.add_channel(store, recipient, url)


def remove_channel(store: Store, recipient: str, url: str) -> bool:
    return channel_urls.remove_channel(store, recipient, url)


def stored_choices(store: Store) -> dict[str, tuple[str, str]]:
    """Recipient key -> (lowest severity worth a message, quiet hours) chosen on the web."""
    return {
        str(r): (str(s), str(q))
        for r, s, q in store.conn.execute(
            "SELECT recipient, min_severity, quiet_hours FROM alert_choices"
        )
    }


def save_choices(store: Store, recipient: str, min_severity: str, quiet_hours: str) -> None:
    store.conn.execute(
        "INSERT INTO alert_choices (recipient, min_severity, quiet_hours, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (recipient) DO UPDATE SET"
        " min_severity = excluded.min_severity, quiet_hours = excluded.quiet_hours,"
        " updated_at = excluded.updated_at",
        (recipient, min_severity, quiet_hours, now_iso()),
    )


def digest_times(store: Store) -> dict[str, str]:
    """Recipient key -> the digest time a coach chose on the web ('HH:MM' or 'off')."""
    return {
        str(r): str(d)
        for r, d in store.conn.execute(
            "SELECT recipient, digest_at FROM alert_choices WHERE digest_at <> ''"
        )
    }


def save_digest_time(store: Store, recipient: str, digest_at: str) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO alert_choices (recipient, min_severity, digest_at, updated_at)"
            " VALUES (?, 'warning', ?, ?) ON CONFLICT (recipient) DO UPDATE SET"
            " digest_at = excluded.digest_at, updated_at = excluded.updated_at",
            (recipient, digest_at, now_iso()),
        )
