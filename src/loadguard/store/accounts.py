"""Connected accounts (a provider's athlete linked to ours) and the events providers push.

Secrets are stored as the connector hands them over (already encrypted);
events are queued once by their key, however often they are delivered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from loadguard.contract import Account
from loadguard.store.db import Store, now_iso


@dataclass(frozen=True)
class Event:
    id: int
    source: str
    key: str
    payload: dict[str, Any]
    attempts: int


_ACCOUNT_COLUMNS = "athlete_id, source, external_id, secret, state, status, status_note"


def _account(row: tuple[Any, ...]) -> Account:
    return Account(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])


def save_account(
    store: Store, athlete_id: str, source: str, external_id: str, secret: bytes
) -> Account:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO accounts (athlete_id, source, external_id, secret, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(athlete_id, source) DO UPDATE SET"
            " external_id = excluded.external_id, secret = excluded.secret,"
            " status = 'active', status_note = '', updated_at = excluded.updated_at",
            (athlete_id, source, external_id, secret, now_iso()),
        )
    found = account(store, athlete_id, source)
    assert found is not None
    return found


def account(store: Store, athlete_id: str, source: str) -> Account | None:
    row = store.conn.execute(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE athlete_id = ? AND source = ?",
        (athlete_id, source),
    ).fetchone()
    return None if row is None else _account(row)


def account_by_external(store: Store, source: str, external_id: str) -> Account | None:
    row = store.conn.execute(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE source = ? AND external_id = ?",
        (source, external_id),
    ).fetchone()
    return None if row is None else _account(row)


def accounts(store: Store, source: str, status: str | None = None) -> list[Account]:
    rows = store.conn.execute(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE source = ?"
        " AND (? IS NULL OR status = ?) ORDER BY athlete_id",
        (source, status, status),
    ).fetchall()
    return [_account(r) for r in rows]


def update_account(
    store: Store,
    athlete_id: str,
    source: str,
    *,
    secret: bytes | None = None,
    clear_secret: bool = False,
    state: dict[str, Any] | None = None,
    status: str | None = None,
    note: str | None = None,
) -> None:
    sets, args = ["updated_at = ?"], [now_iso()]
    if secret is not None or clear_secret:
        sets.append("secret = ?")
        args.append(secret)  # type: ignore[arg-type]
    if state is not None:
        sets.append("state = ?")
        args.append(json.dumps(state))
    if status is not None:
        sets.append("status = ?")
        args.append(status)
    if note is not None:
        sets.append("status_note = ?")
        args.append(note)
    with store.atomic():
        store.conn.execute(
            f"UPDATE accounts SET {', '.join(sets)} WHERE athlete_id = ? AND source = ?",
            (*args, athlete_id, source),
        )


def queue_event(store: Store, source: str, key: str, payload: dict[str, Any]) -> int | None:
    """Queue an event once: its id, or None when the same event (same key) was queued
    before."""
    with store.atomic():
        row = store.conn.execute(
            "INSERT INTO events (source, key, payload, received_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(source, key) DO NOTHING RETURNING id",
            (source, key, json.dumps(payload), now_iso()),
        ).fetchone()
    return None if row is None else int(row[0])


def still_pending(store: Store, source: str, key: str) -> int | None:
    """The id of the event with this key if it is stored and not yet processed."""
    row = store.conn.execute(
        "SELECT id FROM events WHERE source = ? AND key = ? AND status = 'pending'", (source, key)
    ).fetchone()
    return None if row is None else int(row[0])


def pending_event(store: Store, event_id: int) -> Event | None:
    row = store.conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = ? AND status = 'pending'", (event_id,)
    ).fetchone()
    return None if row is None else _event(row)


def stale_events(store: Store, older_than: str) -> list[int]:
    """Pending events received before ``older_than`` (UTC ISO): ones whose task may never
    have been queued (the server stopped between storing and queueing)."""
    rows = store.conn.execute(
        "SELECT id FROM events WHERE status = 'pending' AND received_at < ? ORDER BY id",
        (older_than,),
    ).fetchall()
    return [int(r[0]) for r in rows]


def pending_events(store: Store, limit: int = 100) -> list[Event]:
    rows = store.conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE status = 'pending' ORDER BY id LIMIT ?",
        (limit,),
    ).fetchall()
    return [_event(r) for r in rows]


_EVENT_COLUMNS = "id, source, key, payload, attempts"


def _event(row: tuple[Any, ...]) -> Event:
    return Event(row[0], row[1], row[2], json.loads(row[3]), row[4])


def finish_event(store: Store, event_id: int, status: str, note: str = "") -> None:
    with store.atomic():
        store.conn.execute(
            "UPDATE events SET status = ?, note = ?, attempts = attempts + 1, processed_at = ?"
            " WHERE id = ?",
            (status, note, now_iso(), event_id),
        )


def connector_state(store: Store, source: str) -> dict[str, Any]:
    row = store.conn.execute(
        "SELECT state FROM connector_state WHERE source = ?", (source,)
    ).fetchone()
    return {} if row is None else dict(json.loads(row[0]))


def save_connector_state(store: Store, source: str, state: dict[str, Any]) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO connector_state (source, state, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (source) DO UPDATE SET state = excluded.state,"
            " updated_at = excluded.updated_at",
            (source, json.dumps(state), now_iso()),
        )
