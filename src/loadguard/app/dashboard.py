"""What a runner's pages show, as plain data: today's report and next sessions, pain over
time, one run's pace and run/walk bouts. The web app draws it; nothing here knows HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from loadguard.app import service
from loadguard.app.reading import runwalk_limits
from loadguard.contract import Athlete
from loadguard.guard import runwalk
from loadguard.guard.plan import Plan, Stage
from loadguard.guard.report import Report
from loadguard.store import corrections, frames
from loadguard.store.db import Store

CHART_POINTS = 400  # a run's pace line, thinned to this many points (a phone's width)


@dataclass(frozen=True)
class Today:
    report: Report
    this_week: dict[str, Any] | None  # the plan week of today, "so far"
    stage: Stage | None  # the stage in force (held or stepped back: an earlier one)


def today(store: Store, athlete: Athlete, as_of: date | None = None) -> Today:
    return today_from(service.check(store, athlete, as_of or service.today(athlete)))


def today_from(report: Report) -> Today:
    """Today's page from a report (as a viewer sees it: :mod:`loadguard.app.seen`)."""
    week = next((w for w in report.weeks if w["in_progress"]), None)
    return Today(report, week, report.plan.stage_for_week(report.stage_week))


def next_sessions(plan: Plan, stage: Stage | None) -> dict[str, Any] | None:
    """What the next sessions look like in this stage: run/walk interval, session length,
    the ground to run on."""
    if stage is None:
        return None
    return {
        "run_s": stage.run_s,
        "walk_s": stage.walk_s,
        "session_min": stage.session_min,
        "surfaces": list(stage.surfaces),
        "hard_share_max": stage.hard_share_max,
    }


def pain_series(store: Store, athlete: Athlete) -> list[dict[str, Any]]:
    """Every pain score the guard counts, oldest first: day, moment, score."""
    frame = frames.pain_frame(store, [athlete.id])
    return [
        {"day": r["day"].isoformat(), "moment": r["moment"], "score": r["score"]}
        for r in frame.iter_rows(named=True)
    ]


def run_detail(store: Store, athlete: Athlete, activity_id: int) -> dict[str, Any]:
    """One run on a time axis: its pace (min/km) and the run/walk bouts the guard saw.
    StoreError when the athlete has no such run."""
    corrections.run_ref(store, athlete.id, activity_id)
    streams = service.streams_of(store, activity_id)
    points: list[dict[str, float]] = []
    bouts: list[dict[str, Any]] = []
    times = streams.get("t") if streams is not None else None
    if streams is None or times is None:
        return {"points": points, "bouts": bouts}
    t = np.asarray(times, dtype=np.float64)
    speed = streams.get("speed_mps")
    if speed is not None:
        step = max(1, len(t) // CHART_POINTS)
        for when, mps in zip(t[::step], np.asarray(speed, dtype=np.float64)[::step], strict=True):
            if np.isfinite(mps) and mps > 0.5:  # slower is a stop, not a pace
                points.append(
                    {"min": round(float(when - t[0]) / 60, 2), "pace": round(1000 / mps / 60, 2)}
                )
    limits = runwalk_limits(store, athlete)
    found: list[tuple[bool, float]] = []
    runwalk.analyse(
        streams,
        run_cadence_spm=limits.run_cadence_spm if limits else runwalk.RUN_CADENCE_SPM,
        run_speed_mps=limits.run_speed_mps if limits else runwalk.RUN_SPEED_MPS,
        want_bouts=found,
    )
    start = 0.0
    for running, seconds in found:
        bouts.append(
            {
                "from": round(start / 60, 2),
                "to": round((start + seconds) / 60, 2),
                "running": running,
            }
        )
        start += seconds
    return {"points": points, "bouts": bouts}
