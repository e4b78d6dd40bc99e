"""Pain entries, symptoms and conditions in the store (as frames for the guard: :mod:`.frames`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from loadguard.store.corrections import CORRECTED, COUNTED, NOT_HELD, SPORT_AS_LABELLED
from loadguard.store.db import Store, now_iso


def add_pain(
    store: Store,
    athlete_id: str,
    day: date,
    moment: str,
    score: int,
    *,
    activity_id: int | None = None,
    source: str = "log",
) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO pain_entries (athlete_id, day, moment, score, activity_id, source,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (athlete_id, day.isoformat(), moment, score, activity_id, source, now_iso()),
        )


def set_logged_pain(
    store: Store, athlete_id: str, day: date, moment: str, score: int
) -> int | None:
    """The runner's own score for a day and moment, replacing the one they logged there
    before (scores read from titles stay); returns the score it replaced, if any."""
    with store.atomic():
        previous = remove_logged_pain(store, athlete_id, day, moment)
        add_pain(store, athlete_id, day, moment, score)
    return previous


def remove_logged_pain(store: Store, athlete_id: str, day: date, moment: str) -> int | None:
    """Take back the score the runner logged for a day and moment; returns it, if any."""
    where = "athlete_id = ? AND day = ? AND moment = ? AND source = 'log'"
    args = (athlete_id, day.isoformat(), moment)
    with store.atomic():
        row = store.conn.execute(
            f"SELECT score FROM pain_entries WHERE {where} ORDER BY id DESC LIMIT 1", args
        ).fetchone()
        store.conn.execute(f"DELETE FROM pain_entries WHERE {where}", args)
    return None if row is None else int(row[0])


def _epoch(day: date) -> int:
    """A local day's start as the epoch seconds of local time (start_utc + offset)."""
    return int(datetime.combine(day, time(), UTC).timestamp())


def run_on(store: Store, athlete_id: str, day: date) -> int | None:
    """The (last) counted run of a local day, to link a pain entry to."""
    row = store.conn.execute(
        f"SELECT a.id FROM activities a {CORRECTED} WHERE a.athlete_id = ?"
        f" AND {SPORT_AS_LABELLED} = 'running' AND a.duplicate_of IS NULL AND {COUNTED} AND {NOT_HELD}"
        " AND a.start_utc + a.utc_offset_s >= ? AND a.start_utc + a.utc_offset_s < ?"
        " ORDER BY a.start_utc DESC LIMIT 1",
        (athlete_id, _epoch(day), _epoch(day + timedelta(days=1))),
    ).fetchone()
    return None if row is None else int(row[0])


def add_symptom(store: Store, athlete_id: str, day: date, kind: str, note: str = "") -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO symptoms (athlete_id, day, kind, note, created_at) VALUES (?, ?, ?, ?, ?)",
            (athlete_id, day.isoformat(), kind, note, now_iso()),
        )


def add_condition(store: Store, athlete_id: str, condition: str) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO conditions (athlete_id, condition) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (athlete_id, condition),
        )


def conditions(store: Store, athlete_id: str) -> list[str]:
    rows = store.conn.execute(
        "SELECT condition FROM conditions WHERE athlete_id = ? ORDER BY condition", (athlete_id,)
    ).fetchall()
    return [r[0] for r in rows]
