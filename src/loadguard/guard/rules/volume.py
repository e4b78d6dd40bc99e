"""Load rules: weekly volume cap, single-session spike, acute:chronic ratio (context)."""

from __future__ import annotations

from datetime import date

import polars as pl

from loadguard.guard import frames
from loadguard.guard.metrics import Metrics
from loadguard.guard.plan import Plan
from loadguard.guard.rules.common import fmt, with_stage


def weekly_volume_cap(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """A plan week more than +10 % over the week before; over +30 % is critical.

    Applies from ``weekly_cap.from_week`` (week 7's step into continuous
    running is the plan's own) and to every week after the plan ends. The week
    in progress counts: an alert should come before the week is done.
    """
    cap = plan.weekly_cap
    change = pl.col("cap_change_pct").round(6)  # float noise: exactly +10 % is within the cap
    weeks = m.weeks.filter(pl.col("cap_km").is_not_null() & (change > cap.increase_max * 100.0))
    critical = change > cap.critical_over * 100.0
    held = pl.col("cap_from_week") < pl.col("plan_week") - 1  # the week before broke its cap
    step = f"+{round(cap.increase_max * 100)} %"
    return frames.frame(
        weeks,
        rule="weekly_volume_cap",
        subject=pl.format("week {}", pl.col("plan_week")),
        severity=pl.when(critical).then(pl.lit("critical")).otherwise(pl.lit("warning")),
        day=pl.col("week_start"),
        plan_week=pl.col("plan_week"),
        value=pl.col("cap_change_pct"),
        limit=pl.lit(cap.increase_max * 100.0),
        message=pl.when(held)
        .then(
            pl.format(
                "Week {}: {} km is over this week's cap of {} km. Week {} was over its cap, so"
                f" this week's cap is still counted from week {{}} ({{}} km, {step} a week);"
                " come back under it before building again.",
                pl.col("plan_week"),
                fmt(pl.col("run_km")),
                fmt(pl.col("cap_km")),
                pl.col("plan_week") - 1,
                pl.col("cap_from_week"),
                fmt(
                    pl.col("cap_base_km")
                    / (1.0 + cap.increase_max)
                    ** (pl.col("plan_week") - 1 - pl.col("cap_from_week"))
                ),
            )
        )
        .otherwise(
            pl.format(
                "Week {}: {} km is +{} % on the week before ({} km). The plan allows"
                f" {step} a week ({{}} km); hold this week's volume where it is.",
                pl.col("plan_week"),
                fmt(pl.col("run_km")),
                fmt(pl.col("cap_change_pct"), 0),
                fmt(pl.col("cap_base_km")),
                fmt(pl.col("cap_km")),
            )
        ),
        evidence=pl.when(critical).then(pl.lit("weekly_jump")).otherwise(pl.lit(cap.evidence))
        if "weekly_jump" in plan.sources
        else pl.lit(cap.evidence),
    )


def session_spike(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """A run more than 10 % longer than the longest of the previous 30 days, in every phase.

    A run that stays inside its stage's prescribed session time, or the plan's
    own step into a new stage at no more than the previous stage's longest
    session, is the plan working: info, not a warning.
    """
    spike = plan.session_spike
    grace_min = plan.session.grace_s / 60.0
    runs = with_stage(
        m.runs.filter(
            pl.col("longest_prev_km") > 0,
            pl.col("km") > pl.col("longest_prev_km") * (1.0 + spike.increase_max),
        ).with_columns(spike_pct=(pl.col("km") / pl.col("longest_prev_km") - 1.0) * 100.0),
        plan,
    ).filter(pl.col("spike_pct") > spike.increase_max * 100.0)
    within_stage = pl.col("session_hi").is_not_null() & (
        pl.col("minutes") <= pl.col("session_hi") + grace_min
    )
    stepping_up = (
        (pl.col("stage_week") == pl.col("stage_first_week"))
        & pl.col("in_plan")
        & pl.col("prev_session_hi").is_not_null()
        & (pl.col("minutes") <= pl.col("prev_session_hi") + grace_min)
    )
    planned = (within_stage | stepping_up).fill_null(value=False)
    severity = (
        pl.when(planned)
        .then(pl.lit("info"))
        .when(pl.col("spike_pct") > spike.critical_over * 100.0)
        .then(pl.lit("critical"))
        .otherwise(pl.lit("warning"))
    )
    advice = (
        pl.when(planned)
        .then(
            pl.lit(" It stays inside this stage's prescription, so this is the plan stepping up.")
        )
        .otherwise(pl.lit(" Longer single runs carry the clearest injury risk; build up in steps."))
    )
    return frames.frame(
        runs,
        rule="session_spike",
        severity=severity,
        day=pl.col("local_date"),
        plan_week=pl.col("plan_week"),
        value=pl.col("spike_pct"),
        limit=pl.lit(spike.increase_max * 100.0),
        message=pl.format(
            "{}: a {} km run, {} % longer than your longest run of the previous"
            f" {spike.window_days} days" + " ({} km).{}",
            pl.col("local_date").cast(pl.String),
            fmt(pl.col("km")),
            fmt(pl.col("spike_pct"), 0),
            fmt(pl.col("longest_prev_km")),
            advice,
        ),
        evidence=pl.lit(spike.evidence),
    )


def acwr(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """Context only, never a verdict: an uncoupled acute:chronic ratio above the classic 1.5."""
    high = m.acwr.filter(pl.col("ratio") > plan.acwr.high)
    return frames.frame(
        high,
        rule="acwr",
        subject=pl.lit("acwr"),
        severity=pl.lit("info"),
        day=pl.lit(as_of),
        plan_week=pl.col("plan_week"),
        value=pl.col("ratio"),
        limit=pl.lit(plan.acwr.high),
        message=pl.format(
            f"Last {plan.acwr.acute_days} days:"
            + " {} km against {} km a week before that (ratio {}). A contested"
            " measure, shown as context only.",
            fmt(pl.col("acute_km")),
            fmt(pl.col("chronic_weekly_km")),
            fmt(pl.col("ratio"), 2),
        ),
        evidence=pl.lit(plan.acwr.evidence),
    )


def inactive(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """Info: no run for ``inactive.days`` days (since the last run, or since the plan
    started for a runner with none), so nobody reads GREEN as all is well."""
    rule = plan.inactive
    if rule is None or m.athletes is None:
        return frames.empty()
    last = m.last_runs  # from every run, also in a windowed pass (``since``)
    if last is None:
        last = m.runs.group_by(pl.col("athlete_id").cast(pl.String)).agg(
            last=pl.col("local_date").max()
        )
    seen_from = pl.col("plan_start")
    quiet = (
        m.athletes.with_columns(pl.col("athlete_id").cast(pl.String))
        .join(last, on="athlete_id", how="left")
        .with_columns(since=pl.coalesce("last", seen_from))
        .with_columns(days=(pl.lit(as_of) - pl.col("since")).dt.total_days())
        .filter((pl.col("days") >= rule.days) & (pl.col("plan_start") <= as_of))
    )
    since = pl.col("since").cast(pl.String)
    last_run = (
        pl.when(pl.col("last").is_not_null())
        .then(pl.format(": the last was on {}.", since))
        .otherwise(pl.format(" (none since {}).", since))
    )
    return frames.frame(
        quiet,
        rule="inactive",
        subject=pl.format("since {}", pl.col("since")),
        severity=pl.lit("info"),
        day=pl.lit(as_of),
        plan_week=pl.lit(0),
        value=pl.col("days").cast(pl.Float64),
        limit=pl.lit(float(rule.days)),
        message=pl.format(
            "No runs for {} days{} A break, pain or a red flag? Log it (`loadguard pain`,"
            " `loadguard symptom`) so your plan can follow.",
            pl.col("days"),
            last_run,
        ),
        evidence=pl.lit(rule.evidence),
    )
