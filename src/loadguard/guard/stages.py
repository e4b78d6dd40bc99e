"""The adaptive stage: the calendar gives the plan week, pain decides the stage (pure).

Each plan week moves the runner one week along the plan when it was tolerated;
a week with pain that had not settled by the next morning (or whose morning
was not logged: not assumed settled) holds them where they are; a week with
pain above 5 steps them back to the start of the previous stage. The result is
the ``stage_week``: the plan week whose stage rules apply.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from loadguard.guard.pain_scale import unsettled
from loadguard.guard.plan import Plan
from loadguard.guard.weeks import plan_week_expr

SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "athlete_id": pl.String,
    "plan_week": pl.Int32,
    "stage_week": pl.Int32,
    "stage_reason": pl.String,
}


def _step_back(plan: Plan, stage_week: int) -> int:
    stage = plan.stage_for_week(stage_week)
    assert stage is not None
    i = plan.stages.index(stage)
    return plan.stages[i - 1].weeks[0] if i > 0 else 1


def stage_weeks(
    athletes: pl.DataFrame, pain: pl.DataFrame | None, plan: Plan, as_of: date
) -> pl.DataFrame:
    """For athletes with pain entries: their stage week for every plan week up to as_of.
    Athletes without any keep the calendar (no rows here)."""
    if pain is None or pain.height == 0:
        return pl.DataFrame(schema=SCHEMA)
    weeks = pain.join(athletes.select("athlete_id", "plan_start"), on="athlete_id").with_columns(
        plan_week=plan_week_expr(pl.col("day"))
    )
    red = weeks.filter(pl.col("score") > plan.pain.yellow_max)
    held = {
        (u.athlete_id, (u.run_day - start).days // 7 + 1)
        for u in unsettled(pain, plan.pain.green_max, plan.pain.yellow_max, as_of)
        for start in athletes.filter(pl.col("athlete_id") == u.athlete_id)["plan_start"]
    }
    reds = set(red.select("athlete_id", "plan_week").iter_rows())
    rows = []
    for athlete_id, start in athletes.filter(
        pl.col("athlete_id").is_in(pain["athlete_id"].unique().implode())
    ).iter_rows():
        last = (as_of - start).days // 7 + 1
        stage_week, reason = 1, "on plan"
        for week in range(1, last + 1):
            rows.append((athlete_id, week, stage_week, reason))
            if (athlete_id, week) in reds:
                stage_week = _step_back(plan, stage_week)
                reason = f"stepped back: pain above {plan.pain.yellow_max}/10 in week {week}"
            elif (athlete_id, week) in held:
                reason = f"held: pain had not settled by the morning after a run in week {week}"
            else:
                stage_week += 1
                reason = "on plan" if stage_week == week + 1 else reason
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def with_stage_week(frame: pl.DataFrame, adaptive: pl.DataFrame) -> pl.DataFrame:
    """Add ``stage_week`` (and the reason) to a frame with athlete_id and plan_week."""
    if adaptive.height == 0:
        return frame.with_columns(stage_week=pl.col("plan_week"), stage_reason=pl.lit("on plan"))
    keyed = adaptive.with_columns(pl.col("athlete_id").cast(frame.schema["athlete_id"]))
    return frame.join(
        keyed, on=["athlete_id", "plan_week"], how="left", maintain_order="left"
    ).with_columns(
        stage_week=pl.coalesce("stage_week", "plan_week"),
        stage_reason=pl.col("stage_reason").fill_null("on plan"),
    )
