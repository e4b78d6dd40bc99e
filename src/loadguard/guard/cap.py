"""The weekly cap: how far each plan week may go, on the plan's trajectory (pure polars).

The plan allows +10 % a week on the last week the runner tolerated within the plan.
After a week that broke its cap, the next cap is not taken from that week (which
would reward the overload) but stays on the trajectory from the last compliant
week, +10 % for every week since, until the runner is back under it:

    cap(w) = 1.1 * min(run(w-1), cap(w-1))     while the cap applies,
    cap(w) = 1.1 * run(w-1)                    in the first week it applies.

Unrolled over a stretch of capped weeks that is a running minimum, so it is one
vectorised pass: ``cap(w) = 1.1^w * min over j < w of run(j) / 1.1^j``, taken in
log space within each stretch.
"""

from __future__ import annotations

import math

import polars as pl

from loadguard.guard.plan import Plan


def with_cap(weeks: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Add to a weekly frame (sorted by athlete and plan week, with ``prev_km`` and
    ``stage_week``): ``cap_km`` (null where the cap does not apply), ``cap_base_km``
    (what the +10 % is taken on), ``cap_from_week`` (the plan week that base comes
    from: the week before, or the last compliant week after an overload) and
    ``cap_change_pct`` (this week against the base)."""
    cap = plan.weekly_cap
    step = math.log1p(cap.increase_max)
    applies = (pl.col("stage_week") >= cap.from_week) & (pl.col("prev_km") >= cap.min_previous_km)
    # log of the previous week's volume, brought back to week 0 on the trajectory
    reach = pl.col("prev_km").log() - (pl.col("plan_week") - 1).cast(pl.Float64) * step
    out = weeks.with_columns(_applies=applies.fill_null(value=False)).with_columns(
        # a stretch: a week the cap does not apply to, then the capped weeks after it
        _stretch=(~pl.col("_applies")).cum_sum().over("athlete_id"),
        _reach=pl.when(pl.col("_applies")).then(reach).otherwise(None),
    )
    lowest = pl.col("_reach").cum_min().over("athlete_id", "_stretch")
    out = out.with_columns(_lowest=lowest).with_columns(
        # the week whose volume the running minimum comes from, carried forward
        _from=pl.when(pl.col("_reach") == pl.col("_lowest"))
        .then(pl.col("plan_week") - 1)
        .otherwise(None)
        .forward_fill()
        .over("athlete_id", "_stretch"),
    )
    base = (pl.col("_lowest") + (pl.col("plan_week") - 1).cast(pl.Float64) * step).exp()
    return (
        out.with_columns(
            cap_base_km=pl.when(pl.col("_applies")).then(base).otherwise(None),
            cap_from_week=pl.when(pl.col("_applies")).then(pl.col("_from")).otherwise(None),
        )
        .with_columns(
            cap_km=pl.col("cap_base_km") * (1.0 + cap.increase_max),
            cap_change_pct=(pl.col("run_km") / pl.col("cap_base_km") - 1.0) * 100.0,
        )
        .drop("_applies", "_reach", "_stretch", "_lowest", "_from")
    )
