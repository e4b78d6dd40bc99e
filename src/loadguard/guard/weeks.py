"""Weekly volume: per plan week and per calendar week (pure polars + numpy segment sums).

Runs arrive sorted by athlete and start, so a plan week is a contiguous
segment of rows and its sums are one ``reduceat`` per column: the platform-
wide pass over millions of runs stays well under a second. A few runs (one
runner's check) are grouped by polars instead: numpy then need not load (0.1 s
of every `check`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from loadguard.surfaces.classes import SURFACE_COLUMNS

SUMMED = ("km", "minutes", *SURFACE_COLUMNS)
SEGMENTS_FROM = 100_000  # runs; fewer are grouped by polars (the same sums, in the same order)


def plan_week_expr(day: pl.Expr) -> pl.Expr:
    """The plan week of a local date, given a ``plan_start`` column (week 1 = days 0-6)."""
    return ((day - pl.col("plan_start")).dt.total_days() // 7 + 1).cast(pl.Int32)


def week_sums(runs: pl.DataFrame) -> pl.DataFrame:
    """One row per athlete and plan week that has runs: sums, count, longest run."""
    if runs.height < SEGMENTS_FROM:
        return _week_sums_hashed(runs)
    import numpy as np

    athlete = runs["athlete_id"].to_physical().to_numpy().astype(np.int64)
    week = runs["plan_week"].to_numpy().astype(np.int64)
    key = (athlete << 32) + (week + (1 << 31))
    if len(key) == 0 or np.any(np.diff(key) < 0):
        return _week_sums_hashed(runs)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    columns: dict[str, object] = {
        "athlete_id": runs["athlete_id"].gather(starts),
        "plan_week": runs["plan_week"].gather(starts),
        "plan_start": runs["plan_start"].gather(starts),
        "runs": np.diff(np.r_[starts, len(key)]),
        "longest_km": np.maximum.reduceat(runs["km"].to_numpy(), starts),
    }
    for name in SUMMED:
        columns[name] = np.add.reduceat(runs[name].fill_null(0.0).to_numpy(), starts)
    return pl.DataFrame(columns).rename({"km": "run_km", "minutes": "run_min"})


def _week_sums_hashed(runs: pl.DataFrame) -> pl.DataFrame:
    return (
        runs.group_by("athlete_id", "plan_week")
        .agg(
            pl.col("plan_start").first(),
            pl.len().cast(pl.Int64).alias("runs"),
            pl.col("km").max().alias("longest_km"),
            *[pl.col(c).sum() for c in SUMMED],
        )
        .rename({"km": "run_km", "minutes": "run_min"})
        .sort("athlete_id", "plan_week")
    )


def _fill(sums: pl.DataFrame, athletes: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Every week from week 1 (or the first run, if earlier) to as_of's week, empty ones as 0."""
    kind = sums.schema["athlete_id"]
    first = sums.group_by("athlete_id").agg(first_week=pl.col("plan_week").min())
    spans = (
        athletes.select(pl.col("athlete_id").cast(kind), "plan_start")
        .join(first, on="athlete_id", how="left")
        .with_columns(
            last_week=plan_week_expr(pl.lit(as_of)),
            first_week=pl.min_horizontal(pl.col("first_week").fill_null(1), pl.lit(1)),
        )
        .with_columns(
            plan_week=pl.int_ranges("first_week", pl.col("last_week") + 1, dtype=pl.Int32)
        )
        .explode("plan_week")
        .drop_nulls("plan_week")
        .select("athlete_id", "plan_week", "plan_start")
    )
    numeric = ["run_km", "run_min", "runs", "longest_km", *SURFACE_COLUMNS]
    return (
        spans.join(sums.drop("plan_start"), on=["athlete_id", "plan_week"], how="left")
        .with_columns(pl.col(c).fill_null(0) for c in numeric)
        .sort("athlete_id", "plan_week")
    )


def weekly(
    runs: pl.DataFrame, athletes: pl.DataFrame, as_of: date, *, fill: bool = True
) -> pl.DataFrame:
    """Volume per plan week with the change on the week before.

    ``prev_km`` is the previous plan week's volume (0 after an empty week);
    ``change_pct`` is null when there is no previous volume to compare with.
    """
    weeks = week_sums(runs)
    if fill:
        weeks = _fill(weeks, athletes, as_of)
    consecutive = (pl.col("plan_week").diff() == 1) & (
        pl.col("athlete_id").to_physical().diff() == 0
    )
    return weeks.with_columns(
        week_start=pl.col("plan_start")
        + pl.duration(days=(pl.col("plan_week").cast(pl.Int64) - 1) * 7),
        prev_km=pl.when(consecutive).then(pl.col("run_km").shift(1)).otherwise(0.0),
    ).with_columns(
        change_pct=pl.when(pl.col("prev_km") > 0)
        .then((pl.col("run_km") / pl.col("prev_km") - 1.0) * 100.0)
        .otherwise(None)
    )


def calendar_weekly(runs: pl.DataFrame) -> pl.DataFrame:
    """Volume per calendar week (Monday to Sunday, local time), weeks with runs only."""
    return (
        runs.with_columns(week_start=pl.col("local_date").dt.truncate("1w"))
        .group_by("athlete_id", "week_start")
        .agg(run_km=pl.col("km").sum(), run_min=pl.col("minutes").sum(), runs=pl.len())
        .sort("athlete_id", "week_start")
        .with_columns(prev_km=pl.col("run_km").shift(1).over("athlete_id"))
        .with_columns(
            change_pct=pl.when(pl.col("prev_km") > 0)
            .then((pl.col("run_km") / pl.col("prev_km") - 1.0) * 100.0)
            .otherwise(None)
        )
    )
