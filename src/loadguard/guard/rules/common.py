"""What every rule shares: the plan's stages as a frame to join on plan weeks."""

from __future__ import annotations

import polars as pl

from loadguard.guard.plan import Plan


def stage_table(plan: Plan, last_week: int) -> pl.DataFrame:
    """One row per plan week 1..last_week with that week's stage prescription.

    ``prev_session_hi`` is the previous stage's longest session (min), used to
    tell the plan's own step up into a new stage from a runner's overreach.
    """
    rows = []
    for week in range(1, max(last_week, plan.weeks) + 1):
        stage = plan.stage_for_week(week)
        assert stage is not None
        index = plan.stages.index(stage)
        previous = plan.stages[index - 1] if index > 0 else None
        rows.append(
            {
                "plan_week": week,
                "stage": stage.name,
                "stage_first_week": stage.weeks[0],
                "run_interval_s": stage.run_s,
                "walk_interval_s": stage.walk_s,
                "session_lo": stage.session_min[0] if stage.session_min else None,
                "session_hi": stage.session_min[1] if stage.session_min else None,
                "prev_session_hi": previous.session_min[1]
                if previous and previous.session_min
                else None,
                "hard_share_max": stage.hard_share_max,
                "stage_evidence": stage.evidence,
                "in_plan": week <= plan.weeks,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "plan_week": pl.Int32,
            "stage": pl.String,
            "stage_first_week": pl.Int32,
            "run_interval_s": pl.Float64,
            "walk_interval_s": pl.Float64,
            "session_lo": pl.Float64,
            "session_hi": pl.Float64,
            "prev_session_hi": pl.Float64,
            "hard_share_max": pl.Float64,
            "stage_evidence": pl.String,
            "in_plan": pl.Boolean,
        },
    )


def in_plan(frame: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Only the rows whose (adaptive) stage week is inside the plan, joined to their stage."""
    return with_stage(frame.filter(pl.col("stage_week").is_between(1, plan.weeks)), plan)


def with_stage(frame: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Join each row's stage week (the plan week whose rules apply: the calendar week,
    unless pain held the runner back) to its stage; rows before the plan get nulls."""
    last = int(frame["stage_week"].max() or 1) if frame.height else 1  # type: ignore[arg-type]
    table = stage_table(plan, last).rename({"plan_week": "stage_week"})
    return frame.join(table, on="stage_week", how="left")


def fmt(expr: pl.Expr, decimals: int = 1) -> pl.Expr:
    """A number as text with fixed decimals, for messages: rounded to 2 decimals first,
    as the report's figures are, so the check's table and its messages agree."""
    if decimals == 0:
        return expr.round(2).round(0).cast(pl.Int64).cast(pl.String)
    return expr.round(2).round(decimals).cast(pl.String)
