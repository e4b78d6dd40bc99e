"""Shoe rules: wear by distance, and the rehab shoe profile."""

from __future__ import annotations

from datetime import date

import polars as pl

from loadguard.guard import frames
from loadguard.guard.metrics import Metrics
from loadguard.guard.plan import Plan
from loadguard.guard.rules.common import fmt


def _active(as_of: date) -> pl.Expr:
    return pl.col("retired_on").is_null() | (pl.col("retired_on") > as_of)


def shoe_wear(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """A shoe in use past the warning distance (warning) or the retirement distance (critical)."""
    wear = plan.shoes
    worn = m.shoes.filter(_active(as_of) & (pl.col("km") >= wear.warn_km))
    retire = pl.col("km") >= wear.retire_km
    return frames.frame(
        worn,
        rule="shoe_wear",
        subject=pl.format("shoe {}", pl.col("shoe_id")),
        severity=pl.when(retire).then(pl.lit("critical")).otherwise(pl.lit("warning")),
        day=pl.lit(as_of),
        plan_week=pl.lit(0),
        value=pl.col("km"),
        limit=pl.when(retire).then(pl.lit(wear.retire_km)).otherwise(pl.lit(wear.warn_km)),
        message=pl.when(retire)
        .then(
            pl.format(
                "Shoe '{}' has {} km:"
                f" past {round(wear.retire_km)} km its cushioning is spent. Retire it.",
                pl.col("name"),
                fmt(pl.col("km"), 0),
            )
        )
        .otherwise(
            pl.format(
                f"Shoe '{{}}' has {{}} km: plan its replacement before {round(wear.retire_km)} km.",
                pl.col("name"),
                fmt(pl.col("km"), 0),
            )
        ),
        evidence=pl.lit(wear.evidence),
    )


def shoe_profile(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """A shoe used for runs during the plan that breaks the rehab profile (stack, drop, minimalist)."""
    want = plan.shoe_profile
    used = m.shoes.filter(pl.col("rehab_runs") > 0)
    checks: list[tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr, str]] = []
    stack_lo, stack_hi = want.heel_stack_mm
    drop_lo, drop_hi = want.drop_mm
    for column, lo, hi, label in (
        ("heel_stack_mm", stack_lo, stack_hi, "heel stack"),
        ("drop_mm", drop_lo, drop_hi, "drop"),
    ):
        value = pl.col(column)
        broken = (value < lo) | (value > hi)
        limit = pl.when(value < lo).then(pl.lit(lo)).otherwise(pl.lit(hi))
        message = pl.format(
            "Shoe '{}': " + label + " of {} mm is outside the rehab range"
            f" {round(lo)}-{round(hi)} mm.",
            pl.col("name"),
            fmt(value, 0),
        )
        checks.append((broken, value, limit, message, column.removesuffix("_mm")))
    if not want.minimalist:
        checks.append(
            (
                pl.col("minimalist").fill_null(value=False),
                pl.lit(1.0),
                pl.lit(0.0),
                pl.format(
                    "Shoe '{}' is minimalist: during rehab run in a cushioned shoe;"
                    " minimalist shoes come back only after full recovery, gradually.",
                    pl.col("name"),
                ),
                "minimalist",
            )
        )
    parts = [
        frames.frame(
            used.filter(broken.fill_null(value=False)),
            rule="shoe_profile",
            subject=pl.format("shoe {}", pl.col("shoe_id")),
            severity=pl.lit("warning"),
            day=pl.lit(as_of),
            plan_week=pl.lit(0),
            value=value,
            limit=limit,
            message=message,
            evidence=pl.lit(want.evidence),
            detail=pl.lit(detail),
        )
        for broken, value, limit, message, detail in checks
    ]
    return pl.concat(parts)
