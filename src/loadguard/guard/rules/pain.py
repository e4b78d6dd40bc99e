"""Pain rules: the traffic light, pain that did not settle, red flags, no improvement.

Pain above 5/10 means less load; 3-5 is fine during rehab if the next morning is
back at the runner's baseline (the median morning pain of the 7 days before),
otherwise hold progression; some symptoms mean a doctor, not a load plan.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from loadguard.guard import frames
from loadguard.guard.metrics import Metrics
from loadguard.guard.pain_scale import CONDITIONS, SYMPTOMS, unsettled
from loadguard.guard.plan import Plan

CROSS_TRAINING = "cycling, swimming, rowing or deep-water running (elliptical if it is tolerated)"
NO_IMPROVEMENT_DAYS = 42  # 6 weeks


def _none() -> pl.DataFrame:
    return frames.empty()


def pain_red(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """Pain above the yellow band: reduce the load, keep fit without heel impact."""
    if m.pain is None:
        return _none()
    red = m.pain.filter(pl.col("score") > plan.pain.yellow_max)
    return frames.frame(
        red,
        rule="pain_red",
        severity=pl.lit("critical"),
        day=pl.col("day"),
        plan_week=pl.lit(0),
        value=pl.col("score").cast(pl.Float64),
        limit=pl.lit(float(plan.pain.yellow_max)),
        message=pl.format(
            "{}: pain {}/10 ({}). Above 5 means reduce the load: shorten or skip the next runs"
            f" and keep fit with {CROSS_TRAINING}.",
            pl.col("day").cast(pl.String),
            pl.col("score"),
            pl.col("moment"),
        ),
        evidence=pl.lit(plan.pain.evidence),
    )


def pain_not_settled(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """Yellow pain after a run, and the next morning above baseline (or not logged)."""
    if m.pain is None:
        return _none()
    rows = unsettled(m.pain, plan.pain.green_max, plan.pain.yellow_max, as_of)
    frame = pl.DataFrame(
        [
            {
                "athlete_id": u.athlete_id,
                "day": u.morning_day,
                "severity": "info" if u.morning is None else "warning",
                "value": u.morning,
                "limit": u.baseline,
                "message": (
                    f"{u.morning_day}: pain {u.score}/10 after the run of {u.run_day}, and no"
                    " morning pain logged the day after: log it (`loadguard pain N --morning`)"
                    " so loadguard can tell whether it settled."
                    if u.morning is None
                    else f"{u.morning_day}: morning pain {u.morning:.0f}/10 is above your"
                    f" baseline ({u.baseline:.0f}) after pain {u.score}/10 on {u.run_day}: it"
                    " has not settled, so hold progression (repeat this week's load)."
                ),
            }
            for u in rows
        ],
        schema={
            "athlete_id": pl.String,
            "day": pl.Date,
            "severity": pl.String,
            "value": pl.Float64,
            "limit": pl.Float64,
            "message": pl.String,
        },
    )
    return frames.frame(
        frame,
        rule="pain_not_settled",
        severity=pl.col("severity"),
        day=pl.col("day"),
        plan_week=pl.lit(0),
        value=pl.col("value"),
        limit=pl.col("limit"),
        message=pl.col("message"),
        evidence=pl.lit(plan.pain.evidence),
    )


def red_flag(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """A symptom on the red-flag list (critical), or a condition (info, every check)."""
    parts = [_none()]
    if m.symptoms is not None and m.symptoms.height:
        why = pl.col("kind").replace_strict(SYMPTOMS, default="a red-flag symptom")
        parts.append(
            frames.frame(
                m.symptoms,
                rule="red_flag",
                severity=pl.lit("critical"),
                day=pl.col("day"),
                plan_week=pl.lit(0),
                value=pl.lit(None, pl.Float64),
                limit=pl.lit(None, pl.Float64),
                message=pl.format("{}: see a doctor: {}.", pl.col("day").cast(pl.String), why),
                evidence=pl.lit("plan"),
                subject=pl.format("{} {}", pl.col("day").cast(pl.String), pl.col("kind")),
                detail=pl.col("kind"),
            )
        )
    if m.conditions is not None and m.conditions.height:
        why = pl.col("condition").replace_strict(CONDITIONS, default="a medical condition")
        parts.append(
            frames.frame(
                m.conditions,
                rule="red_flag",
                subject=pl.col("condition"),
                severity=pl.lit("info"),
                day=pl.lit(as_of),
                plan_week=pl.lit(0),
                value=pl.lit(None, pl.Float64),
                limit=pl.lit(None, pl.Float64),
                message=pl.format("Before you rely on this plan: {}.", why),
                evidence=pl.lit("plan"),
                detail=pl.col("condition"),
            )
        )
    return pl.concat(parts)


def no_improvement(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """Six weeks of following the plan (runs in 5 of 6 weeks) with morning pain that is not
    going down: get an assessment."""
    if m.pain is None:
        return _none()
    start = as_of - timedelta(days=NO_IMPROVEMENT_DAYS)
    half = start + timedelta(days=NO_IMPROVEMENT_DAYS // 2)
    # "consistent plan-following": runs in at least 5 of the 6 weeks
    active = (
        m.runs.filter(pl.col("local_date") > start)
        .with_columns(week=(pl.col("local_date") - start).dt.total_days() // 7)
        .group_by("athlete_id")
        .agg(active_weeks=pl.col("week").n_unique())
        .filter(pl.col("active_weeks") >= 5)
        .select(pl.col("athlete_id").cast(pl.String))
    )
    mornings = m.pain.filter((pl.col("moment") == "morning") & (pl.col("day") > start))
    trend = (
        mornings.group_by("athlete_id")
        .agg(
            early=pl.col("score").filter(pl.col("day") <= half).median(),
            late=pl.col("score").filter(pl.col("day") > half).median(),
            n_early=(pl.col("day") <= half).sum(),
            n_late=(pl.col("day") > half).sum(),
            first=pl.col("day").min(),
        )
        .filter(
            (pl.col("n_early") >= 4)
            & (pl.col("n_late") >= 4)
            & (pl.col("first") <= start + timedelta(days=7))
            & (pl.col("late") >= pl.col("early"))
            & (pl.col("late") > plan.pain.green_max)
        )
        .join(active, on="athlete_id", how="semi")
    )
    return frames.frame(
        trend,
        rule="no_improvement",
        subject=pl.lit("six weeks"),
        severity=pl.lit("warning"),
        day=pl.lit(as_of),
        plan_week=pl.lit(0),
        value=pl.col("late").cast(pl.Float64),
        limit=pl.col("early").cast(pl.Float64),
        message=pl.format(
            "Six weeks on, your morning pain is not going down (median {} then, {} now):"
            " get an assessment from a physiotherapist or doctor.",
            pl.col("early"),
            pl.col("late"),
        ),
        evidence=pl.lit(plan.pain.evidence),
    )
