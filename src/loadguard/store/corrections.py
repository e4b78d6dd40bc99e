"""The runner's corrections to a run: deleted (and restored), relabelled, surface tags.

A correction is keyed by the run's source and the source's id for it, not by the
activity row, so it outlives a rebuild or an edit pushed by Strava, both of which
normalise the run again. The raw bytes always stay: a deleted run is never
imported again, and ``runs --deleted`` lists it for a restore. The shoe a run was
in is a column of the activity itself (``activities.shoe_id``).
"""

from __future__ import annotations

from dataclasses import dataclass

from loadguard.store.db import Store, StoreError, now_iso

# What a run can be relabelled as: "run" makes an activity count as running again.
LABELS = ("run", "walk", "hike", "cross_training", "not_mine")

# The corrections, joined as ``c`` onto ``activities a``: a deleted run and one that was
# "not mine" do not count; a relabelled one counts as what it was.
CORRECTED = (
    "LEFT JOIN run_corrections c ON c.athlete_id = a.athlete_id AND c.source = a.source"
    " AND c.source_id = a.source_id"
)
COUNTED = "c.deleted_at IS NULL AND c.label IS DISTINCT FROM 'not_mine'"
# An activity held for review (implausible values, :mod:`loadguard.sources.plausible`)
# counts once the runner accepts it; a pain entry the runner gave counts regardless.
NOT_HELD = "(a.quarantine IS NULL OR c.accepted_at IS NOT NULL)"
SPORT_AS_LABELLED = (
    "CASE c.label WHEN 'run' THEN 'running' WHEN 'walk' THEN 'walking' WHEN 'hike' THEN"
    " 'hiking' WHEN 'cross_training' THEN 'cross_training' ELSE a.sport END"
)


@dataclass(frozen=True)
class RunRef:
    """One stored activity as the runner sees it in `runs`, with its corrections."""

    id: int
    source: str
    source_id: str
    start_utc: int
    utc_offset_s: int
    sport: str
    distance_m: float
    deleted_at: str | None
    label: str | None
    tags: str | None
    held: str | None = None  # why its values cannot be right (JSON), None for most runs
    accepted_at: str | None = None  # when the runner said it is right after all

    @property
    def waiting(self) -> bool:
        """Held for review and not yet accepted (nor deleted)."""
        return self.held is not None and self.accepted_at is None and self.deleted_at is None


_REF = (
    "a.id, a.source, a.source_id, a.start_utc, a.utc_offset_s, a.sport, a.distance_m,"
    " c.deleted_at, c.label, c.tags, a.quarantine, c.accepted_at"
)


def held(store: Store, athlete_id: str) -> list[RunRef]:
    """The athlete's activities held for review and not yet accepted or deleted (the
    duplicates of a counted run left out: they never count), newest first."""
    rows = store.conn.execute(
        f"SELECT {_REF} FROM activities a {CORRECTED} WHERE a.athlete_id = ?"
        " AND a.quarantine IS NOT NULL AND c.accepted_at IS NULL AND c.deleted_at IS NULL"
        " AND a.duplicate_of IS NULL ORDER BY a.start_utc DESC",
        (athlete_id,),
    ).fetchall()
    return [RunRef(*r) for r in rows]


def set_accepted(store: Store, athlete_id: str, run: RunRef) -> None:
    _set(store, athlete_id, run, "accepted_at", now_iso())


def run_ref(store: Store, athlete_id: str, activity_id: int) -> RunRef:
    """The athlete's activity with this id; StoreError naming it when there is none."""
    row = store.conn.execute(
        f"SELECT {_REF} FROM activities a {CORRECTED} WHERE a.athlete_id = ? AND a.id = ?",
        (athlete_id, activity_id),
    ).fetchone()
    if row is None:
        raise StoreError(
            f"athlete {athlete_id!r} has no run {activity_id}: `loadguard runs` lists the ids"
            " (and `loadguard runs --deleted` the deleted ones)"
        )
    return RunRef(*row)


def set_aside(store: Store, athlete_id: str) -> list[RunRef]:
    """The athlete's activities that a correction took out of their runs (deleted, or
    relabelled as something other than a run), newest first."""
    rows = store.conn.execute(
        f"SELECT {_REF} FROM activities a {CORRECTED}"
        " WHERE a.athlete_id = ? AND (c.deleted_at IS NOT NULL OR c.label <> 'run')"
        " ORDER BY a.start_utc DESC",
        (athlete_id,),
    ).fetchall()
    return [RunRef(*r) for r in rows]


def _set(store: Store, athlete_id: str, run: RunRef, column: str, value: str | None) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO run_corrections (athlete_id, source, source_id, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (athlete_id, run.source, run.source_id, now_iso()),
        )
        store.conn.execute(
            f"UPDATE run_corrections SET {column} = ?, updated_at = ?"
            " WHERE athlete_id = ? AND source = ? AND source_id = ?",
            (value, now_iso(), athlete_id, run.source, run.source_id),
        )


def set_deleted(store: Store, athlete_id: str, run: RunRef, deleted: bool) -> None:
    _set(store, athlete_id, run, "deleted_at", now_iso() if deleted else None)


def set_label(store: Store, athlete_id: str, run: RunRef, label: str | None) -> None:
    if label is not None and label not in LABELS:
        raise StoreError(
            f"label {label!r} is not one of {', '.join(LABELS)}", key="label", value=label
        )
    _set(store, athlete_id, run, "label", label)


def set_tags(store: Store, athlete_id: str, run: RunRef, tags: str | None) -> None:
    _set(store, athlete_id, run, "tags", tags)
