"""Weekly cap, session spike and ACWR, with numbers worked out by hand."""

from __future__ import annotations

import random

import pytest
from polars.testing import assert_frame_equal

from builders import Run, compute, findings, week_day
from loadguard.guard import weeks


def steady_week(week: int, km_each: float) -> list[Run]:
    return [Run(week, km_each, offset_days=d) for d in (0, 2, 4)]


def test_a_week_15_percent_over_the_week_before_in_week_8_is_a_warning() -> None:
    runs = steady_week(7, 3.0) + steady_week(8, 3.45)  # 9.0 -> 10.35 km: +15 %
    found = findings(runs, week_day(8, 6), "weekly_volume_cap")
    assert [(f["plan_week"], f["severity"]) for f in found] == [(8, "warning")]
    assert round(found[0]["value"], 1) == 15.0
    assert found[0]["limit"] == 10.0
    assert found[0]["evidence"] == "weekly_cap"


def test_a_40_percent_jump_after_a_good_week_is_critical_with_study_evidence() -> None:
    runs = steady_week(8, 4.0) + steady_week(9, 5.6)  # 12 -> 16.8 km: +40 %
    found = findings(runs, week_day(9, 6), "weekly_volume_cap")
    assert [(f["plan_week"], f["severity"], f["evidence"]) for f in found] == [
        (9, "critical", "weekly_jump")
    ]
    assert round(found[0]["value"]) == 40


def test_a_week_9_percent_over_is_within_the_cap() -> None:
    runs = steady_week(8, 4.0) + steady_week(9, 4.36)  # +9 %
    assert findings(runs, week_day(9, 6), "weekly_volume_cap") == []


def test_the_step_into_continuous_running_in_week_7_is_the_plans_own() -> None:
    runs = steady_week(6, 3.0) + steady_week(7, 5.0)  # +67 % but week 7
    assert findings(runs, week_day(7, 6), "weekly_volume_cap") == []


def test_the_cap_applies_every_week_after_the_plan_ends() -> None:
    runs = steady_week(20, 8.0) + steady_week(21, 9.2)  # +15 % in week 21
    found = findings(runs, week_day(21, 6), "weekly_volume_cap")
    assert [f["plan_week"] for f in found] == [21]


def test_the_week_in_progress_is_flagged_before_it_ends() -> None:
    # 16 km by Tuesday: +33 %
    runs = [*steady_week(8, 4.0), Run(9, 8.0), Run(9, 8.0, offset_days=1)]
    found = findings(runs, week_day(9, 1), "weekly_volume_cap")
    assert [(f["plan_week"], f["severity"]) for f in found] == [(9, "critical")]


def test_a_week_after_an_empty_week_has_no_base_to_compare_with() -> None:
    runs = steady_week(8, 4.0) + steady_week(10, 6.0)  # week 9 empty
    assert findings(runs, week_day(10, 6), "weekly_volume_cap") == []


def test_a_run_12_percent_longer_than_the_longest_of_30_days_is_a_spike_warning() -> None:
    runs = [Run(10, 5.0), Run(10, 4.0, offset_days=2), Run(11, 5.6)]
    found = findings(runs, week_day(11, 6), "session_spike")
    assert [(f["date"], f["severity"]) for f in found] == [(week_day(11), "warning")]
    assert round(found[0]["value"]) == 12
    assert found[0]["evidence"] == "session_spike"


def test_a_run_more_than_twice_the_longest_is_critical() -> None:
    runs = [Run(10, 5.0), Run(11, 10.5)]
    found = findings(runs, week_day(11, 6), "session_spike")
    assert [f["severity"] for f in found] == ["critical"]


def test_a_long_run_31_days_ago_no_longer_counts() -> None:
    runs = [Run(10, 10.0), Run(10, 4.0, offset_days=10), Run(10, 5.0, offset_days=31)]
    found = findings(runs, week_day(15), "session_spike")
    # 5.0 km vs the 4.0 km run 21 days before it (the 10 km one is 31 days back): +25 %
    assert [(f["date"], round(f["value"])) for f in found] == [(week_day(10, 31), 25)]


def test_the_first_run_has_nothing_to_spike_against() -> None:
    assert findings([Run(10, 8.0)], week_day(10, 6), "session_spike") == []


def test_a_longer_session_inside_the_stage_prescription_is_info() -> None:
    # week 1: 15 -> 20 min sessions of run/walk; 20 min is the stage's top
    runs = [Run(1, 1.5, minutes=15), Run(2, 2.0, minutes=20)]
    found = findings(runs, week_day(2, 6), "session_spike")
    assert [f["severity"] for f in found] == ["info"]


def test_a_session_beyond_the_stage_prescription_is_a_warning_even_in_run_walk_weeks() -> None:
    runs = [Run(3, 2.5, minutes=25), Run(4, 4.0, minutes=35)]
    found = findings(runs, week_day(4, 6), "session_spike")
    assert [f["severity"] for f in found] == ["warning"]


def test_acwr_is_only_ever_info() -> None:
    runs = [Run(w, 3.0, offset_days=d) for w in (5, 6, 7, 8) for d in (0, 3)]
    runs += [Run(9, 9.0, offset_days=d) for d in (0, 2, 4)]  # acute 27 km vs 6 km/week
    found = findings(runs, week_day(9, 6), "acwr")
    assert [f["severity"] for f in found] == ["info"]
    assert round(found[0]["value"], 2) == 4.5


def weeks_of(volumes: dict[int, float]) -> list[Run]:
    """Each plan week's volume in three equal runs."""
    return [run for week, km in volumes.items() for run in steady_week(week, km / 3)]


def test_after_an_overload_week_the_cap_stays_on_the_plans_trajectory() -> None:
    # week 9 is +40 % (21.9 km); week 10's cap is not 21.9 + 10 % but week 8's 15.7 km
    # +10 % twice: 19.0 km, so 20.0 km in week 10 is still over it
    runs = weeks_of({7: 14.3, 8: 15.7, 9: 21.9, 10: 20.0})
    found = findings(runs, week_day(10, 6), "weekly_volume_cap")
    assert [(f["plan_week"], f["severity"]) for f in found] == [(9, "critical"), (10, "warning")]
    week10 = found[1]
    assert round(week10["value"], 1) == round((20.0 / (15.7 * 1.1) - 1) * 100, 1)
    assert (
        "Week 10: 20.0 km is over this week's cap of 19.0 km. Week 9 was over its cap, so this"
        " week's cap is still counted from week 8 (15.7 km, +10 % a week)"
    ) in week10["message"]


def test_the_critical_band_is_measured_against_the_same_base() -> None:
    # after the overload, 23 km is +33 % on the trajectory's 17.3 km: critical,
    # although it is only +5 % on the overload week itself
    runs = weeks_of({8: 15.7, 9: 21.9, 10: 23.0})
    found = findings(runs, week_day(10, 6), "weekly_volume_cap")
    assert [(f["plan_week"], f["severity"]) for f in found] == [(9, "critical"), (10, "critical")]


def test_back_under_the_cap_the_next_cap_is_that_weeks_volume_plus_ten_percent() -> None:
    runs = weeks_of({8: 15.7, 9: 21.9, 10: 18.0, 11: 19.9})
    found = findings(runs, week_day(11, 6), "weekly_volume_cap")
    assert [(f["plan_week"], f["severity"]) for f in found] == [(9, "critical"), (11, "warning")]
    assert "on the week before (18.0 km)" in found[1]["message"]
    assert "(19.8 km)" in found[1]["message"]


def test_the_weeks_table_shows_the_same_cap_as_the_rule() -> None:
    m = compute(weeks_of({8: 15.7, 9: 21.9, 10: 18.0}), week_day(10, 6))
    caps = {
        w["plan_week"]: (round(w["cap_km"], 1), w["cap_from_week"])
        for w in m.weeks.iter_rows(named=True)
        if w["cap_km"] is not None
    }
    assert caps == {9: (17.3, 8), 10: (19.0, 8)}


def test_weekly_sums_are_the_same_whether_numpy_or_polars_groups_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(5)
    runs = [
        Run(week_day(w, d), round(rng.uniform(1, 12), 2), paved_m=rng.choice([None, 800.0]))
        for w in range(1, 30)
        for d in sorted(rng.sample(range(7), rng.randint(0, 4)))
    ]
    m = compute(runs, week_day(30))
    by_polars = weeks.week_sums(m.runs)  # one runner's runs: polars groups them
    monkeypatch.setattr(weeks, "SEGMENTS_FROM", 0)  # as for a pass over thousands
    by_numpy = weeks.week_sums(m.runs)
    assert by_polars.height > 20
    assert_frame_equal(by_polars, by_numpy)
