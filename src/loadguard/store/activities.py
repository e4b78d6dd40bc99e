"""Raw records and the normalised activities made from them, in the store.

A raw record and the activities normalised from it are written in one
transaction: either both are stored or neither. The same run arriving twice
(another file, another source) is kept but marked ``duplicate_of`` the first,
so it never counts twice and nothing stored is lost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from loadguard.contract import EXTERNAL_ID, Activity, RawRecord
from loadguard.store.corrections import CORRECTED, COUNTED, NOT_HELD, SPORT_AS_LABELLED
from loadguard.store.db import Store, StoreError, now_iso
from loadguard.store.pain import add_pain
from loadguard.store.sql import json_field
from loadguard.store.surfaces import COLUMNS as SURFACE_COLUMNS
from loadguard.store.surfaces import save_mix
from loadguard.surfaces.classes import SURFACE_CLASSES

if TYPE_CHECKING:
    from loadguard.sources.normalise import Normalised
    from loadguard.surfaces.mix import SurfaceMix

# Two activities are the same run when they start within this many seconds
# and their distances differ by at most DUPLICATE_DISTANCE (share) or 50 m.
DUPLICATE_START_S = 120
DUPLICATE_DISTANCE = 0.03


@dataclass(frozen=True)
class StoredActivity:
    id: int
    duplicate_of: int | None


def has_raw(store: Store, athlete_id: str, source: str, key: str) -> bool:
    row = store.conn.execute(
        "SELECT 1 FROM raw_records WHERE athlete_id = ? AND source = ? AND key = ?",
        (athlete_id, source, key),
    ).fetchone()
    return row is not None


def known_keys(store: Store, athlete_id: str, source: str, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the athlete has a raw record of from ``source`` (one query per
    500 keys: an import asks for a batch of files at once)."""
    found: set[str] = set()
    for at in range(0, len(keys), 500):
        part = keys[at : at + 500]
        rows = store.conn.execute(
            "SELECT key FROM raw_records WHERE athlete_id = ? AND source = ?"
            f" AND key IN ({','.join('?' * len(part))})",
            (athlete_id, source, *part),
        ).fetchall()
        found.update(str(r[0]) for r in rows)
    return found


def _find_duplicate(store: Store, athlete_id: str, activity: Activity) -> int | None:
    """The counted activity this one repeats: the same id at the service both came from
    (an export's run seen again through the API), else the same sport started within
    DUPLICATE_START_S and as long within DUPLICATE_DISTANCE."""
    start = int(activity.start_utc.timestamp())
    tolerance = max(50.0, activity.distance_m * DUPLICATE_DISTANCE)
    rows = store.conn.execute(
        "SELECT id, sport, distance_m, extras FROM activities WHERE athlete_id = ?"
        " AND duplicate_of IS NULL AND quarantine IS NULL AND start_utc BETWEEN ? AND ?"
        " AND NOT (source = ? AND source_id = ?) ORDER BY ABS(start_utc - ?)",
        (
            athlete_id,
            start - DUPLICATE_START_S,
            start + DUPLICATE_START_S,
            activity.source,
            activity.source_id,
            start,
        ),
    ).fetchall()
    external = activity.extras.get(EXTERNAL_ID)
    if external:
        for row in rows:
            if json.loads(row[3] or "{}").get(EXTERNAL_ID) == external:
                return int(row[0])
    for row in rows:
        if row[1] == activity.sport and abs(row[2] - activity.distance_m) <= tolerance:
            return int(row[0])
    return None


def store_raw_with_activities(
    store: Store, athlete_id: str, raw: RawRecord, normalised: Normalised
) -> list[StoredActivity]:
    """Store one raw record and its activities atomically.

    Each activity comes with its resolved UTC offset, where the offset came
    from ('source' or 'timezone') and its run/walk structure (or None).
    """
    with store.atomic():
        raw_id = _insert_raw(store, athlete_id, raw, now_iso())
        stored = _insert_activities(store, athlete_id, raw_id, normalised)
        store.clear_failure(athlete_id, raw.source, raw.origin)
    return stored


def store_many(
    store: Store, athlete_id: str, records: Sequence[tuple[RawRecord, Normalised]]
) -> list[list[StoredActivity]]:
    """:func:`store_raw_with_activities` for several records in one savepoint: all of them
    or none (an import's batch of files: it falls back to one by one when this raises).
    The surface mixes go in and the records' failures go out in one statement each."""
    stamp = now_iso()
    mixes: list[tuple[int, SurfaceMix]] = []
    with store.atomic():
        stored = [
            _insert_activities(
                store, athlete_id, _insert_raw(store, athlete_id, raw, stamp), normalised, mixes
            )
            for raw, normalised in records
        ]
        if mixes:
            store.conn.executemany(
                f"INSERT INTO activity_surfaces (activity_id, {', '.join(SURFACE_COLUMNS)},"
                f" method, computed_at) VALUES (?, {', '.join('?' * len(SURFACE_COLUMNS))}, ?, ?)",
                [
                    (
                        activity_id,
                        *(mix.metres.get(c, 0.0) for c in SURFACE_CLASSES),
                        mix.method,
                        stamp,
                    )
                    for activity_id, mix in mixes
                ],
            )
        store.conn.executemany(
            "DELETE FROM import_failures WHERE athlete_id = ? AND source = ? AND origin = ?",
            [(athlete_id, raw.source, raw.origin) for raw, _ in records],
        )
    return stored


def _insert_raw(store: Store, athlete_id: str, raw: RawRecord, stamp: str) -> int:
    values = {
        "athlete_id": athlete_id,
        "source": raw.source,
        "key": raw.key,
        "media_type": raw.media_type,
        "origin": raw.origin,
        "received_at": stamp,
    }
    return store.conn.insert_blob("raw_records", values, "payload", raw.payload)


def raw_records(store: Store, athlete_id: str) -> list[tuple[int, RawRecord]]:
    rows = store.conn.execute(
        "SELECT id, source, key, payload, media_type, origin FROM raw_records"
        " WHERE athlete_id = ? ORDER BY id",
        (athlete_id,),
    ).fetchall()
    return [(r[0], RawRecord(r[1], r[2], r[3], r[4], r[5])) for r in rows]


def replace_activities(
    store: Store, athlete_id: str, raw_id: int, normalised: Normalised
) -> list[StoredActivity]:
    """Swap the activities of one stored raw record for a fresh normalisation, atomically,
    keeping each activity's explicit shoe assignment."""
    with store.atomic():
        shoes = dict(
            store.conn.execute(
                "SELECT source_id, shoe_id FROM activities WHERE raw_id = ? AND shoe_id IS NOT NULL",
                (raw_id,),
            ).fetchall()
        )
        store.conn.execute("DELETE FROM activities WHERE raw_id = ?", (raw_id,))
        stored = _insert_activities(store, athlete_id, raw_id, normalised)
        for source_id, shoe_id in shoes.items():
            store.conn.execute(
                "UPDATE activities SET shoe_id = ? WHERE raw_id = ? AND source_id = ?",
                (shoe_id, raw_id, source_id),
            )
    return stored


def _insert_activities(
    store: Store,
    athlete_id: str,
    raw_id: int,
    normalised: Normalised,
    mixes: list[tuple[int, SurfaceMix]] | None = None,
) -> list[StoredActivity]:
    """The activities of one raw record; their surface mixes are saved, or, given
    ``mixes``, added to it for the caller to save with others."""
    stored: list[StoredActivity] = []
    for prepared in normalised:
        activity, offset, rw = prepared.activity, prepared.offset, prepared.structure
        duplicate_of = _find_duplicate(store, athlete_id, activity)
        cur = store.conn.execute(
            "INSERT INTO activities (athlete_id, raw_id, source, source_id, sport, sub_sport,"
            " name, description, device, gear_id, start_utc, utc_offset_s, offset_from,"
            " distance_m, timer_s, elapsed_s, run_s, walk_s, run_bouts, walk_bouts,"
            " longest_run_s, extras, duplicate_of, quarantine)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(athlete_id, source, source_id) DO NOTHING RETURNING id",
            (
                athlete_id,
                raw_id,
                activity.source,
                activity.source_id,
                activity.sport,
                activity.sub_sport,
                activity.name,
                activity.description,
                activity.device,
                activity.gear_id,
                int(activity.start_utc.timestamp()),
                int(offset.total_seconds()),
                prepared.offset_from,
                activity.distance_m,
                activity.timer_s,
                activity.elapsed_s,
                rw.run_s if rw else None,
                rw.walk_s if rw else None,
                rw.run_bouts if rw else None,
                rw.walk_bouts if rw else None,
                rw.longest_run_s if rw else None,
                json.dumps(dict(activity.extras)),
                duplicate_of,
                prepared.held.to_json() if prepared.held is not None else None,
            ),
        )
        inserted = cur.fetchone()
        if inserted is None:  # the same activity id from another raw record: keep the first
            continue
        activity_id = int(inserted[0])
        if prepared.surfaces is not None and mixes is not None:
            mixes.append((activity_id, prepared.surfaces))
        elif prepared.surfaces is not None:
            save_mix(store, activity_id, prepared.surfaces)
        if prepared.pain is not None:
            local_day = (activity.start_utc + offset).date()
            add_pain(
                store,
                athlete_id,
                local_day,
                "after",
                prepared.pain,
                activity_id=activity_id,
                source="activity",
            )
        stored.append(StoredActivity(activity_id, duplicate_of))
    return stored


def activity_id(store: Store, athlete_id: str, activity: Activity) -> int | None:
    row = store.conn.execute(
        "SELECT id FROM activities WHERE athlete_id = ? AND source = ? AND source_id = ?",
        (athlete_id, activity.source, activity.source_id),
    ).fetchone()
    return None if row is None else int(row[0])


def raw_of(store: Store, activity_id: int) -> tuple[RawRecord, str] | None:
    """The raw record an activity was normalised from, and the activity's source id."""
    row = store.conn.execute(
        "SELECT r.source, r.key, r.payload, r.media_type, r.origin, a.source_id"
        " FROM activities a JOIN raw_records r ON r.id = a.raw_id WHERE a.id = ?",
        (activity_id,),
    ).fetchone()
    return None if row is None else (RawRecord(*row[:5]), row[5])


def assign_shoe(store: Store, athlete_id: str, activity_id: int, shoe_id: int | None) -> None:
    with store.atomic():
        cur = store.conn.execute(
            "UPDATE activities SET shoe_id = ? WHERE id = ? AND athlete_id = ?",
            (shoe_id, activity_id, athlete_id),
        )
    if cur.rowcount == 0:
        raise StoreError(f"athlete {athlete_id!r} has no activity {activity_id}")


def epoch_to_utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def upsert_raw_with_activities(
    store: Store, athlete_id: str, raw: RawRecord, normalised: Normalised
) -> list[StoredActivity]:
    """Store a raw record, or replace the one with the same key (an edited activity) and
    its activities, atomically; explicit shoe choices survive the replacement."""
    row = store.conn.execute(
        "SELECT id FROM raw_records WHERE athlete_id = ? AND source = ? AND key = ?",
        (athlete_id, raw.source, raw.key),
    ).fetchone()
    if row is None:
        return store_raw_with_activities(store, athlete_id, raw, normalised)
    with store.atomic():
        store.conn.execute(
            "UPDATE raw_records SET payload = ?, media_type = ?, origin = ?, received_at = ?"
            " WHERE id = ?",
            (raw.payload, raw.media_type, raw.origin, now_iso(), row[0]),
        )
        return replace_activities(store, athlete_id, int(row[0]), normalised)


def delete_raw(store: Store, athlete_id: str, source: str, key: str) -> int:
    """Remove a raw record and its activities; a duplicate of them counts again."""
    with store.atomic():
        cur = store.conn.execute(
            "DELETE FROM raw_records WHERE athlete_id = ? AND source = ? AND key = ?",
            (athlete_id, source, key),
        )
    return cur.rowcount


def delete_source(store: Store, athlete_id: str, source: str) -> int:
    """Remove everything one source delivered for an athlete (a revoked authorisation)."""
    with store.atomic():
        cur = store.conn.execute(
            "DELETE FROM raw_records WHERE athlete_id = ? AND source = ?", (athlete_id, source)
        )
    return cur.rowcount


def raw_payload(store: Store, athlete_id: str, source: str, key: str) -> bytes | None:
    row = store.conn.execute(
        "SELECT payload FROM raw_records WHERE athlete_id = ? AND source = ? AND key = ?",
        (athlete_id, source, key),
    ).fetchone()
    return None if row is None else bytes(row[0])


def gear_distance_m(store: Store, athlete_id: str, gear_id: str) -> float:
    """Metres of counted activities recorded with a provider's gear id."""
    row = store.conn.execute(
        f"SELECT COALESCE(SUM(a.distance_m), 0) FROM activities a {CORRECTED}"
        f" WHERE a.athlete_id = ? AND a.gear_id = ? AND a.duplicate_of IS NULL AND {COUNTED} AND {NOT_HELD}",
        (athlete_id, gear_id),
    ).fetchone()
    return float(row[0])


def jog_speeds(store: Store, athlete_id: str, key: str, last: int = 20) -> list[float]:
    """How slowly the athlete jogged in their latest runs that had cadence (the
    normaliser keeps it in the activity's extras under ``key``), newest first."""
    extra = json_field(store.dialect, "a.extras")
    rows = store.conn.execute(
        f"SELECT {extra} FROM activities a {CORRECTED}"
        f" WHERE a.athlete_id = ? AND a.duplicate_of IS NULL AND {COUNTED} AND {NOT_HELD}"
        f" AND c.label IS NULL AND {extra} IS NOT NULL"
        " ORDER BY a.start_utc DESC LIMIT ?",
        (key, athlete_id, key, last),
    ).fetchall()
    return [float(r[0]) for r in rows]


def last_local_day(store: Store, athlete_id: str) -> date | None:
    """The local day of the athlete's latest activity."""
    row = store.conn.execute(
        "SELECT MAX(start_utc + utc_offset_s) FROM activities WHERE athlete_id = ?",
        (athlete_id,),
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return datetime.fromtimestamp(int(row[0]), UTC).date()


def longest_run_s(store: Store, athlete_id: str, since: datetime) -> float | None:
    """The longest counted run's moving time since ``since`` (None: no run)."""
    sport = SPORT_AS_LABELLED
    row = store.conn.execute(
        f"SELECT MAX(a.timer_s) FROM activities a {CORRECTED}"
        f" WHERE a.athlete_id = ? AND a.duplicate_of IS NULL AND {COUNTED} AND {NOT_HELD}"
        f" AND {sport} = 'running' AND a.start_utc >= ?",
        (athlete_id, int(since.timestamp())),
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])
