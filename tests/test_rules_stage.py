"""Stage rules (session time, run/walk intervals, surface) and shoe rules, worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from builders import Run, findings, plan, shoes, week_day


def test_a_run_on_asphalt_in_week_3_is_flagged() -> None:
    found = findings([Run(3, 3.0, sub_sport="street")], week_day(3, 6), "surface_phase")
    assert [(f["plan_week"], f["severity"], f["value"], f["limit"]) for f in found] == [
        (3, "warning", 100.0, 0.0)
    ]
    assert "paved" in found[0]["message"]


def test_a_road_crossing_on_a_gravel_run_in_week_3_is_not_running_on_asphalt() -> None:
    assert findings([Run(3, 3.0, paved_m=40)], week_day(3, 6), "surface_phase") == []


@pytest.mark.parametrize(
    ("km", "paved_m"),
    [(2.0, 200.0), (10.0, 300.0)],  # under 250 m; under 5 % of the run
    ids=["the way to the park", "a few hundred metres of a long run"],
)
def test_incidental_paved_stretches_below_the_plans_floor_do_not_count(
    km: float, paved_m: float
) -> None:
    assert findings([Run(3, km, paved_m=paved_m)], week_day(3, 6), "surface_phase") == []


def test_half_a_kilometre_of_road_in_week_3_is_flagged_saying_how_much() -> None:
    found = findings([Run(3, 3.0, paved_m=600)], week_day(3, 6), "surface_phase")
    assert [(f["plan_week"], round(f["value"], 1)) for f in found] == [(3, 20.0)]
    assert "0.6 km (20 % of the run) on paved ground in week 3" in str(found[0]["message"])


def test_the_paved_floor_names_its_source_in_the_plan() -> None:
    floor = plan().paved_floor
    assert floor is not None
    assert (floor.min_m, floor.min_share) == (250.0, 0.05)
    assert plan().evidence(floor.evidence).grade == "convention"


def test_a_runners_grass_tag_beats_the_watchs_street_label() -> None:
    run = Run(3, 3.0, sub_sport="street", name="Park loop #grass")
    assert findings([run], week_day(3, 6), "surface_phase") == []


def test_a_run_tagged_grass_and_asphalt_counts_half_on_paved_ground() -> None:
    run = Run(2, 2.0, name="#grass then #asphalt home")
    found = findings([run], week_day(2, 6), "surface_phase")
    assert [f["value"] for f in found] == [50.0]


def test_an_unlabelled_run_is_unknown_not_flagged() -> None:
    assert findings([Run(2, 2.0, sub_sport="generic")], week_day(2, 6), "surface_phase") == []


def test_more_than_half_on_paved_ground_in_week_5_is_too_much() -> None:
    runs = [Run(5, 3.0, sub_sport="street"), Run(5, 2.0, sub_sport="trail", offset_days=2)]
    found = findings(runs, week_day(5, 6), "surface_phase")
    assert [(f["plan_week"], f["value"], f["limit"]) for f in found] == [(5, 60.0, 50.0)]


def test_forty_percent_on_paved_ground_in_week_6_is_fine() -> None:
    runs = [Run(6, 2.0, sub_sport="street"), Run(6, 3.0, sub_sport="trail", offset_days=2)]
    assert findings(runs, week_day(6, 6), "surface_phase") == []


def test_asphalt_is_allowed_from_week_7() -> None:
    assert findings([Run(7, 5.0, sub_sport="street")], week_day(7, 6), "surface_phase") == []


@pytest.mark.parametrize(
    ("week", "minutes", "expected"),
    [
        (1, 20.0, []),  # the stage's top
        (1, 21.0, []),  # within a minute's grace
        (1, 22.0, ["warning"]),
        (1, 31.0, ["critical"]),  # over 1.5 x 20 min
        (4, 26.5, ["warning"]),
        (8, 90.0, []),  # continuous stage: no session range
    ],
)
def test_session_time_is_held_against_the_stage(
    week: int, minutes: float, expected: list[str]
) -> None:
    found = findings([Run(week, 2.0, minutes=minutes)], week_day(week, 6), "session_duration")
    assert [f["severity"] for f in found] == expected


@pytest.mark.parametrize(
    ("week", "longest_run_s", "expected"),
    [
        (1, 60.0, []),
        (1, 90.0, []),  # 30 s grace on a 1-minute interval
        (1, 120.0, ["warning"]),
        (1, 181.0, ["critical"]),  # over three intervals
        (3, 150.0, []),
        (3, 151.0, ["warning"]),
        (5, 900.0, ["warning"]),
        (7, 1800.0, []),  # continuous running from week 7
        (3, None, []),  # no speed stream: nothing to judge
    ],
)
def test_continuous_running_is_held_against_the_stage_interval(
    week: int, longest_run_s: float | None, expected: list[str]
) -> None:
    run = Run(week, 2.0, minutes=20, longest_run_s=longest_run_s)
    found = findings([run], week_day(week, 6), "interval_structure")
    assert [f["severity"] for f in found] == expected


def test_runs_before_the_plan_starts_are_not_held_against_a_stage() -> None:
    run = Run(date(2026, 2, 1), 8.0, minutes=50, sub_sport="street", longest_run_s=3000)
    for rule in ("surface_phase", "session_duration", "interval_structure"):
        assert findings([run], week_day(1, 6), rule) == []


@pytest.mark.parametrize(
    ("initial_km", "expected"),
    [(494.0, []), (495.0, [("warning", 500.0)]), (795.0, [("critical", 800.0)])],  # + a 5 km run
)
def test_shoe_wear_warns_at_500_km_and_says_retire_at_800(
    initial_km: float, expected: list[tuple[str, float]]
) -> None:
    frame = shoes({"initial_km": initial_km, "default_from": week_day(1)})
    found = findings([Run(2, 5.0)], week_day(2, 6), "shoe_wear", frame)
    assert [(f["severity"], f["limit"]) for f in found] == expected
    assert all(f["plan_week"] == 0 for f in found)


def test_a_retired_shoe_is_not_a_wear_alert() -> None:
    frame = shoes({"initial_km": 900.0, "retired_on": week_day(1)})
    assert findings([Run(2, 5.0)], week_day(2, 6), "shoe_wear", frame) == []


def test_runs_after_a_shoe_is_retired_do_not_count_on_it() -> None:
    frame = shoes(
        {"initial_km": 495.0, "default_from": week_day(1), "retired_on": week_day(2)},
        {"initial_km": 0.0, "default_from": week_day(2)},
    )
    found = findings([Run(1, 4.0), Run(2, 6.0)], week_day(2, 6), "shoe_wear", frame)
    assert found == []  # 495 + 4 = 499 on the old shoe, 6 km on the new one


def test_a_minimalist_low_drop_shoe_in_rehab_breaks_the_profile() -> None:
    frame = shoes(
        {"heel_stack_mm": 18.0, "drop_mm": 4.0, "minimalist": True, "default_from": week_day(1)}
    )
    found = findings([Run(2, 3.0)], week_day(2, 6), "shoe_profile", frame)
    assert sorted((f["value"], f["limit"]) for f in found) == [(1.0, 0.0), (4.0, 8.0), (18.0, 25.0)]


def test_a_cushioned_shoe_in_the_range_is_fine_and_an_unused_flat_is_not_judged() -> None:
    frame = shoes(
        {"heel_stack_mm": 30.0, "drop_mm": 10.0, "default_from": week_day(1)},
        {"heel_stack_mm": 18.0, "drop_mm": 4.0, "minimalist": True},
    )
    assert findings([Run(2, 3.0)], week_day(2, 6), "shoe_profile", frame) == []


def test_an_explicitly_assigned_shoe_beats_the_default() -> None:
    frame = shoes(
        {"initial_km": 0.0, "default_from": week_day(1)},
        {"initial_km": 498.0},
    )
    found = findings([Run(2, 3.0, shoe_id=2)], week_day(2, 6), "shoe_wear", frame)
    assert [(f["message"].split("'")[1], f["severity"]) for f in found] == [("shoe 2", "warning")]


def test_a_run_of_unknown_ground_in_the_soft_weeks_is_said_so_not_judged() -> None:
    found = findings([Run(2, 2.0, sub_sport="generic")], week_day(2, 6), "surface_unknown")
    assert [(f["severity"], f["value"], f["limit"]) for f in found] == [("info", 100.0, 50.0)]
    assert "surface unknown for 100 %" in found[0]["message"]
    assert findings([Run(2, 2.0, sub_sport="generic")], week_day(2, 6), "surface_phase") == []


def test_unknown_ground_after_the_soft_weeks_or_a_tagged_run_raises_nothing() -> None:
    assert findings([Run(8, 5.0, sub_sport="generic")], week_day(8, 6), "surface_unknown") == []
    tagged = Run(2, 2.0, sub_sport="generic", name="#gravel loop")
    assert findings([tagged], week_day(2, 6), "surface_unknown") == []
