"""Stage rules: what each plan stage prescribes (session time, run/walk intervals, surface)."""

from __future__ import annotations

from datetime import date

import polars as pl

from loadguard.guard import frames
from loadguard.guard.metrics import Metrics
from loadguard.guard.plan import Plan
from loadguard.guard.rules.common import fmt, in_plan


def session_duration(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """A session longer than its stage's longest prescribed session (plus a minute's grace)."""
    limits = plan.session
    runs = in_plan(m.runs, plan).filter(
        pl.col("session_hi").is_not_null()
        & (pl.col("minutes") > pl.col("session_hi") + limits.grace_s / 60.0)
    )
    critical = pl.col("minutes") > pl.col("session_hi") * limits.critical_factor
    return frames.frame(
        runs,
        rule="session_duration",
        severity=pl.when(critical).then(pl.lit("critical")).otherwise(pl.lit("warning")),
        day=pl.col("local_date"),
        plan_week=pl.col("plan_week"),
        value=pl.col("minutes"),
        limit=pl.col("session_hi"),
        message=pl.format(
            "{}: a {}-minute session in week {} ({}); this stage's sessions are {}-{} minutes.",
            pl.col("local_date").cast(pl.String),
            fmt(pl.col("minutes"), 0),
            pl.col("plan_week"),
            pl.col("stage"),
            fmt(pl.col("session_lo"), 0),
            fmt(pl.col("session_hi"), 0),
        ),
        evidence=pl.col("stage_evidence"),
    )


def interval_structure(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """Continuous running longer than the stage's run interval before continuous running starts."""
    limits = plan.session
    runs = in_plan(m.runs, plan).filter(
        pl.col("run_interval_s").is_not_null()
        & pl.col("longest_run_s").is_not_null()
        & (pl.col("longest_run_s") > pl.col("run_interval_s") + limits.interval_grace_s)
    )
    critical = pl.col("longest_run_s") > pl.col("run_interval_s") * limits.interval_critical_factor
    return frames.frame(
        runs,
        rule="interval_structure",
        severity=pl.when(critical).then(pl.lit("critical")).otherwise(pl.lit("warning")),
        day=pl.col("local_date"),
        plan_week=pl.col("plan_week"),
        value=pl.col("longest_run_s") / 60.0,
        limit=pl.col("run_interval_s") / 60.0,
        message=pl.format(
            "{}: you ran {} minutes without a walk break; week {} ({}) runs {} min, walks {} min.",
            pl.col("local_date").cast(pl.String),
            fmt(pl.col("longest_run_s") / 60.0),
            pl.col("plan_week"),
            pl.col("stage"),
            fmt(pl.col("run_interval_s") / 60.0, 0),
            fmt(pl.col("walk_interval_s") / 60.0, 0),
        ),
        evidence=pl.col("stage_evidence"),
    )


def surface_phase(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """Hard ground too early: any paved km in a stage that allows none (per run), or more
    than the stage's share of the week on paved ground where some is allowed (per week)."""
    paved = pl.col("surface_paved_km") > 0
    floor = plan.paved_floor
    if floor is not None:  # a road crossing is not a run on asphalt
        paved = paved & (pl.col("surface_paved_km") * 1000.0 >= floor.min_m)
        paved = paved & (pl.col("surface_paved_km") >= pl.col("km") * floor.min_share)
    per_run = in_plan(m.runs.filter(paved), plan).filter(pl.col("hard_share_max") == 0)
    runs = frames.frame(
        per_run,
        rule="surface_phase",
        severity=pl.lit("warning"),
        day=pl.col("local_date"),
        plan_week=pl.col("plan_week"),
        value=pl.col("surface_paved_km") / pl.col("km") * 100.0,
        limit=pl.lit(0.0),
        message=pl.format(
            "{}: {} km ({} % of the run) on paved ground in week {}. Until week 5 the plan"
            " keeps you on soft ground (gravel, grass, trail) to spare the heel.",
            pl.col("local_date").cast(pl.String),
            fmt(pl.col("surface_paved_km")),
            fmt(pl.col("surface_paved_km") / pl.col("km") * 100.0, 0),
            pl.col("plan_week"),
        ),
        evidence=pl.col("stage_evidence"),
    )
    share = pl.col("surface_paved_km") / pl.col("run_km")
    per_week = in_plan(m.weeks, plan).filter(
        (pl.col("hard_share_max") > 0)
        & (pl.col("hard_share_max") < 1)
        & (pl.col("run_km") > 0)
        & (share > pl.col("hard_share_max"))
    )
    weeks = frames.frame(
        per_week,
        rule="surface_phase",
        subject=pl.format("week {}", pl.col("plan_week")),
        severity=pl.lit("warning"),
        day=pl.col("week_start"),
        plan_week=pl.col("plan_week"),
        value=share * 100.0,
        limit=pl.col("hard_share_max") * 100.0,
        message=pl.format(
            "Week {}: {} % of your running ({} of {} km) was on paved ground; in this stage"
            " bring it in gradually, at most {} %.",
            pl.col("plan_week"),
            fmt(share * 100.0, 0),
            fmt(pl.col("surface_paved_km")),
            fmt(pl.col("run_km")),
            fmt(pl.col("hard_share_max") * 100.0, 0),
        ),
        evidence=pl.col("stage_evidence"),
    )
    return pl.concat([runs, weeks])


def surface_unknown(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """Info, not a verdict: most of a run's ground is unknown in weeks where ground matters."""
    share = pl.col("surface_unknown_km") / pl.col("km")
    runs = in_plan(m.runs, plan).filter(
        (pl.col("hard_share_max") < 1)
        & (pl.col("km") > 0)
        & (share > plan.surface_data.unknown_share)
    )
    return frames.frame(
        runs,
        rule="surface_unknown",
        severity=pl.lit("info"),
        day=pl.col("local_date"),
        plan_week=pl.col("plan_week"),
        value=share * 100.0,
        limit=pl.lit(plan.surface_data.unknown_share * 100.0),
        # the one command that fixes it: a track needs a map, a run without one a tag
        message=pl.when(pl.col("has_track"))
        .then(
            pl.format(
                "{}: surface unknown for {} % of this run, so it is not judged."
                " `loadguard osm fetch` downloads the map of the area you run in.",
                pl.col("local_date").cast(pl.String),
                fmt(share * 100.0, 0),
            )
        )
        .otherwise(
            pl.format(
                "{}: surface unknown for {} % of this run (no GPS track), so it is not"
                " judged. Say what it was on: `loadguard run tag {} grass` (or gravel, trail,"
                " asphalt...).",
                pl.col("local_date").cast(pl.String),
                fmt(share * 100.0, 0),
                pl.col("activity_id"),
            )
        ),
        evidence=pl.lit(plan.surface_data.evidence),
    )
