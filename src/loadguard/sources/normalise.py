"""Raw record -> normalised activities, ready to store: the connector's normalise, the
local offset, and the run/walk structure.

(Decoding in a worker process while the main one writes SQLite was measured
on this project's 2-core machines: 28 MB/s against 48 MB/s in-process, the
copying of payloads between processes eating the gain. So it is in-process.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from loadguard.contract import EXTERNAL_ID, NAMED_GEAR, Activity, RawRecord
from loadguard.files import Labels, unlabelled
from loadguard.guard import runwalk
from loadguard.guard.pain_scale import pain_in_text
from loadguard.guard.plan import RunWalkLimits
from loadguard.guard.runwalk import RunWalk
from loadguard.sources import registry
from loadguard.sources.plausible import Held, implausible
from loadguard.surfaces import mix
from loadguard.surfaces.mix import SurfaceContext, SurfaceMix


@dataclass(frozen=True)
class Prepared:
    """One normalised activity with what the core derived from it before storing."""

    activity: Activity
    offset: timedelta  # local = utc + offset
    offset_from: str  # 'source' or 'timezone'
    structure: RunWalk | None = None  # run/walk bouts, from the speed stream
    surfaces: SurfaceMix | None = None  # metres per surface class
    pain: int | None = None  # a pain score the runner wrote into the name or description
    held: Held | None = None  # why its values cannot be right: stored, held for review


Normalised = list[Prepared]


def local_offset(activity: Activity, zone: ZoneInfo) -> tuple[timedelta, str]:
    """The source's own offset, else the athlete's time zone at the start."""
    if activity.utc_offset is not None:
        return activity.utc_offset, "source"
    return activity.start_utc.astimezone(zone).utcoffset() or timedelta(0), "timezone"


# The extras key under which an activity keeps how slowly its runner jogged.
JOG_MPS = "jog_mps"


def activities_of(raw: RawRecord) -> list[Activity]:
    """The activities in a raw record, as its connector reads them, with what an export's
    index said about the file (title, description, shoe, sport) laid over them."""
    inner, labels = unlabelled(raw)
    found = registry.connector(inner.source).normalise(inner)
    return found if labels is None else [_labelled(a, labels) for a in found]


def _labelled(activity: Activity, labels: Labels) -> Activity:
    extras = dict(activity.extras)
    if labels.external_id:
        extras[EXTERNAL_ID] = labels.external_id
    return replace(
        activity,
        name=labels.name or activity.name,
        description=labels.description or activity.description,
        sport=labels.sport or activity.sport,
        gear_id=f"{NAMED_GEAR}{labels.gear}" if labels.gear else activity.gear_id,
        extras=extras,
    )


def _structure(activity: Activity, limits: RunWalkLimits | None) -> RunWalk | None:
    if limits is None:
        return runwalk.analyse(activity.streams)
    return runwalk.analyse(
        activity.streams,
        run_cadence_spm=limits.run_cadence_spm,
        run_speed_mps=limits.run_speed_mps,
    )


def normalise(
    raw: RawRecord,
    timezone: str,
    surfaces: SurfaceContext | None = None,
    runwalk_limits: RunWalkLimits | None = None,
    now: datetime | None = None,
) -> Normalised:
    """Everything the store needs from one raw record; streams are analysed (run/walk
    structure, surfaces when a context is given), then dropped (they stay in the raw
    bytes). An activity whose values cannot be right is held (``now``: the import's time,
    for a start in the future). Raises ConnectorError for a bad record."""
    zone = ZoneInfo(timezone)
    out: Normalised = []
    for activity in activities_of(raw):
        offset, offset_from = local_offset(activity, zone)
        structure = _structure(activity, runwalk_limits)
        extras = dict(activity.extras)
        if structure is not None and structure.jog_mps is not None:
            extras[JOG_MPS] = round(structure.jog_mps, 3)  # calibrates the runner's speed line
        out.append(
            Prepared(
                replace(activity, streams=None, extras=extras),
                offset,
                offset_from,
                structure,
                mix.mix(activity, surfaces) if surfaces is not None else None,
                pain_in_text(f"{activity.name} {activity.description}"),
                implausible(activity, now),
            )
        )
    return out
