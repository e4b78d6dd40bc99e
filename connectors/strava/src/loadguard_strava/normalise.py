"""Strava JSON -> loadguard's Activity (pure).

A raw record holds one activity as Strava gave it: ``{"activity": {...},
"streams": {...} | null, "detailed": bool}`` (summary or detailed activity JSON,
streams keyed by type). Strava's sport types map onto FIT's sport/sub_sport
names, so the core reads both sources the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from loadguard.contract import EXTERNAL_ID, Activity, ConnectorError, FloatArray, RawRecord, Streams

SOURCE = "strava"
MEDIA_TYPE = "application/vnd.loadguard.strava+json"
STREAM_TYPES = ("time", "latlng", "distance", "velocity_smooth", "cadence", "heartrate")

# Strava sport_type -> (FIT sport, FIT sub_sport). Unlisted types keep their own name.
SPORTS: dict[str, tuple[str, str]] = {
    "Run": ("running", "generic"),
    "TrailRun": ("running", "trail"),
    "VirtualRun": ("running", "virtual_activity"),
    "Walk": ("walking", "generic"),
    "Hike": ("hiking", "generic"),
    "Ride": ("cycling", "generic"),
    "VirtualRide": ("cycling", "virtual_activity"),
    "GravelRide": ("cycling", "gravel_cycling"),
    "MountainBikeRide": ("cycling", "mountain"),
    "EBikeRide": ("cycling", "e_bike_fitness"),
    "Swim": ("swimming", "generic"),
    "Rowing": ("rowing", "generic"),
    "VirtualRow": ("rowing", "indoor_rowing"),
    "Elliptical": ("fitness_equipment", "elliptical"),
    "StairStepper": ("fitness_equipment", "stair_climbing"),
    "WeightTraining": ("training", "strength_training"),
    "Yoga": ("training", "yoga"),
}
RUN_TYPES = frozenset(k for k, (sport, _) in SPORTS.items() if sport == "running")


def bundle(
    activity: Mapping[str, Any], streams: Mapping[str, Any] | None, *, detailed: bool
) -> bytes:
    """The raw payload stored for one activity."""
    return json.dumps(
        {"activity": activity, "streams": streams, "detailed": detailed}, separators=(",", ":")
    ).encode()


def raw_record(
    activity: Mapping[str, Any], streams: Mapping[str, Any] | None, *, detailed: bool
) -> RawRecord:
    activity_id = activity.get("id")
    return RawRecord(
        source=SOURCE,
        key=str(activity_id),
        payload=bundle(activity, streams, detailed=detailed),
        media_type=MEDIA_TYPE,
        origin=f"strava:activity/{activity_id}",
    )


def sport_type(activity: Mapping[str, Any]) -> str:
    return str(activity.get("sport_type") or activity.get("type") or "Workout")


def is_run(activity: Mapping[str, Any]) -> bool:
    return sport_type(activity) in RUN_TYPES


def _when(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise ConnectorError(f"Strava activity has no {field}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConnectorError(f"Strava activity {field} {value!r} is not a date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(activity: Mapping[str, Any], field: str, default: float | None = None) -> float:
    value = activity.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        if default is not None and value is None:
            return default
        raise ConnectorError(f"Strava activity field {field} is {value!r}, not a number")
    return float(value)


def _column(streams: Mapping[str, Any], key: str) -> list[Any] | None:
    entry = streams.get(key)
    if not isinstance(entry, Mapping):
        return None
    data = entry.get("data")
    return data if isinstance(data, list) else None


def streams_of(raw: Mapping[str, Any] | None, running: bool) -> Streams | None:
    """Strava streams keyed by type -> loadguard's columns (cadence doubled for runs:
    Strava, like FIT, counts strides per minute)."""
    if not raw:
        return None
    time = _column(raw, "time")
    if not time:
        return None
    n = len(time)

    def floats(values: list[Any] | None) -> FloatArray | None:
        if values is None or len(values) != n:
            return None
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    columns: dict[str, FloatArray] = {"t": np.asarray(time, dtype=np.float64)}
    latlng = _column(raw, "latlng")
    if latlng is not None and len(latlng) == n:
        pairs = np.array(
            [p if isinstance(p, list) and len(p) == 2 else (np.nan, np.nan) for p in latlng],
            dtype=np.float64,
        )
        columns["lat"], columns["lon"] = pairs[:, 0], pairs[:, 1]
    for key, name in (
        ("distance", "distance_m"),
        ("velocity_smooth", "speed_mps"),
        ("heartrate", "heart_rate"),
    ):
        values = floats(_column(raw, key))
        if values is not None:
            columns[name] = values
    cadence = floats(_column(raw, "cadence"))
    if cadence is not None:
        columns["cadence_spm"] = cadence * 2.0 if running else cadence
    return Streams(columns)


def normalise_payload(payload: bytes) -> list[Activity]:
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConnectorError(f"not Strava JSON: {exc}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("activity"), Mapping):
        raise ConnectorError("not a loadguard Strava record: no 'activity' object")
    activity: Mapping[str, Any] = data["activity"]
    if not isinstance(activity.get("id"), int):
        raise ConnectorError(f"Strava activity id {activity.get('id')!r} is not a number")
    kind = sport_type(activity)
    sport, sub_sport = SPORTS.get(kind, (kind.lower(), "generic"))
    offset = activity.get("utc_offset")
    gear = activity.get("gear_id")
    streams = data.get("streams")
    extras: dict[str, float | int | str] = {
        "sport_type": kind,
        EXTERNAL_ID: f"strava:{activity['id']}",
    }
    for field in ("average_heartrate", "average_cadence", "total_elevation_gain"):
        value = activity.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            extras[field] = float(value)
    return [
        Activity(
            source=SOURCE,
            source_id=str(activity["id"]),
            sport=sport,
            sub_sport=sub_sport,
            start_utc=_when(activity.get("start_date"), "start_date").astimezone(UTC),
            distance_m=_number(activity, "distance", 0.0),
            timer_s=_number(activity, "moving_time", 0.0),
            elapsed_s=_number(activity, "elapsed_time", 0.0),
            utc_offset=timedelta(seconds=float(offset))
            if isinstance(offset, int | float)
            else None,
            name=str(activity.get("name") or ""),
            description=str(activity.get("description") or ""),
            device=str(activity.get("device_name") or ""),
            gear_id=gear if isinstance(gear, str) and gear else None,
            extras=extras,
            streams=streams_of(
                streams if isinstance(streams, Mapping) else None, sport == "running"
            ),
        )
    ]


def normalise(raw: RawRecord) -> list[Activity]:
    return normalise_payload(raw.payload)
