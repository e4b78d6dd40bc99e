"""The guard as a whole: a plan-perfect season is quiet, a careless one is not, windows agree."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from builders import athletes, plan, shoes
from loadguard.cli.season import season
from loadguard.contract import Activity, Streams
from loadguard.guard import metrics, runwalk, verdict
from loadguard.guard.findings import Finding
from loadguard.guard.frames import FINDING_SCHEMA
from loadguard.store.frames import ACTIVITY_SCHEMA, with_time_columns

START = date(2026, 9, 7)
ZONE = "Europe/Copenhagen"


def slow(activity: Activity) -> Activity:
    """The same session jogged at a rehab runner's 1.75 m/s (under the 2.0 m/s speed line)
    and 150 steps/min; the walks stay walks (1.25 m/s, 112 steps/min)."""
    assert activity.streams is not None
    cadence = activity.streams.get("cadence_spm")
    assert cadence is not None
    jogging = cadence >= 140
    speed = np.where(jogging, 1.75, 1.25)
    streams = Streams(
        {
            **{k: activity.streams.get(k) for k in ("t", "heart_rate")},
            "speed_mps": speed.astype(np.float32),
            "distance_m": np.cumsum(speed),
            "cadence_spm": np.where(jogging, 150.0, 112.0).astype(np.float32),
        }
    )
    return replace(activity, streams=streams, distance_m=float(speed.sum()))


def season_frame(*, violations: bool, slow_jogger: bool = False) -> pl.DataFrame:
    rows = []
    for i, a in enumerate(season(START, ZONE, 10, violations=violations)):
        a = slow(a) if slow_jogger else a
        rw = runwalk.analyse(a.streams)
        assert rw is not None
        offset = a.utc_offset.total_seconds() if a.utc_offset else 0
        rows.append(
            (
                "a",
                i,
                "season",
                a.sport,
                a.sub_sport,
                a.name,
                "",
                None,
                int(a.start_utc.timestamp()),
                int(offset),
                a.distance_m,
                a.timer_s,
                a.elapsed_s,
                rw.run_s,
                rw.walk_s,
                rw.run_bouts,
                rw.walk_bouts,
                rw.longest_run_s,
                None,
            )
        )
    return with_time_columns(pl.DataFrame(rows, schema=ACTIVITY_SCHEMA, orient="row"))


def evaluate(frame: pl.DataFrame, as_of: date, since: date | None = None) -> pl.DataFrame:
    shoe = shoes({"initial_km": 100.0, "default_from": START})
    m = metrics.compute(frame, athletes(start=START), shoe, plan(), as_of, since=since)
    return verdict.evaluate(m, plan(), as_of)


END = START + timedelta(weeks=10, days=-1)


def test_a_runner_who_follows_the_plan_to_the_letter_gets_no_warning() -> None:
    found = evaluate(season_frame(violations=False), END)
    assert found.filter(pl.col("severity") != "info").to_dicts() == []
    assert verdict.status(found, ["a"], END) == {"a": "green"}


def test_a_slow_jogger_who_follows_the_plan_to_the_letter_gets_no_warning() -> None:
    found = evaluate(season_frame(violations=False, slow_jogger=True), END)
    assert found.filter(pl.col("severity") != "info").to_dicts() == []


def test_a_slow_jogger_with_a_careless_season_is_caught_running_through_the_breaks() -> None:
    found = evaluate(season_frame(violations=True, slow_jogger=True), END)
    got = {(r["rule"], r["plan_week"], r["severity"]) for r in found.to_dicts()}
    assert ("interval_structure", 4, "critical") in got  # 12 min of jogging, no walk break


def test_a_careless_season_is_caught_rule_by_rule() -> None:
    found = evaluate(season_frame(violations=True), END)
    serious = found.filter(pl.col("severity") != "info")
    got = {(r["rule"], r["plan_week"], r["severity"]) for r in serious.to_dicts()}
    assert ("surface_phase", 3, "warning") in got  # the long run on the road in week 3
    assert ("session_duration", 3, "critical") in got  # 40 min where 25 is the most
    assert ("interval_structure", 4, "critical") in got  # 12 min without a walk break
    assert ("surface_phase", 6, "warning") in got  # week 6 all on paved ground
    assert ("weekly_volume_cap", 9, "critical") in got  # +40 % in week 9
    assert verdict.status(found, ["a"], END) == {"a": "red"}  # week 9 was last week
    assert verdict.status(found, ["a"], END + timedelta(days=7)) == {"a": "green"}


@pytest.mark.parametrize("days_back", [0, 6, 13, 40])
def test_a_windowed_guard_finds_exactly_what_the_full_one_finds_in_that_window(
    days_back: int,
) -> None:
    frame = season_frame(violations=True)
    since = END - timedelta(days=days_back)
    full = evaluate(frame, END).filter(pl.col("date") >= since)
    windowed = evaluate(frame, END, since=since)
    key = ["rule", "date", "severity", "message"]
    assert windowed.sort(key).select(key).to_dicts() == full.sort(key).select(key).to_dicts()


def test_a_findings_frame_has_the_records_fields_in_order_so_rows_become_records() -> None:
    assert [f.name for f in fields(Finding)] == list(FINDING_SCHEMA)
