"""Small builders for frames the metrics take, so rule tests state their numbers plainly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import polars as pl

from loadguard.contract import Activity
from loadguard.guard import footwear, metrics, verdict
from loadguard.guard.metrics import Metrics
from loadguard.guard.plan import Plan, load_plan
from loadguard.store.frames import ACTIVITY_SCHEMA, with_time_columns
from loadguard.surfaces.classes import SURFACE_CLASSES

PLAN_START = date(2026, 3, 2)  # a Monday


@dataclass
class Run:
    day: date | int  # a date, or a plan week's first day when an int (week number)
    km: float
    minutes: float | None = None  # default: 6 min/km
    sub_sport: str = "trail"
    name: str = ""
    longest_run_s: float | None = None
    shoe_id: int | None = None
    offset_days: int = 0  # days into the plan week when `day` is a week number
    paved_m: float | None = None  # a GPS-matched mix: this much paved, the rest gravel


def week_day(week: int, offset: int = 0) -> date:
    return PLAN_START + timedelta(days=(week - 1) * 7 + offset)


def activities(runs: list[Run], athlete: str = "a") -> pl.DataFrame:
    rows = []
    for i, r in enumerate(runs):
        day = r.day if isinstance(r.day, date) else week_day(r.day, r.offset_days)
        start = datetime.combine(day, time(7, 0), tzinfo=UTC)
        minutes = r.minutes if r.minutes is not None else r.km * 6
        rows.append(
            (
                athlete,
                i + 1,
                "test",
                "running",
                r.sub_sport,
                r.name,
                "",
                None,
                int(start.timestamp()),
                0,
                r.km * 1000,
                minutes * 60,
                minutes * 60,
                None,
                None,
                None,
                None,
                r.longest_run_s,
                r.shoe_id,
            )
        )
    frame = pl.DataFrame(rows, schema=ACTIVITY_SCHEMA, orient="row")
    if any(r.paved_m is not None for r in runs):
        mixes: dict[str, list[float | None]] = {c: [] for c in SURFACE_CLASSES}
        for r in runs:
            for c in SURFACE_CLASSES:
                metres = {"paved": r.paved_m, "gravel": r.km * 1000 - (r.paved_m or 0)}.get(c, 0.0)
                mixes[c].append(None if r.paved_m is None else metres)
        frame = frame.with_columns(
            pl.Series(f"stored_{c}_m", v, dtype=pl.Float64) for c, v in mixes.items()
        )
    return with_time_columns(frame)


def athletes(athlete: str = "a", start: date = PLAN_START) -> pl.DataFrame:
    return pl.DataFrame({"athlete_id": [athlete], "plan_start": [start]})


def shoes(*rows: dict[str, object]) -> pl.DataFrame:
    full = [
        {
            "shoe_id": i + 1,
            "athlete_id": "a",
            "name": f"shoe {i + 1}",
            "initial_km": 0.0,
            "heel_stack_mm": 30.0,
            "drop_mm": 10.0,
            "minimalist": False,
            "default_from": None,
            "retired_on": None,
            "gear_id": None,
        }
        | row
        for i, row in enumerate(rows)
    ]
    return pl.DataFrame(full, schema=footwear.SHOE_SCHEMA)


def plan() -> Plan:
    return load_plan("heel-fat-pad")


def compute(runs: list[Run], as_of: date, shoe_frame: pl.DataFrame | None = None) -> Metrics:
    return metrics.compute(
        activities(runs),
        athletes(),
        shoe_frame if shoe_frame is not None else shoes(),
        plan(),
        as_of,
    )


def findings(
    runs: list[Run], as_of: date, rule: str, shoe_frame: pl.DataFrame | None = None
) -> list[dict[str, object]]:
    m = compute(runs, as_of, shoe_frame)
    return verdict.RULES[rule](m, plan(), as_of).to_dicts()


def column(activity: Activity, name: str) -> np.ndarray:
    """One stream column of a normalised activity (the test fails if it is absent)."""
    assert activity.streams is not None
    values = activity.streams.get(name)
    assert values is not None
    return values
