"""The store's rows as the polars frames the guard's metrics read, for one athlete or many
at once (one query per table for a batched pass).

Kept apart from the row modules so that a command that only reads or writes rows never
imports polars."""

from __future__ import annotations

from datetime import date

import polars as pl

from loadguard.guard.footwear import SHOE_SCHEMA
from loadguard.guard.stages import PAIN_SCHEMA as PAIN_SCHEMA
from loadguard.store.corrections import CORRECTED, COUNTED, NOT_HELD, SPORT_AS_LABELLED
from loadguard.store.db import Store
from loadguard.surfaces.classes import SURFACE_CLASSES

ACTIVITY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "athlete_id": pl.String,
    "activity_id": pl.Int64,
    "source": pl.String,
    "sport": pl.String,
    "sub_sport": pl.String,
    "name": pl.String,
    "description": pl.String,
    "gear_id": pl.String,
    "start_utc": pl.Int64,
    "utc_offset_s": pl.Int64,
    "distance_m": pl.Float64,
    "timer_s": pl.Float64,
    "elapsed_s": pl.Float64,
    "run_s": pl.Float64,
    "walk_s": pl.Float64,
    "run_bouts": pl.Int64,
    "walk_bouts": pl.Int64,
    "longest_run_s": pl.Float64,
    "shoe_id": pl.Int64,
}
# metres per surface class from the GPS track (null: not computed for this activity)
STORED_SURFACE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    f"stored_{c}_m": pl.Float64 for c in SURFACE_CLASSES
}


def empty_activities() -> pl.DataFrame:
    """:func:`activities_frame`'s columns, with no rows."""
    schema = ACTIVITY_SCHEMA | STORED_SURFACE_SCHEMA | {"has_track": pl.Boolean}
    return with_time_columns(pl.DataFrame(schema=schema))


def activities_frame(store: Store, athlete_ids: list[str]) -> pl.DataFrame:
    """Every counted (non-duplicate) activity of these athletes, one row each.

    ``start_utc`` becomes a UTC datetime; ``start_local`` is the naive local
    wall-clock time (utc + offset), which is what plan weeks are counted in.
    """
    if not athlete_ids:
        return empty_activities()
    marks = ",".join("?" * len(athlete_ids))
    # a run the runner tagged takes its surfaces from the tags, not from the GPS track
    stored = ", ".join(f"CASE WHEN c.tags IS NULL THEN s.{c}_m END" for c in SURFACE_CLASSES)
    rows = store.conn.execute(
        f"SELECT a.athlete_id, a.id, a.source, {SPORT_AS_LABELLED}, a.sub_sport, a.name,"
        " TRIM(a.description || ' ' || COALESCE(c.tags, '')),"
        " a.gear_id, a.start_utc, a.utc_offset_s, a.distance_m, a.timer_s, a.elapsed_s, a.run_s,"
        f" a.walk_s, a.run_bouts, a.walk_bouts, a.longest_run_s, a.shoe_id, {stored},"
        " CASE WHEN s.method = 'gps' THEN 1 ELSE 0 END"
        f" FROM activities a LEFT JOIN activity_surfaces s ON s.activity_id = a.id {CORRECTED}"
        f" WHERE a.athlete_id IN ({marks}) AND a.duplicate_of IS NULL AND {COUNTED} AND {NOT_HELD}"
        " ORDER BY a.athlete_id, a.start_utc",
        athlete_ids,
    ).fetchall()
    frame = pl.DataFrame(
        rows,
        schema=ACTIVITY_SCHEMA | STORED_SURFACE_SCHEMA | {"has_track": pl.Boolean},
        orient="row",
    )
    return with_time_columns(frame)


def shoes_frame(store: Store, athlete_ids: list[str]) -> pl.DataFrame:
    """Every shoe of these athletes, as the guard's metrics read them: the rows of
    :meth:`Store.shoes_of`, converted as it converts them, but by column (60,000 shoes:
    0.05 s, as records 0.45 s)."""
    stored = {
        **SHOE_SCHEMA,
        "minimalist": pl.Int64,
        "default_from": pl.String,
        "retired_on": pl.String,
    }
    return pl.DataFrame(store.shoe_rows(athlete_ids), schema=stored, orient="row").with_columns(
        pl.col("minimalist").cast(pl.Boolean),
        pl.col("default_from", "retired_on").replace("", None).str.to_date(),
    )


def with_time_columns(frame: pl.DataFrame) -> pl.DataFrame:
    utc = pl.from_epoch(pl.col("start_utc"), time_unit="s").dt.replace_time_zone("UTC")
    local = pl.from_epoch(pl.col("start_utc") + pl.col("utc_offset_s"), time_unit="s")
    return frame.with_columns(start_utc=utc, start_local=local)


SYMPTOM_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "athlete_id": pl.String,
    "day": pl.Date,
    "kind": pl.String,
}


def conditions_frame(store: Store, athlete_ids: list[str]) -> pl.DataFrame:
    marks = ",".join("?" * len(athlete_ids))
    rows = store.conn.execute(
        f"SELECT athlete_id, condition FROM conditions WHERE athlete_id IN ({marks})",
        athlete_ids,
    ).fetchall()
    return pl.DataFrame(
        rows, schema={"athlete_id": pl.String, "condition": pl.String}, orient="row"
    )


def pain_frame(store: Store, athlete_ids: list[str]) -> pl.DataFrame:
    marks = ",".join("?" * len(athlete_ids))
    rows = store.conn.execute(
        "SELECT p.athlete_id, p.day, p.moment, p.score, p.activity_id FROM pain_entries p"
        f" LEFT JOIN activities a ON a.id = p.activity_id {CORRECTED}"
        f" WHERE p.athlete_id IN ({marks}) AND {COUNTED} ORDER BY p.athlete_id, p.day, p.id",
        athlete_ids,
    ).fetchall()
    parsed = [(a, date.fromisoformat(d), m, s, i) for a, d, m, s, i in rows]
    return pl.DataFrame(parsed, schema=PAIN_SCHEMA, orient="row")


def symptom_frame(store: Store, athlete_ids: list[str]) -> pl.DataFrame:
    marks = ",".join("?" * len(athlete_ids))
    rows = store.conn.execute(
        f"SELECT athlete_id, day, kind FROM symptoms WHERE athlete_id IN ({marks})"
        " ORDER BY athlete_id, day, id",
        athlete_ids,
    ).fetchall()
    parsed = [(a, date.fromisoformat(d), k) for a, d, k in rows]
    return pl.DataFrame(parsed, schema=SYMPTOM_SCHEMA, orient="row")


ADJUSTMENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "athlete_id": pl.String,
    "plan_week": pl.Int32,
    "kind": pl.String,
    "to_week": pl.Int32,
    "reason": pl.String,
    "by": pl.String,
}


def adjustments_frame(store: Store, athlete_ids: list[str]) -> pl.DataFrame:
    """Every stage adjustment of these athletes, in the order they were made."""
    marks = ",".join("?" * len(athlete_ids))
    rows = store.conn.execute(
        "SELECT athlete_id, plan_week, kind, to_week, reason, coach_name FROM stage_adjustments"
        f" WHERE athlete_id IN ({marks}) ORDER BY id",
        athlete_ids,
    ).fetchall()
    return pl.DataFrame(rows, schema=ADJUSTMENT_SCHEMA, orient="row")
