"""The adaptive stage: the calendar gives the plan week, pain decides the stage (pure).

Each plan week moves the runner one week along the plan when it was tolerated;
a week with pain that had not settled by the next morning (or whose morning
was not logged: not assumed settled) holds them where they are; a week with
pain above 5 steps them back to the start of the previous stage. A coach may hold the
stage from a plan week on (until released) or set it back to an earlier week, with a
reason: the guard follows them like pain. The result is the ``stage_week``: the plan
week whose stage rules apply.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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


# The pain frame the guard reads (the store makes it: store/pain.py).
PAIN_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "athlete_id": pl.String,
    "day": pl.Date,
    "moment": pl.String,
    "score": pl.Int32,
    "activity_id": pl.Int64,
}


def _step_back(plan: Plan, stage_week: int) -> int:
    stage = plan.stage_for_week(stage_week)
    assert stage is not None
    i = plan.stages.index(stage)
    return plan.stages[i - 1].weeks[0] if i > 0 else 1


def _by_week(adjustments: pl.DataFrame | None) -> dict[tuple[str, int], list[dict[str, Any]]]:
    out: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for a in [] if adjustments is None else adjustments.iter_rows(named=True):
        out.setdefault((a["athlete_id"], a["plan_week"]), []).append(a)
    return out


def stage_weeks(
    athletes: pl.DataFrame,
    pain: pl.DataFrame | None,
    plan: Plan,
    as_of: date,
    adjustments: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """For athletes with pain entries or a coach's adjustments: their stage week for every
    plan week up to as_of. Athletes without either keep the calendar (no rows here).

    ``adjustments``: athlete_id, plan_week, kind (hold | back | release), to_week, reason,
    by (:data:`loadguard.store.coaching.ADJUSTMENT_SCHEMA`), in the order they were made."""
    coach = _by_week(adjustments)
    if (pain is None or pain.height == 0) and not coach:
        return pl.DataFrame(schema=SCHEMA)
    if pain is None or pain.height == 0:
        pain = pl.DataFrame(schema=PAIN_SCHEMA)
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
    who = set(pain["athlete_id"].cast(pl.String).unique()) | {a for a, _ in coach}
    for athlete_id, start in athletes.select("athlete_id", "plan_start").iter_rows():
        if athlete_id not in who:
            continue
        last = (as_of - start).days // 7 + 1
        stage_week, reason, holding = 1, "on plan", ""
        for week in range(1, last + 1):
            for a in coach.get((athlete_id, week), []):
                if a["kind"] == "back" and a["to_week"] is not None:
                    stage_week = max(1, min(stage_week, a["to_week"]))
                    reason = f"set back to week {stage_week} by {a['by']}: {a['reason']}"
                    holding = ""
                elif a["kind"] == "hold":
                    holding = reason = f"held by {a['by']}: {a['reason']}"
                elif a["kind"] == "release":
                    holding = ""
            rows.append((athlete_id, week, stage_week, reason))
            if (athlete_id, week) in reds:
                stage_week = _step_back(plan, stage_week)
                reason = f"stepped back: pain above {plan.pain.yellow_max}/10 in week {week}"
            elif (athlete_id, week) in held:
                reason = f"held: pain had not settled by the morning after a run in week {week}"
            elif holding:
                reason = holding
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
