"""`check` talks about the plan: history before its start is the baseline, not findings,
and every finding but a shoe's carries its plan week."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from builders import PLAN_START, Run, activities, athletes, plan, shoes, week_day
from loadguard.guard import metrics, verdict
from loadguard.store.frames import PAIN_SCHEMA


def evaluate(runs: list[Run], as_of: date, pain: pl.DataFrame | None = None) -> pl.DataFrame:
    m = metrics.compute(activities(runs), athletes(), shoes(), plan(), as_of, pain=pain)
    return verdict.evaluate(m, plan(), as_of)


def test_history_before_the_plan_is_the_baseline_not_a_finding() -> None:
    before = PLAN_START - timedelta(days=20)
    runs = [
        Run(before, 2.0),
        Run(before + timedelta(days=10), 5.0),  # +150 % on the 30-day longest, before the plan
        Run(week_day(1, 1), 6.0, minutes=20),  # +20 % on that 5 km: the baseline counts
    ]
    found = evaluate(runs, week_day(1, 6))
    assert found.filter(pl.col("date") < PLAN_START).is_empty()
    spikes = found.filter(pl.col("rule") == "session_spike")
    assert spikes.select("date", "plan_week").rows() == [(week_day(1, 1), 1)]
    assert found.filter(pl.col("plan_week") < 0).is_empty()


def test_years_of_history_give_no_findings_with_negative_weeks() -> None:
    runs = [Run(PLAN_START - timedelta(days=7 * k), 3.0 + (k % 5) * 2) for k in range(1, 120)]
    found = evaluate([*runs, Run(week_day(1, 2), 2.0)], week_day(1, 6))
    assert found.filter(
        pl.col("plan_week") < 1, ~pl.col("rule").is_in(verdict.SHOE_RULES)
    ).is_empty()


def test_pain_and_symptom_findings_carry_their_plan_week() -> None:
    day = week_day(3, 2)
    pain = pl.DataFrame([("a", day, "rest", 7, None)], schema=PAIN_SCHEMA, orient="row")
    found = evaluate([Run(3, 2.0)], day + timedelta(days=1), pain=pain)
    red = found.filter(pl.col("rule") == "pain_red")
    assert red.select("plan_week").to_series().to_list() == [3]


def test_shoe_findings_keep_no_week() -> None:
    worn = shoes({"initial_km": 790.0})
    m = metrics.compute(activities([Run(3, 20.0)]), athletes(), worn, plan(), week_day(3, 6))
    found = verdict.evaluate(m, plan(), week_day(3, 6))
    wear = found.filter(pl.col("rule") == "shoe_wear")
    assert wear.select("plan_week").to_series().to_list() == [0]


def test_no_runs_for_two_weeks_is_said_with_the_last_runs_date() -> None:
    last = week_day(2, 3)
    found = evaluate([Run(1, 2.0), Run(last, 2.0)], last + timedelta(days=20))
    quiet = found.filter(pl.col("rule") == "inactive").to_dicts()
    assert [(f["severity"], f["value"], f["plan_week"]) for f in quiet] == [("info", 20.0, 5)]
    assert f"No runs for 20 days: the last was on {last}." in quiet[0]["message"]
    status = verdict.status(found, ["a"], last + timedelta(days=20))
    assert status == {"a": "green"}  # said, not a verdict


def test_a_runner_who_never_ran_hears_it_counted_from_the_plans_start() -> None:
    found = evaluate([], week_day(3, 2))
    quiet = found.filter(pl.col("rule") == "inactive").to_dicts()
    assert [q["value"] for q in quiet] == [16.0]
    assert f"No runs for 16 days (none since {PLAN_START})." in quiet[0]["message"]


def test_a_last_run_long_before_the_plan_is_named() -> None:
    old = PLAN_START - timedelta(days=400)
    found = evaluate([Run(old, 2.0)], week_day(3, 2))
    quiet = found.filter(pl.col("rule") == "inactive").to_dicts()
    assert [q["value"] for q in quiet] == [416.0]
    assert f"the last was on {old}" in quiet[0]["message"]


def test_thirteen_days_without_a_run_is_no_finding_yet() -> None:
    last = week_day(2, 3)
    found = evaluate([Run(last, 2.0)], last + timedelta(days=13))
    assert found.filter(pl.col("rule") == "inactive").is_empty()
