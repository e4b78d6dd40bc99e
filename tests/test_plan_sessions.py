"""The next sessions (pure): the stage in force decides them, the plan's session lengths
and intervals shape them, a held runner repeats a stage, a continuous run grows 10 %."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest

from loadguard.app.workouts import workout
from loadguard.guard.plan import Plan, load_plan
from loadguard.guard.sessions import Session, next_sessions

START = date(2026, 3, 2)  # a Monday: plan week 1


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("heel-fat-pad")


def week_day(week: int, day: int = 0) -> date:
    return START + timedelta(days=7 * (week - 1) + day)


def sessions(plan: Plan, week: int, *, held: bool = False, stage_week: int | None = None,
             weeks: int = 1, longest: float | None = None) -> list[Session]:  # fmt: skip
    now = stage_week or week
    coming = now if held else now + 1
    return next_sessions(plan, START, week_day(week), now, coming, held, weeks, longest)


def test_three_sessions_a_week_fall_on_the_schedules_days(plan: Plan) -> None:
    found = sessions(plan, 1, weeks=2)
    assert [s.day for s in found] == [week_day(w, d) for w in (1, 2) for d in (0, 2, 4)]
    assert plan.schedule is not None
    assert plan.schedule.evidence == "schedule"
    assert plan.evidence("schedule").grade == "convention"


def test_week_1_is_run_walk_1_2_for_15_minutes_with_a_warm_up_walk(plan: Plan) -> None:
    first = sessions(plan, 1)[0]
    assert (first.run_s, first.walk_s, first.warmup_s) == (60, 120, 300)
    assert first.repeats == 3  # 5 min walk + 3 x 3 min + 1 min walk = 15 min
    assert first.cooldown_s == 60
    assert first.total_s == 15 * 60


def test_the_session_grows_to_the_stages_longest_in_its_last_week(plan: Plan) -> None:
    assert sessions(plan, 3)[0].total_s == 20 * 60  # run/walk 2:1, weeks 3-4: 20-25 min
    assert sessions(plan, 4)[0].total_s == 25 * 60
    assert sessions(plan, 5)[0].run_s == 300  # run/walk 5:1 from week 5


def test_a_held_runner_repeats_the_stage_in_the_weeks_ahead(plan: Plan) -> None:
    moving = sessions(plan, 4, weeks=2)
    held = sessions(plan, 4, weeks=2, held=True)
    assert moving[-1].stage.name == "run/walk 5:1"
    assert held[-1].stage.name == "run/walk 2:1"
    assert {s.stage_week for s in held} == {4}


def test_pain_this_week_that_steps_next_week_back_shapes_next_weeks_sessions(
    plan: Plan,
) -> None:
    found = next_sessions(plan, START, week_day(3), 3, 1, False, 2, None)
    assert [s.stage.name for s in found] == ["run/walk 2:1"] * 3 + ["run/walk 1:2"] * 3
    assert {s.stage_week for s in found[3:]} == {1}


def test_a_runner_stepped_back_runs_the_earlier_stage(plan: Plan) -> None:
    back = sessions(plan, 6, stage_week=3)[0]
    assert back.plan_week == 6
    assert back.stage.name == "run/walk 2:1"
    assert back.run_s == 120


def test_a_continuous_run_grows_ten_percent_a_week_from_the_longest_recent(
    plan: Plan,
) -> None:
    found = sessions(plan, 7, weeks=2, longest=35 * 60)
    this_week, next_week = found[0], found[-1]
    assert this_week.run_s is None
    assert this_week.continuous_s == 30 * 60  # 35 min less the 5 min warm-up walk
    assert next_week.continuous_s == 33 * 60  # 35 x 1.1 = 38.5 min less 5: 33 whole minutes
    assert this_week.total_s == 35 * 60


def test_without_a_recent_run_a_continuous_run_starts_at_the_schedules_first_length(
    plan: Plan,
) -> None:
    first = sessions(plan, 7)[0]
    assert first.continuous_s == 25 * 60


def test_a_plan_without_a_schedule_plans_nothing(plan: Plan) -> None:
    bare = msgspec.structs.replace(plan, schedule=None)
    assert sessions(bare, 1) == []


def test_a_session_becomes_a_workout_in_the_runners_language(plan: Plan) -> None:
    session = sessions(plan, 3)[0]
    english, danish = workout(session, "en"), workout(session, "da")
    assert english.title == "Run/walk 2:1, 20 min, gravel or trail"
    assert danish.title == "Løb/gang 2:1, 20 min, grus eller sti"
    assert [s.label for s in danish.steps[:3]] == ["Gå", "Løb", "Gå"]
    assert english.total_s == session.total_s
    assert len(english.name) <= 15


def test_the_mixed_stage_says_how_much_paved_ground_it_allows(plan: Plan) -> None:
    session = sessions(plan, 5)[0]
    assert workout(session, "en").notes == "mixed ground, at most 50 % paved"
    assert workout(session, "da").notes == "blandet underlag, højst 50 % fast belægning"
