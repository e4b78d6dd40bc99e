"""How an athlete's records are read: their surfaces context (places and maps) and the
run/walk thresholds, the plan's with the speed line (for files without cadence)
calibrated to how slowly they jog in their own runs that had cadence
(:func:`loadguard.guard.runwalk.calibrated_speed`). Read once per import, rebuild or
pushed record, not once per file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import msgspec

from loadguard.contract import Athlete, RawRecord
from loadguard.guard.plan import PlanError, RunWalkLimits, load_plan
from loadguard.sources.normalise import JOG_MPS, Normalised, normalise
from loadguard.store import maps
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
    from loadguard.guard import runwalk  # numpy: when a file is read, not for every command

    own = runwalk.calibrated_speed(
        jog_speeds(store, athlete.id, JOG_MPS),
        limits.run_speed_mps,
        share=limits.calibration_share,
        floor_mps=limits.speed_floor_mps,
        runs=limits.calibration_runs,
    )
    return msgspec.structs.replace(limits, run_speed_mps=own)


def normaliser(store: Store, athlete: Athlete) -> Callable[[RawRecord], Normalised]:
    """``raw -> activities ready to store`` for this athlete (raises ConnectorError, or
    NotAnActivity for a record that holds none)."""
    return partial(
        normalise,
        timezone=athlete.timezone,
        surfaces=maps.context(store, athlete),
        runwalk_limits=runwalk_limits(store, athlete),
        now=datetime.now(UTC),
    )
