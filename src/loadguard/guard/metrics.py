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

from loadguard.contract import RUNNING
from loadguard.guard.cap import with_cap
from loadguard.guard.footwear import Before, shoe_mileage, with_shoes
from loadguard.guard.plan import Plan
from loadguard.guard.stages import stage_weeks, with_stage_week
from loadguard.guard.weeks import plan_week_expr, weekly
from loadguard.surfaces.classes import STORED_SURFACES
from loadguard.surfaces.km import surface_km

# Heel load that is not running: counted in its own column, never toward the run cap.
WALKING = ("walking", "hiking")
# No heel impact (the plan's cross-training); elliptical ("fitness_equipment") is low.
CROSS_TRAINING = ("cycling", "swimming", "rowing", "fitness_equipment", "cross_training")


@dataclass(frozen=True)
class Metrics:
    runs: pl.DataFrame  # one row per counted run up to as_of
    weeks: pl.DataFrame  # one row per athlete and plan week, zero weeks included
    shoes: pl.DataFrame  # one row per shoe: km to date, last use
    acwr: pl.DataFrame  # one row per athlete: uncoupled acute:chronic ratio at as_of
    as_of: date
    since: date | None = None  # findings before this day are not wanted
    pain: pl.DataFrame | None = None  # athlete_id, day, moment, score, activity_id
    symptoms: pl.DataFrame | None = None  # athlete_id, day, kind
    conditions: pl.DataFrame | None = None  # athlete_id, condition
    stages: pl.DataFrame | None = None  # adaptive stage week per athlete and plan week
    athletes: pl.DataFrame | None = None  # athlete_id, plan_start
    # athlete_id, last: each athlete's last run day, a windowed pass (``since``) included
    last_runs: pl.DataFrame | None = None


# The columns of an activity the metrics use; the rest stays in the store.
USED_COLUMNS = (
    "athlete_id",
    "activity_id",
    "sub_sport",
    "name",
    "description",
    "gear_id",
    "start_utc",
    "start_local",
    "distance_m",
    "timer_s",
    "longest_run_s",
    "shoe_id",
    *STORED_SURFACES,
    "has_track",
)


# What :func:`compute` reads of the activities (a columnar copy reads only these; and
# ``source`` where sources are hidden).
READ_COLUMNS = (*USED_COLUMNS, "sport")


def athlete_enum(athletes: pl.DataFrame) -> pl.Enum:
    """Athlete ids as an Enum: joins and groups then run on integers, not strings."""
    return pl.Enum(athletes["athlete_id"].to_list())


def runs_frame(activities: pl.DataFrame, athletes: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Running activities up to and including ``as_of`` (local), with plan week, km and surfaces.

    ``athlete_id`` becomes an Enum of the given athletes (see :func:`athlete_enum`).
    """
    kind = athlete_enum(athletes)
    missing = [c for c in STORED_SURFACES if c not in activities.columns]
    if missing:  # frames built without the store (benchmarks) have no GPS surfaces
        activities = activities.with_columns(pl.lit(None, pl.Float64).alias(c) for c in missing)
    if "has_track" not in activities.columns:
        activities = activities.with_columns(has_track=pl.lit(False))
    runs = (
        activities.lazy()  # lazy: the columns used are taken before the rows are filtered
        .filter(pl.col("sport") == RUNNING)
        .select(USED_COLUMNS)
        # one pass over the ids: an athlete not asked for becomes null and is dropped
        .with_columns(pl.col("athlete_id").cast(kind, strict=False))
        .filter(pl.col("athlete_id").is_not_null())
        .with_columns(local_date=pl.col("start_local").dt.date())
        .filter(pl.col("local_date") <= as_of)
        .collect()
    )
    starts = athletes["plan_start"].gather(runs["athlete_id"].to_physical())
    runs = runs.with_columns(plan_start=starts).with_columns(
        plan_week=plan_week_expr(pl.col("local_date")),
        km=pl.col("distance_m") / 1000.0,
        minutes=pl.col("timer_s") / 60.0,
    )
    if not _sorted_by_athlete_and_start(runs):
        runs = runs.sort("athlete_id", "start_utc")
    return runs


def _sorted_by_athlete_and_start(runs: pl.DataFrame) -> bool:
    """The store hands runs over sorted already; checking is cheaper than sorting again."""
    key = runs.select(
        a=pl.col("athlete_id").to_physical().cast(pl.Int64),
        t=pl.col("start_utc").dt.epoch("s"),
    )
    same = key["a"].diff().fill_null(0)
    return bool(((same > 0) | ((same == 0) & (key["t"].diff().fill_null(0) >= 0))).all())


def other_load(
    activities: pl.DataFrame, athletes: pl.DataFrame, as_of: date, first: date | None = None
) -> pl.DataFrame:
    """Walking km and cross-training minutes per athlete and plan week (not running),
    from the day ``first`` on when given."""
    kind = athlete_enum(athletes)
    day = pl.col("start_local").dt.date()
    other = (
        activities.lazy()
        .select("athlete_id", "sport", "start_local", "distance_m", "timer_s")
        .filter(
            pl.col("sport").is_in([*WALKING, *CROSS_TRAINING])
            & (day <= as_of)
            & (day >= (first or date.min))
        )
        .with_columns(pl.col("athlete_id").cast(kind, strict=False), day=day)
        .filter(pl.col("athlete_id").is_not_null())
        .join(
            athletes.lazy().select(pl.col("athlete_id").cast(kind), "plan_start"), on="athlete_id"
        )
        .with_columns(plan_week=plan_week_expr(pl.col("day")))
        .collect()
    )
    walking = pl.col("sport").is_in(list(WALKING))
    return other.group_by("athlete_id", "plan_week").agg(
        walk_km=(pl.col("distance_m").filter(walking).sum() / 1000.0),
        cross_min=(pl.col("timer_s").filter(~walking).sum() / 60.0),
    )


def with_longest_previous(runs: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """Add ``longest_prev_km``: the longest run of the ``window_days`` before each run's start."""
    longest = (
        pl.col("km")
        .rolling_max_by("start_utc", window_size=f"{window_days}d", closed="left")
        .over("athlete_id")
    )
    return runs.with_columns(longest_prev_km=longest)


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
        athletes.select(
            pl.col("athlete_id").cast(athlete_enum(athletes)),
            plan_week=plan_week_expr(pl.lit(as_of)),
        )
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
    *,
    fill_weeks: bool = True,
    since: date | None = None,
    pain: pl.DataFrame | None = None,
    symptoms: pl.DataFrame | None = None,
    conditions: pl.DataFrame | None = None,
    adjustments: pl.DataFrame | None = None,
    before: Before | None = None,
) -> Metrics:
    """All metrics for the given athletes (who share ``plan``) as of a local date.

    ``athletes``: athlete_id, plan_start (Date). ``shoes``: shoe_id, athlete_id,
    name, initial_km, heel_stack_mm, drop_mm, minimalist, default_from,
    retired_on, gear_id. ``activities``: as from the store's activities_frame.
    ``fill_weeks=False`` leaves out plan weeks without runs: no rule needs them,
    and a platform-wide run skips materialising them.

    ``since``: only findings dated from this day on are wanted (a scheduled
    guard's window). Per-run and weekly metrics then cover just the runs from
    ``since`` minus the longest look-back any rule needs; shoe mileage still
    adds up every run.

    ``adjustments``: a coach's stage holds and set-backs (:func:`stages.stage_weeks`).

    ``before`` (with ``since``): what the athletes' runs missing from ``activities`` add
    up to; ``activities`` then holds, for an athlete in it, their runs from some day no
    later than ``since`` minus the look-back.
    """
    first = None if since is None else since - lookback(plan)
    every = with_shoes(runs_frame(activities, athletes, as_of), shoes)
    mileage = shoe_mileage(every, shoes, None if before is None else before.shoes)
    last_runs = (  # grouped by the Enum, then named: casting 4.7 M ids first costs 0.2 s
        every.group_by("athlete_id")
        .agg(last=pl.col("local_date").max())
        .with_columns(pl.col("athlete_id").cast(pl.String))
    )
    if before is not None and before.last.height:
        last_runs = (
            pl.concat([last_runs, before.last.select(last_runs.columns)])
            .group_by("athlete_id")
            .agg(pl.col("last").max())
        )
    runs = every if first is None else every.filter(pl.col("local_date") >= first)
    runs = with_longest_previous(surface_km(runs), plan.session_spike.window_days)
    adaptive = stage_weeks(athletes, _upto(pain, as_of), plan, as_of, adjustments)
    runs = with_stage_week(runs, adaptive)
    return Metrics(
        runs=runs,
        weeks=with_cap(
            with_stage_week(
                weekly(runs, athletes, as_of, fill=fill_weeks)
                .join(
                    other_load(activities, athletes, as_of, first),
                    on=["athlete_id", "plan_week"],
                    how="left",
                )
                .with_columns(pl.col("walk_km", "cross_min").fill_null(0.0)),
                adaptive,
            ),
            plan,
        ),
        shoes=mileage,
        acwr=acwr(runs, athletes, plan, as_of),
        as_of=as_of,
        since=since,
        pain=_upto(pain, as_of),
        symptoms=_upto(symptoms, as_of),
        conditions=conditions,
        stages=adaptive,
        last_runs=last_runs,
        athletes=athletes.select("athlete_id", "plan_start"),
    )


def _upto(frame: pl.DataFrame | None, as_of: date) -> pl.DataFrame | None:
    return None if frame is None else frame.filter(pl.col("day") <= as_of)


def lookback(plan: Plan) -> timedelta:
    """How far before a finding's day the rules look: the spike window, the ACWR's two
    windows, and the week before plus the week's own days for the weekly cap."""
    days = max(plan.session_spike.window_days, plan.acwr.acute_days + plan.acwr.chronic_days, 14)
    return timedelta(days=days + 7)
