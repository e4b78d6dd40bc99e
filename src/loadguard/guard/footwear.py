"""Footwear: which shoe each run was in, and each shoe's km to date (pure polars).

Part of the metrics (:mod:`loadguard.guard.metrics`); here so a columnar copy can sum
the runs it no longer reads with the same functions (:class:`Before`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from loadguard.contract import NAMED_GEAR

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


@dataclass(frozen=True)
class Before:
    """What runs no longer read add up to, per athlete: a columnar copy sums each
    athlete's runs before its recent rows when it writes them, so a scheduled pass reads
    only the last months (:meth:`loadguard.store.snapshot.Snapshot.windowed`).
    ``shoes``: :func:`shoe_use`'s columns with athlete_id; ``last``: athlete_id, last
    (the last run's day, null for none)."""

    shoes: pl.DataFrame
    last: pl.DataFrame

    @staticmethod
    def nothing() -> Before:
        """No runs left out."""
        return Before(
            pl.DataFrame(schema=SHOE_USE_SCHEMA),
            pl.DataFrame(schema={"athlete_id": pl.String, "last": pl.Date}),
        )


def with_shoes(runs: pl.DataFrame, shoes: pl.DataFrame) -> pl.DataFrame:
    """Resolve each run's shoe: explicit assignment > provider gear id (or the shoe's name,
    for an export's) > default shoe that day."""
    kind = runs.schema["athlete_id"]
    shoes = shoes.filter(pl.col("athlete_id").is_in(kind.categories.implode())).with_columns(  # type: ignore[attr-defined]
        pl.col("athlete_id").cast(kind)
    )
    by_gear = pl.concat(
        [
            shoes.filter(pl.col("gear_id").is_not_null()).select(
                "athlete_id", "gear_id", gear_shoe=pl.col("shoe_id")
            ),
            shoes.select(
                "athlete_id",
                gear_id=pl.lit(NAMED_GEAR) + pl.col("name"),
                gear_shoe=pl.col("shoe_id"),
            ),
        ]
    ).unique(["athlete_id", "gear_id"], keep="first", maintain_order=True)
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
    if by_gear.height and runs["gear_id"].null_count() < runs.height:  # a run names gear
        runs = runs.join(by_gear, on=["athlete_id", "gear_id"], how="left", maintain_order="left")
    else:
        runs = runs.with_columns(gear_shoe=pl.lit(None, dtype=pl.Int64))
    resolved = (
        runs.join_asof(
            defaults,
            left_on="local_date",
            right_on="default_from",
            by="athlete_id",
            strategy="backward",
            check_sortedness=False,  # runs are sorted by start within each athlete
        )
        .with_columns(
            default_shoe=pl.when(
                pl.col("retired_on").is_null() | (pl.col("local_date") < pl.col("retired_on"))
            ).then(pl.col("default_shoe"))
        )
        .with_columns(shoe=pl.coalesce("shoe_id", "gear_shoe", "default_shoe"))
        .drop("gear_shoe", "default_shoe", "default_from", "retired_on")
    )
    return resolved


SHOE_USE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "athlete_id": pl.String,
    "shoe": pl.Int64,
    "run_km": pl.Float64,
    "first_used": pl.Date,
    "last_used": pl.Date,
    "rehab_runs": pl.Int64,
}


def shoe_use(runs: pl.DataFrame) -> pl.DataFrame:
    """Per shoe (and its athlete): km run in it, first and last use, runs in the plan."""
    return (
        runs.filter(pl.col("shoe").is_not_null())
        .group_by("athlete_id", "shoe")
        .agg(
            run_km=pl.col("km").sum(),
            first_used=pl.col("local_date").min(),
            last_used=pl.col("local_date").max(),
            rehab_runs=(pl.col("plan_week") >= 1).sum(),
        )
        .cast(SHOE_USE_SCHEMA)  # type: ignore[arg-type]
    )


def shoe_mileage(
    runs: pl.DataFrame, shoes: pl.DataFrame, before: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Every shoe with its km to date: its initial km, the ``runs`` in it and what
    ``before`` sums (:class:`Before`)."""
    used = shoe_use(runs)
    if before is not None and before.height:
        used = (
            pl.concat([used, before.select(used.columns)])
            .group_by("shoe")
            .agg(
                pl.col("run_km").sum(),
                pl.col("first_used").min(),
                pl.col("last_used").max(),
                pl.col("rehab_runs").sum(),
            )
        )
    used = used.select("shoe", "run_km", "first_used", "last_used", "rehab_runs")
    return (
        shoes.join(used, left_on="shoe_id", right_on="shoe", how="left")
        .with_columns(pl.col("run_km").fill_null(0.0), pl.col("rehab_runs").fill_null(0))
        .with_columns(km=pl.col("initial_km") + pl.col("run_km"))
    )
