"""The run/walk thresholds an athlete's files are analysed with: the plan's, with the
speed line (for files without cadence) calibrated to how slowly they jog in their own
runs that had cadence (:func:`loadguard.guard.runwalk.calibrated_speed`)."""

from __future__ import annotations

from loadguard.contract import Athlete
from loadguard.guard import runwalk
from loadguard.guard.plan import PlanError, RunWalkLimits, load_plan
from loadguard.sources.normalise import JOG_MPS
from loadguard.store.activities import jog_speeds
from loadguard.store.db import Store


def runwalk_limits(store: Store, athlete: Athlete) -> RunWalkLimits | None:
    """The plan's run/walk thresholds with the athlete's own speed line; None (the
    analysis' defaults) when the plan cannot be loaded or has none."""
    try:
        limits = load_plan(athlete.plan_id).runwalk
    except PlanError:
        return None
    if limits is None:
        return None
    own = runwalk.calibrated_speed(
        jog_speeds(store, athlete.id, JOG_MPS),
        limits.run_speed_mps,
        share=limits.calibration_share,
        floor_mps=limits.speed_floor_mps,
        runs=limits.calibration_runs,
    )
    return limits.model_copy(update={"run_speed_mps": own})
