"""Pain and symptoms: parsing, validation, and the pain rules on hand-made histories."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from builders import PLAN_START, Run, activities, athletes, plan, shoes, week_day
from loadguard.app import service
from loadguard.cli.main import with_plugins
from loadguard.contract import RawRecord
from loadguard.guard import metrics, verdict
from loadguard.guard.pain_scale import pain_in_text
from loadguard.guard.stages import stage_weeks
from loadguard.store.db import Store
from loadguard.store.frames import PAIN_SCHEMA, SYMPTOM_SCHEMA, pain_frame
from loadguard_strava.normalise import raw_record


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("Easy loop, pain 3/10", 3),
        ("Rolig tur smerte 4", 4),
        ("p2 by the lake", 2),
        ("P5", 5),
        ("pain: 0", 0),
        ("pain 11/10", None),
        ("split 3 was fast", None),
        ("pump5 intervals", None),
        ("", None),
    ],
)
def test_pain_written_into_a_name_is_read(text: str, score: int | None) -> None:
    assert pain_in_text(text) == score


def pains(*rows: tuple[date, str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        [("a", d, m, s, None) for d, m, s in rows], schema=PAIN_SCHEMA, orient="row"
    )


def found(
    rule: str,
    as_of: date,
    pain: pl.DataFrame | None = None,
    symptoms: pl.DataFrame | None = None,
    conditions: pl.DataFrame | None = None,
    runs: list[Run] | None = None,
) -> list[dict[str, object]]:
    m = metrics.compute(
        activities(runs or [Run(1, 2.0)]),
        athletes(),
        shoes(),
        plan(),
        as_of,
        pain=pain,
        symptoms=symptoms,
        conditions=conditions,
    )
    return verdict.RULES[rule](m, plan(), as_of).to_dicts()


D = week_day(3, 2)


def test_pain_above_5_is_critical_and_suggests_cross_training() -> None:
    got = found("pain_red", D + timedelta(days=1), pains((D, "after", 6), (D, "morning", 5)))
    assert [(f["severity"], f["value"]) for f in got] == [("critical", 6.0)]
    assert "cycling" in str(got[0]["message"])


def test_yellow_after_a_run_and_a_morning_above_baseline_holds_progression() -> None:
    history = pains(
        (D - timedelta(days=3), "morning", 1),
        (D - timedelta(days=2), "morning", 1),
        (D - timedelta(days=1), "morning", 2),
        (D, "after", 4),
        (D + timedelta(days=1), "morning", 3),
    )
    got = found("pain_not_settled", D + timedelta(days=2), history)
    assert [(f["severity"], f["value"], f["limit"]) for f in got] == [("warning", 3.0, 1.0)]
    assert "hold progression" in str(got[0]["message"])


def test_yellow_that_settled_by_the_morning_is_fine() -> None:
    history = pains(
        (D - timedelta(days=1), "morning", 2),
        (D, "after", 4),
        (D + timedelta(days=1), "morning", 2),
    )
    assert found("pain_not_settled", D + timedelta(days=2), history) == []


def test_no_morning_entry_is_said_not_assumed_settled() -> None:
    got = found("pain_not_settled", D + timedelta(days=3), pains((D, "after", 4)))
    assert [f["severity"] for f in got] == ["info"]
    assert "no morning pain logged" in str(got[0]["message"])
    assert found("pain_not_settled", D + timedelta(days=1), pains((D, "after", 4))) == []


def test_two_entries_the_same_morning_count_by_the_worse() -> None:
    history = pains(
        (D - timedelta(days=1), "morning", 2),
        (D, "after", 5),
        (D + timedelta(days=1), "morning", 1),
        (D + timedelta(days=1), "morning", 4),
    )
    got = found("pain_not_settled", D + timedelta(days=2), history)
    assert [f["value"] for f in got] == [4.0]


def test_a_red_flag_symptom_says_see_a_doctor_and_names_the_nerve() -> None:
    symptoms = pl.DataFrame([("a", D, "burning")], schema=SYMPTOM_SCHEMA, orient="row")
    got = found("red_flag", D, symptoms=symptoms)
    assert [f["severity"] for f in got] == ["critical"]
    assert "Baxter" in str(got[0]["message"])
    conditions = pl.DataFrame({"athlete_id": ["a"], "condition": ["diabetes"]})
    assert [f["severity"] for f in found("red_flag", D, conditions=conditions)] == ["info"]


def test_six_weeks_of_plan_following_without_less_morning_pain_asks_for_an_assessment() -> None:
    as_of = PLAN_START + timedelta(weeks=8)
    flat = pains(*[(as_of - timedelta(days=d), "morning", 3) for d in range(1, 43, 2)])
    runs = [Run(as_of - timedelta(days=d), 3.0) for d in range(2, 42, 4)]
    got = found("no_improvement", as_of, flat, runs=runs)
    assert [f["severity"] for f in got] == ["warning"]
    falling = pains(
        *[(as_of - timedelta(days=d), "morning", 4 if d > 21 else 1) for d in range(1, 43, 2)]
    )
    assert found("no_improvement", as_of, falling, runs=runs) == []
    # without the running, flat pain is not "no improvement despite the plan"
    assert found("no_improvement", as_of, flat) == []


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "lg.sqlite"
    with Store(path) as store:
        store.add_athlete("anna", "Anna", "heel-fat-pad", PLAN_START, "UTC")
    return path


def lg(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(with_plugins(), ["--db", str(db), *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pain", "11", "--morning"], "outside 0-10"),
        (["pain", "3", "--morning", "--date", "2098-01-01"], "in the future"),
        (["pain", "3", "--morning", "--date", "2999-01-01"], "outside 1990-2099"),
        (["pain", "3", "--morning", "--date", "2026-02-30"], "is not a date"),
        (["pain", "3"], "say when"),
        (["pain", "3", "--morning", "--after-run"], "say when"),
        (["symptom", "itchy"], "not one of"),
        (["condition", "asthma"], "not one of"),
    ],
)
def test_bad_pain_and_symptom_input_is_refused_and_nothing_is_stored(
    db: Path, args: list[str], message: str
) -> None:
    code, out = lg(db, *args)
    assert code == 1
    assert message in out
    with Store(db) as store:
        assert pain_frame(store, ["anna"]).height == 0


def test_pain_on_a_day_without_a_run_is_stored_alone_and_shows_in_check(db: Path) -> None:
    code, out = lg(db, "pain", "6", "--rest-day", "--date", "2026-03-04")
    assert code == 0
    assert "red" in out
    assert "with the run" not in out
    code, out = lg(db, "check", "--as-of", "2026-03-05", "--json")
    assert code == 4
    assert '"rule": "pain_red"' in out


def test_pain_in_a_strava_title_is_stored_with_its_run(db: Path) -> None:
    activity = {
        "id": 42,
        "sport_type": "Run",
        "name": "Gentle loop pain 4/10",
        "start_date": "2026-03-04T07:00:00Z",
        "utc_offset": 0,
        "distance": 2000.0,
        "moving_time": 900,
        "elapsed_time": 900,
    }
    with Store(db) as store:
        athlete = store.athlete("anna")
        service.ingest(store, athlete, raw_record(activity, None, detailed=True))
        entries = pain_frame(store, ["anna"])
    assert entries.select("day", "moment", "score").rows() == [(date(2026, 3, 4), "after", 4)]
    assert entries["activity_id"][0] is not None


def stage_week_of(history: pl.DataFrame, week: int, as_of: date) -> tuple[int, str]:
    table = stage_weeks(athletes(), history, plan(), as_of)
    row = table.filter(pl.col("plan_week") == week).row(0, named=True)
    return row["stage_week"], row["stage_reason"]


def test_a_red_day_in_week_7_steps_back_to_the_weeks_5_to_6_rules() -> None:
    red = pains((week_day(7, 2), "after", 7))
    assert stage_week_of(red, 7, week_day(8, 6)) == (7, "on plan")
    week, reason = stage_week_of(red, 8, week_day(8, 6))
    assert week == 5
    assert "pain above 5/10 in week 7" in reason
    # a 30-minute continuous run in week 8 is now judged by the 5:1 run/walk stage
    run = Run(8, 5.0, minutes=30, longest_run_s=1800)
    m = metrics.compute(activities([run]), athletes(), shoes(), plan(), week_day(8, 6), pain=red)
    got = verdict.RULES["interval_structure"](m, plan(), week_day(8, 6)).to_dicts()
    assert [(f["plan_week"], f["severity"]) for f in got] == [(8, "critical")]


def test_pain_that_did_not_settle_holds_the_stage_and_a_good_week_moves_on() -> None:
    history = pains(
        (week_day(3, 0), "morning", 1),
        (week_day(3, 2), "after", 4),
        (week_day(3, 3), "morning", 3),
    )
    assert stage_week_of(history, 4, week_day(5, 6))[0] == 3  # held in week 3's place
    assert stage_week_of(history, 5, week_day(5, 6))[0] == 4  # then on, one week behind


def test_no_morning_entry_holds_too_since_nobody_knows_it_settled() -> None:
    history = pains((week_day(3, 2), "after", 4))
    week, reason = stage_week_of(history, 4, week_day(4, 6))
    assert week == 3
    assert "held" in reason


def test_check_reports_the_calendar_week_and_the_adaptive_stage(db: Path) -> None:
    lg(db, "pain", "7", "--after-run", "--date", "2026-04-15")  # plan week 7
    code, out = lg(db, "check", "--as-of", "2026-04-22", "--json")  # plan week 8
    assert code == 4  # the red day is still current
    report = json.loads(out)
    assert report["plan"]["week"] == 8
    assert report["plan"]["stage_week"] == 5
    assert report["plan"]["stage"] == "run/walk 5:1"
    assert "stepped back" in report["plan"]["stage_reason"]


def strava_activity(
    activity_id: int, sport: str, day: str, metres: float, seconds: int
) -> RawRecord:
    activity = {
        "id": activity_id,
        "sport_type": sport,
        "name": sport,
        "start_date": f"{day}T07:00:00Z",
        "utc_offset": 0,
        "distance": metres,
        "moving_time": seconds,
        "elapsed_time": seconds,
    }
    return raw_record(activity, None, detailed=True)


def test_cross_training_and_walks_are_counted_apart_and_never_toward_the_run_cap(
    db: Path,
) -> None:
    sessions = [
        (1, "Run", "2026-04-20", 5000.0, 1800),  # plan week 8
        (2, "Run", "2026-04-27", 5200.0, 1850),  # plan week 9: +4 %
        (3, "Ride", "2026-04-28", 30000.0, 3600),
        (4, "Swim", "2026-04-29", 1500.0, 2400),
        (5, "Walk", "2026-04-30", 6000.0, 4000),
    ]
    with Store(db) as store:
        athlete = store.athlete("anna")
        for activity_id, sport, day, metres, seconds in sessions:
            service.ingest(
                store, athlete, strava_activity(activity_id, sport, day, metres, seconds)
            )
        report = service.check(store, athlete, date(2026, 5, 3))
    week9 = next(w for w in report.weeks if w["plan_week"] == 9)
    assert week9["run_km"] == pytest.approx(5.2)
    assert week9["walk_km"] == pytest.approx(6.0)
    assert week9["cross_min"] == pytest.approx(100.0)
    assert "weekly_volume_cap" not in {f.rule for f in report.findings}
