"""An athlete's every record, for "download my data" (GDPR art. 15 and 20), and erasing
them (art. 17). Secrets (tokens, password hashes) are never exported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from loadguard.store.db import Store

# table -> the query for one athlete's rows (``?`` is the athlete id); no secrets
TABLES: dict[str, str] = {
    "athlete": "SELECT id, name, plan_id, plan_start, timezone, language, created_at"
    " FROM athletes WHERE id = ?",
    "activities": "SELECT id, raw_id, source, source_id, sport, sub_sport, name, description,"
    " device, gear_id, start_utc, utc_offset_s, distance_m, timer_s, elapsed_s, run_s, walk_s,"
    " run_bouts, walk_bouts, longest_run_s, duplicate_of, shoe_id FROM activities"
    " WHERE athlete_id = ? ORDER BY start_utc",
    "surfaces": "SELECT s.* FROM activity_surfaces s JOIN activities a ON a.id = s.activity_id"
    " WHERE a.athlete_id = ? ORDER BY s.activity_id",
    "corrections": "SELECT source, source_id, deleted_at, label, tags, updated_at"
    " FROM run_corrections WHERE athlete_id = ?",
    "shoes": "SELECT id, name, initial_km, heel_stack_mm, drop_mm, minimalist, default_from,"
    " retired_on, gear_id, created_at FROM shoes WHERE athlete_id = ? ORDER BY id",
    "pain": "SELECT day, moment, score, activity_id, source, created_at FROM pain_entries"
    " WHERE athlete_id = ? ORDER BY day, moment",
    "symptoms": "SELECT day, kind, note, created_at FROM symptoms WHERE athlete_id = ?"
    " ORDER BY day",
    "conditions": "SELECT condition FROM conditions WHERE athlete_id = ?",
    "findings": "SELECT g.as_of, g.trigger, f.rule, f.severity, f.date, f.plan_week, f.value,"
    ' f."limit", f.message, f.evidence, f.subject, f.detail FROM findings f'
    " JOIN guard_runs g ON g.id = f.run_id WHERE f.athlete_id = ? ORDER BY g.id",
    "alerts": "SELECT rule, subject, severity, date, message, evidence, created_at FROM alerts"
    " WHERE athlete_id = ? ORDER BY id",
    "alert_choices": "SELECT min_severity, quiet_hours, updated_at FROM alert_choices"
    " WHERE recipient = 'athlete:' || ?",
    "places": "SELECT name, surface, geojson, created_at FROM places WHERE athlete_id = ?",
    "connections": "SELECT source, external_id, status, status_note, updated_at FROM accounts"
    " WHERE athlete_id = ?",
    "import_failures": "SELECT source, origin, reason, first_seen, last_tried, attempts"
    " FROM import_failures WHERE athlete_id = ?",
    "user": "SELECT email, name, roles, language, created_at FROM users WHERE athlete_id = ?",
    "consent": "SELECT at, coach_name, event, scope FROM consent_log WHERE athlete_id = ?"
    " ORDER BY id",
    "notes": "SELECT n.created_at, u.name AS coach, n.by_coach, n.finding, n.body, n.read_at"
    " FROM notes n JOIN users u ON u.id = n.coach_id WHERE n.athlete_id = ? AND n.shared = 1"
    " ORDER BY n.id",
    "stage_adjustments": "SELECT created_at, coach_name, kind, plan_week, to_week, reason"
    " FROM stage_adjustments WHERE athlete_id = ? ORDER BY id",
}


def rows(store: Store, athlete_id: str, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and rows of one exported table."""
    cur = store.conn.execute(TABLES[table], (athlete_id,))
    return [d[0] for d in cur.description], cur.fetchall()


def raw_files(store: Store, athlete_id: str) -> Iterator[tuple[int, str, str, bytes]]:
    """Every raw record as imported: id, source, origin, bytes (one at a time)."""
    ids = store.conn.execute(
        "SELECT id FROM raw_records WHERE athlete_id = ? ORDER BY id", (athlete_id,)
    ).fetchall()
    for (raw_id,) in ids:
        row = store.conn.execute(
            "SELECT source, origin, payload FROM raw_records WHERE id = ?", (raw_id,)
        ).fetchone()
        yield raw_id, str(row[0]), str(row[1]), bytes(row[2])


def erase(store: Store, athlete_id: str, user_id: int | None, email: str | None) -> None:
    """The athlete and everything that hangs on them (foreign keys cascade), their alert
    channels, their account, its sessions and its sign-in record: one transaction. Then
    what is kept beside the store of them: their kept reports and the columnar copy's
    bucket that holds their runs."""
    from loadguard.store import kept_reports, snapshot  # polars: only when one is erased

    with store.atomic():
        for table in ("alert_channels", "alert_choices"):
            store.conn.execute(
                f"DELETE FROM {table} WHERE recipient = ?", (f"athlete:{athlete_id}",)
            )
        store.conn.execute("DELETE FROM notices WHERE recipient = ?", (f"athlete:{athlete_id}",))
        store.conn.execute("DELETE FROM athletes WHERE id = ?", (athlete_id,))
        if user_id is not None:
            store.conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        if email:
            store.conn.execute("DELETE FROM login_attempts WHERE email = ?", (email,))
    kept_reports.forget_athlete(store, athlete_id)
    snapshot.forget_athlete(store, athlete_id)
