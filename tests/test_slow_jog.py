"""A slow jog is running: run/walk from cadence where the file has it, speed only where it
has none. On the real shared watch files, and on FIT files written for a slow jogger who
follows a run/walk week and one who runs on through the walk breaks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest

from fitdata import path_of
from loadguard.app import service
from loadguard.contract import Activity, RawRecord, SampleWriter, Streams
from loadguard.guard import runwalk
from loadguard.guard.plan import load_plan
from loadguard.sources import registry
from loadguard.store.db import Store

PLAN_START = date(2026, 3, 2)


def structure(name: str) -> list[runwalk.RunWalk]:
    fit = registry.connector("fit")
    records = [r for r in fit.fetch(str(path_of(name))) if isinstance(r, RawRecord)]
    found = [
        runwalk.analyse(a.streams)
        for r in records
        for a in fit.normalise(r)
        if a.sport == "running"
    ]
    return [rw for rw in found if rw is not None]


def test_the_stryd_files_slow_continuous_jog_is_57_minutes_of_running() -> None:
    # 150 steps/min at a median 1.98 m/s: under the 2.0 m/s speed line, a runner's cadence
    (rw,) = structure("developer-types-sample.fit")
    assert rw.method == "cadence"
    assert rw.longest_run_s / 60 == pytest.approx(57.0, abs=0.5)
    assert rw.walk_s < 60


def test_a_walking_leg_is_walking_by_its_cadence() -> None:
    walk, run = structure("activity-large-fenxi2-multisport.fit")[:2]
    assert walk.method == run.method == "cadence"
    assert walk.run_s < 0.1 * (walk.run_s + walk.walk_s)  # median 104 steps/min
    assert run.run_s > 0.6 * (run.run_s + run.walk_s)  # median 158 steps/min


def test_a_file_without_cadence_falls_back_to_speed() -> None:
    (rw,) = structure("2013-02-06-12-11-14.fit")
    assert rw.method == "speed"


def test_the_thresholds_live_in_the_plan_with_their_source() -> None:
    plan = load_plan("heel-fat-pad")
    assert plan.runwalk is not None
    assert (plan.runwalk.run_cadence_spm, plan.runwalk.run_speed_mps) == (140.0, 2.0)
    assert plan.evidence(plan.runwalk.evidence).grade == "convention"


def test_a_cadence_drop_out_falls_back_to_speed() -> None:
    n = 600
    cadence = np.full(n, np.nan)
    cadence[:100] = 160.0  # a sensor that gave up after 100 s
    streams = Streams(
        {"t": np.arange(n, dtype=np.float64), "speed_mps": np.full(n, 3.0), "cadence_spm": cadence}
    )
    rw = runwalk.analyse(streams)
    assert rw is not None
    assert (rw.method, rw.run_bouts) == ("speed", 1)


def jog(day: date, pattern: list[tuple[int, bool]], name: str) -> Activity:
    """A slow jogger's session: (seconds, running) bouts; jogging at 1.8 m/s and 150
    steps/min, walking at 1.3 m/s and 105 steps/min, one sample a second."""
    running = np.concatenate([np.full(s, r) for s, r in pattern])
    n = len(running)
    speed = np.where(running, 1.8, 1.3).astype(np.float32)
    start = datetime.combine(day, time(7, 0), tzinfo=UTC)
    return Activity(
        source="test",
        source_id=f"{day}-{name}",
        sport="running",
        sub_sport="trail",
        start_utc=start,
        distance_m=float(speed.sum()),
        timer_s=float(n),
        elapsed_s=float(n),
        name=name,
        streams=Streams(
            {
                "t": np.arange(n, dtype=np.float64),
                "distance_m": np.cumsum(speed, dtype=np.float64),
                "speed_mps": speed,
                "cadence_spm": np.where(running, 150.0, 105.0).astype(np.float32),
            }
        ),
    )


def checked(tmp_path: Path, sessions: list[Activity]) -> list[tuple[str, str]]:
    """Write the sessions as real FIT files, import them and return the findings of week 2
    as (rule, severity)."""
    writer = registry.connector("fit")
    assert isinstance(writer, SampleWriter)
    writer.write_samples(sessions, tmp_path / "watch")
    with Store(tmp_path / "lg.sqlite") as store:
        anna = store.add_athlete("anna", "Anna", "heel-fat-pad", PLAN_START, "UTC")
        summary = service.import_from(store, anna, str(tmp_path / "watch"))
        assert (summary.runs, summary.failed) == (len(sessions), [])
        report = service.check(store, anna, PLAN_START + timedelta(days=13))
    return [(f.rule, f.severity) for f in report.findings if f.plan_week == 2]


WEEK_2 = [PLAN_START + timedelta(days=d) for d in (7, 9, 11)]


def test_a_slow_jogger_who_follows_run_walk_1_2_gets_no_warning(tmp_path: Path) -> None:
    plan = [(60, True), (120, False)] * 6  # 18 minutes: the stage's 1 min run, 2 min walk
    found = checked(tmp_path, [jog(day, plan, "run/walk") for day in WEEK_2])
    assert [f for f in found if f[1] != "info"] == []


def test_a_slow_jogger_who_runs_on_through_the_walk_breaks_is_warned(tmp_path: Path) -> None:
    plan = [(60, True), (120, False)] * 6
    through = [(17 * 60, True), (60, False)]  # 17 minutes of jogging without a break
    sessions = [jog(WEEK_2[0], plan, "run/walk"), jog(WEEK_2[1], through, "kept going")]
    found = checked(tmp_path, sessions)
    assert ("interval_structure", "critical") in found


@pytest.mark.parametrize(
    ("jogs", "line"),
    [
        ([1.8, 1.75, 1.85], 0.9 * 1.8),  # a slow jogger: 1.62 m/s
        ([3.2, 3.0, 3.1], 2.0),  # a quick runner keeps the plan's line
        ([1.3, 1.2, 1.25], 1.4),  # never below brisk walking
        ([1.8, 1.75], 2.0),  # two runs with cadence are not enough to go on
    ],
    ids=["slow jogger", "quick runner", "floor", "too few runs"],
)
def test_the_speed_line_is_calibrated_to_the_runners_own_jog(
    jogs: list[float], line: float
) -> None:
    got = runwalk.calibrated_speed(jogs, 2.0, share=0.9, floor_mps=1.4, runs=3)
    assert got == pytest.approx(line)


def test_a_slow_jog_tells_how_slowly_its_runner_jogs() -> None:
    (rw,) = structure("developer-types-sample.fit")
    assert rw.jog_mps is not None
    assert 1.5 < rw.jog_mps < 2.0


def without_cadence(activity: Activity) -> Activity:
    assert activity.streams is not None
    keep = {k: activity.streams.get(k) for k in ("t", "distance_m", "speed_mps")}
    return replace(activity, source_id=activity.source_id + "-phone", streams=Streams(keep))


def test_a_slow_jogger_s_file_without_cadence_is_judged_by_their_own_speed_line(
    tmp_path: Path,
) -> None:
    # three run/walk sessions from the watch (cadence) teach loadguard how slowly this
    # runner jogs; then a phone app's file (speed only) of 17 minutes straight through
    plan = [(60, True), (120, False)] * 6
    through = [(17 * 60, True), (60, False)]
    watch = [jog(day, plan, "run/walk") for day in WEEK_2]
    phone = without_cadence(jog(WEEK_2[2] + timedelta(days=1), through, "phone app"))
    writer = registry.connector("fit")
    assert isinstance(writer, SampleWriter)
    writer.write_samples(watch, tmp_path / "watch")
    writer.write_samples([phone], tmp_path / "phone")
    with Store(tmp_path / "lg.sqlite") as store:
        anna = store.add_athlete("anna", "Anna", "heel-fat-pad", PLAN_START, "UTC")
        service.import_from(store, anna, str(tmp_path / "watch"))
        assert service.import_from(store, anna, str(tmp_path / "phone")).runs == 1
        report = service.check(store, anna, PLAN_START + timedelta(days=13))
        phone_day = (WEEK_2[2] + timedelta(days=1)).isoformat()
        (run,) = (r for r in report.runs if r["start_local"].startswith(phone_day))
    assert run["longest_run_min"] == pytest.approx(17.0, abs=0.5)
    assert ("interval_structure", "critical") in [
        (f.rule, f.severity) for f in report.findings if f.plan_week == 2
    ]
