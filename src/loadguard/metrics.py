"""Training-load metrics for many athletes at once (pure polars).

Inputs are frames, a plan and an ``as_of`` date; no clock, database or
network. Every frame carries ``athlete_id`` so a coach's whole list (or a
synthetic 10,000) goes through in one pass.

Plan weeks are 7-day blocks from the athlete's plan start in local time:
week 1 is days 0-6, week 0 and below are before the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from loadguard.plan import Plan
from loadguard.surfaces import SURFACE_COLUMNS, surface_km

RUNNING = "running"


@dataclass(frozen=True)
class Metrics:
    runs: pl.DataFrame  # one row per counted run up to as_of
    weeks: pl.DataFrame  # one row per athlete and plan week, zero weeks included
    calendar_weeks: pl.DataFrame  # one row per athlete and ISO week (Monday) with runs
    shoes: pl.DataFrame  # one row per shoe: km to date, last use
    acwr: pl.DataFrame  # one row per athlete: uncoupled acute:chronic ratio at as_of
    as_of: date


def _plan_week(day: pl.Expr) -> pl.Expr:
    return ((day - pl.col("plan_start")).dt.total_days() // 7 + 1).cast(pl.Int32)


def runs_frame(activities: pl.DataFrame, athletes: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Running activities up to and including ``as_of`` (local), with plan week, km and surfaces."""
    runs = (
        activities.filter(pl.col("sport") == RUNNING)
        .join(athletes.select("athlete_id", "plan_start"), on="athlete_id", how="inner")
        .with_columns(local_date=pl.col("start_local").dt.date())
        .filter(pl.col("local_date") <= as_of)
        .with_columns(
            plan_week=_plan_week(pl.col("local_date")),
            km=pl.col("distance_m") / 1000.0,
            minutes=pl.col("timer_s") / 60.0,
        )
        .sort("athlete_id", "start_utc")
    )
    return surface_km(runs)


def with_longest_previous(runs: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """Add ``longest_prev_km``: the longest run of the ``window_days`` before each run's start."""
    epoch = runs.with_columns(_t=pl.col("start_utc").dt.epoch("s"))
    prior = epoch.rolling(
        index_column="_t", period=f"{window_days * 86400}i", closed="left", group_by="athlete_id"
    ).agg(longest_prev_km=pl.col("km").max())
    # Runs starting in the same second share a window, so (athlete, second) is a safe key.
    prior = prior.unique(["athlete_id", "_t"])
    return epoch.join(prior, on=["athlete_id", "_t"], how="left").drop("_t")


def weekly(runs: pl.DataFrame, athletes: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Volume per plan week, every week from week 1 (or the first run) to as_of's week."""
    agg = runs.group_by("athlete_id", "plan_week").agg(
        *[pl.col(c).sum() for c in SURFACE_COLUMNS],
        run_km=pl.col("km").sum(),
        run_min=pl.col("minutes").sum(),
        runs=pl.len(),
        longest_km=pl.col("km").max(),
    )
    first = runs.group_by("athlete_id").agg(first_week=pl.col("plan_week").min())
    spans = (
        athletes.select("athlete_id", "plan_start")
        .join(first, on="athlete_id", how="left")
        .with_columns(
            last_week=_plan_week(pl.lit(as_of)),
            first_week=pl.min_horizontal(pl.col("first_week").fill_null(1), pl.lit(1)),
        )
        .with_columns(
            plan_week=pl.int_ranges("first_week", pl.col("last_week") + 1, dtype=pl.Int32)
        )
        .explode("plan_week")
        .drop_nulls("plan_week")
        .select(
            "athlete_id",
            "plan_week",
            week_start=pl.col("plan_start")
            + pl.duration(days=(pl.col("plan_week").cast(pl.Int64) - 1) * 7),
        )
    )
    numeric = ["run_km", "run_min", "runs", "longest_km", *SURFACE_COLUMNS]
    weeks = (
        spans.join(agg, on=["athlete_id", "plan_week"], how="left")
        .with_columns(pl.col(c).fill_null(0) for c in numeric)
        .sort("athlete_id", "plan_week")
        .with_columns(prev_km=pl.col("run_km").shift(1).over("athlete_id"))
        .with_columns(
            change_pct=pl.when(pl.col("prev_km") > 0)
            .then((pl.col("run_km") / pl.col("prev_km") - 1.0) * 100.0)
            .otherwise(None)
        )
    )
    return weeks


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


def with_shoes(runs: pl.DataFrame, shoes: pl.DataFrame) -> pl.DataFrame:
    """Resolve each run's shoe: explicit assignment > provider gear id > default shoe that day."""
    by_gear = shoes.filter(pl.col("gear_id").is_not_null()).select(
        "athlete_id", "gear_id", gear_shoe=pl.col("shoe_id")
    )
    defaults = (
        shoes.filter(pl.col("default_from").is_not_null())
        .select(
            "athlete_id",
            "default_from",
            "retired_on",
            default_shoe=pl.col("shoe_id"),
        )
        .sort("default_from")
    )
    resolved = (
        runs.sort("local_date")
        .join(by_gear, on=["athlete_id", "gear_id"], how="left")
        .join_asof(
            defaults,
            left_on="local_date",
            right_on="default_from",
            by="athlete_id",
            strategy="backward",
            check_sortedness=False,  # sorted by local_date above, within every athlete too
        )
        .with_columns(
            default_shoe=pl.when(
                pl.col("retired_on").is_null() | (pl.col("local_date") < pl.col("retired_on"))
            ).then(pl.col("default_shoe"))
        )
        .with_columns(shoe=pl.coalesce("shoe_id", "gear_shoe", "default_shoe"))
        .drop("gear_shoe", "default_shoe", "default_from", "retired_on")
        .sort("athlete_id", "start_utc")
    )
    return resolved


def shoe_mileage(runs: pl.DataFrame, shoes: pl.DataFrame) -> pl.DataFrame:
    used = runs.group_by("shoe").agg(
        run_km=pl.col("km").sum(),
        first_used=pl.col("local_date").min(),
        last_used=pl.col("local_date").max(),
        rehab_runs=(pl.col("plan_week") >= 1).sum(),
    )
    return (
        shoes.join(used, left_on="shoe_id", right_on="shoe", how="left")
        .with_columns(pl.col("run_km").fill_null(0.0), pl.col("rehab_runs").fill_null(0))
        .with_columns(km=pl.col("initial_km") + pl.col("run_km"))
    )


def acwr(runs: pl.DataFrame, athletes: pl.DataFrame, plan: Plan, as_of: date) -> pl.DataFrame:
    """Uncoupled acute:chronic ratio: the last ``acute_days`` against the weekly mean of the
    ``chronic_days`` before them (the acute window is not inside the chronic one)."""
    acute_from = as_of - timedelta(days=plan.acwr.acute_days - 1)
    chronic_from = acute_from - timedelta(days=plan.acwr.chronic_days)
    weeks_in_chronic = plan.acwr.chronic_days / 7.0
    day = pl.col("local_date")
    sums = runs.group_by("athlete_id").agg(
        acute_km=pl.col("km").filter(day >= acute_from).sum(),
        chronic_km=pl.col("km").filter((day >= chronic_from) & (day < acute_from)).sum(),
    )
    return (
        athletes.select("athlete_id", plan_week=_plan_week(pl.lit(as_of)))
        .join(sums, on="athlete_id", how="left")
        .with_columns(pl.col("acute_km", "chronic_km").fill_null(0.0))
        .with_columns(chronic_weekly_km=pl.col("chronic_km") / weeks_in_chronic)
        .with_columns(
            ratio=pl.when(pl.col("chronic_weekly_km") > 0)
            .then(pl.col("acute_km") / pl.col("chronic_weekly_km") * (7.0 / plan.acwr.acute_days))
            .otherwise(None)
        )
    )


def compute(
    activities: pl.DataFrame,
    athletes: pl.DataFrame,
    shoes: pl.DataFrame,
    plan: Plan,
    as_of: date,
) -> Metrics:
    """All metrics for the given athletes (who share ``plan``) as of a local date.

    ``athletes``: athlete_id, plan_start (Date). ``shoes``: shoe_id, athlete_id,
    name, initial_km, heel_stack_mm, drop_mm, minimalist, default_from,
    retired_on, gear_id. ``activities``: as from the store's activities_frame.
    """
    runs = runs_frame(activities, athletes, as_of)
    runs = with_longest_previous(runs, plan.session_spike.window_days)
    runs = with_shoes(runs, shoes)
    return Metrics(
        runs=runs,
        weeks=weekly(runs, athletes, as_of),
        calendar_weeks=calendar_weekly(runs),
        shoes=shoe_mileage(runs, shoes),
        acwr=acwr(runs, athletes, plan, as_of),
        as_of=as_of,
    )


SHOE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "shoe_id": pl.Int64,
    "athlete_id": pl.String,
    "name": pl.String,
    "initial_km": pl.Float64,
    "heel_stack_mm": pl.Float64,
    "drop_mm": pl.Float64,
    "minimalist": pl.Boolean,
    "default_from": pl.Date,
    "retired_on": pl.Date,
    "gear_id": pl.String,
}
