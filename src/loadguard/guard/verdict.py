"""The guard: every rule over the metrics, and the traffic-light status that follows.

Rules are pure functions ``(metrics, plan, as_of) -> findings frame``; each
names its evidence key so a coach can weigh it (see the plan's [sources.*]).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from loadguard.guard import frames
from loadguard.guard.findings import SEVERITY_RANK
from loadguard.guard.metrics import Metrics
from loadguard.guard.plan import Plan
from loadguard.guard.rules import pain, shoes, stage, volume

Rule = Callable[[Metrics, Plan, date], pl.DataFrame]

RULES: dict[str, Rule] = {
    "weekly_volume_cap": volume.weekly_volume_cap,
    "session_spike": volume.session_spike,
    "surface_phase": stage.surface_phase,
    "surface_unknown": stage.surface_unknown,
    "session_duration": stage.session_duration,
    "interval_structure": stage.interval_structure,
    "shoe_wear": shoes.shoe_wear,
    "shoe_profile": shoes.shoe_profile,
    "acwr": volume.acwr,
    "inactive": volume.inactive,
    "pain_red": pain.pain_red,
    "pain_not_settled": pain.pain_not_settled,
    "red_flag": pain.red_flag,
    "no_improvement": pain.no_improvement,
}

# A finding dated within this many days before as_of decides today's status
# (this plan week and the one before); shoe findings are always current.
STATUS_WINDOW_DAYS = 14


def alert_window(as_of: date, max_age_days: int) -> date:
    """The first day whose findings a scheduled guard can act on: the status window, or
    the age past which a finding is no longer alerted (``notify.max_age_days``)."""
    return as_of - timedelta(days=max(STATUS_WINDOW_DAYS - 1, max_age_days))


def evaluate(m: Metrics, plan: Plan, as_of: date) -> pl.DataFrame:
    """All findings of all rules, in rule order (:func:`newest_first` orders them for people).

    With ``m.since`` set, only findings dated from that day on are returned.
    """
    parts = [rule(m, plan, as_of) for rule in RULES.values()]
    found = in_plan_time(pl.concat([frames.empty(), *parts]), m.athletes)
    return found if m.since is None else found.filter(pl.col("date") >= m.since)


# Findings about a shoe are about its state now: they have no plan week.
SHOE_RULES = ("shoe_wear", "shoe_profile")


def in_plan_time(found: pl.DataFrame, athletes: pl.DataFrame | None) -> pl.DataFrame:
    """History before the plan's start is the baseline, not a finding: findings dated
    before it are dropped (shoes aside), and every other finding carries the plan week
    of its date (pain and symptoms included)."""
    if athletes is None or found.is_empty():
        return found
    starts = athletes.select(pl.col("athlete_id").cast(pl.String), "plan_start")
    shoe = pl.col("rule").is_in(SHOE_RULES)
    week = (pl.col("date") - pl.col("plan_start")).dt.total_days() // 7 + 1
    return (
        found.join(starts, on="athlete_id", how="left")
        .filter(shoe | pl.col("plan_start").is_null() | (pl.col("date") >= pl.col("plan_start")))
        .with_columns(
            plan_week=pl.when(shoe | pl.col("plan_start").is_null())
            .then(pl.col("plan_week"))
            .otherwise(week)
            .cast(pl.Int32)
        )
        .drop("plan_start")
    )


def newest_first(found: pl.DataFrame) -> pl.DataFrame:
    """Findings by athlete, newest first, the most severe first within a day."""
    rank = pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8)
    return found.sort(["athlete_id", "date", rank, "rule"], descending=[False, True, True, False])


def status(found: pl.DataFrame, athlete_ids: list[str], as_of: date) -> dict[str, str]:
    """green / yellow / red per athlete from the findings that are current at as_of."""
    since = as_of - timedelta(days=STATUS_WINDOW_DAYS - 1)
    current = found.filter(pl.col("date") >= since)
    worst = current.group_by("athlete_id").agg(
        worst=pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8).max()
    )
    by_id = dict(worst.iter_rows())
    light = {0: "green", 1: "yellow", 2: "red"}
    return {a: light[int(by_id.get(a, 0) or 0)] for a in athlete_ids}
