"""Write activities as genuine FIT activity files (demo data for the FIT connector).

Each :class:`~loadguard.contract.Activity` becomes one file made with garmin-fit-sdk's
``Encoder`` (21.200 or later): file_id, device_info, a timer start event, one
``record`` per stream sample, a timer stop event, one lap, one session and the
activity message. The SDK is imported only when writing, so reading FIT files never
needs it.

The encoder is forgiving in ways that lose data silently, so this module guards it:

* keys it does not know (including sub-field names such as ``timer_trigger`` or
  ``garmin_product``) are dropped without a word: every key is checked against the
  profile first (:func:`_unknown_fields`) and an unknown one raises;
* integers out of a field's range are wrapped (a heart rate of 300 is stored as 44)
  and unscaled floats are truncated: values are rounded and range-checked here, and
  samples that do not fit are left out of their record;
* NaN makes the whole message fail, so samples without a value omit the field;
* naive datetimes are read as local time: every timestamp is passed as FIT seconds;
* the type stubs spell enum names in camelCase while the encoder wants snake_case:
  enums are passed as numbers, looked up in the profile by their FIT names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from loadguard.contract import Activity, ConnectorError, Streams

if TYPE_CHECKING:
    from garmin_fit_sdk import Encoder
    from garmin_fit_sdk.mesgs import (
        ActivityMesg,
        DeviceInfoMesg,
        EventMesg,
        FileIdMesg,
    )

__all__ = ["encode_activity", "write_samples"]

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)

# Global message numbers and enum values from the FIT profile.
_FILE_ID, _SESSION, _LAP, _RECORD, _EVENT, _DEVICE_INFO, _ACTIVITY = 0, 18, 19, 20, 21, 23, 34
_FILE_ACTIVITY = 4
_MANUFACTURER_DEVELOPMENT = 255
_PRODUCT = 1
_SERIAL_NUMBER = 0x4C470001  # uint32z: 0 would mean "invalid"
_SOFTWARE_VERSION = 1.0
_EVENT_TIMER, _EVENT_SESSION, _EVENT_LAP, _EVENT_ACTIVITY = 0, 8, 9, 26
_EVENT_TYPE_START, _EVENT_TYPE_STOP, _EVENT_TYPE_STOP_ALL = 0, 1, 4
_TIMER_TRIGGER_MANUAL = 0  # goes in the event's `data` field (timer_trigger is a sub-field)
_LAP_TRIGGER_SESSION_END = 7
_SESSION_TRIGGER_ACTIVITY_END = 0
_ACTIVITY_MANUAL = 0

_SEMICIRCLES_PER_DEGREE = 2.0**31 / 180.0
_UINT8_MAX, _UINT16_MAX, _UINT32_MAX = 0xFE, 0xFFFE, 0xFFFFFFFE  # all-ones means invalid

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def write_samples(activities: list[Activity], folder: Path) -> list[Path]:
    """Write one FIT activity file per activity into ``folder``; return the paths in order.

    Files are named from the UTC start (``2026-03-02-07-30-00.fit``); a start already
    taken, in this batch or by a file in the folder, gets ``-2``, ``-3``, ... Existing
    files are never overwritten. All activities are encoded before any file is written,
    so a bad activity leaves the folder untouched.
    """
    encoded = [(_file_stem(activity), encode_activity(activity)) for activity in activities]
    folder.mkdir(parents=True, exist_ok=True)
    return [_write_new_file(folder, stem, data) for stem, data in encoded]


def encode_activity(activity: Activity) -> bytes:
    """Return the bytes of a FIT activity file for ``activity`` (name and description left out)."""
    encoder_class, profile = _sdk()
    label = f"{activity.source}:{activity.source_id}"
    sport = _enum_number(profile, "sport", activity.sport or "generic", label)
    sub_sport = _enum_number(profile, "sub_sport", activity.sub_sport or "generic", label)
    start = fit_seconds(activity.start_utc)
    columns = _record_columns(activity.streams, start, label)
    stamps = [int(v) for v in columns["timestamp"] if v is not None]
    end = start + max(round(activity.elapsed_s), stamps[-1] - start if stamps else 0)
    if not 0 <= start <= end <= _UINT32_MAX:
        raise ValueError(f"{label}: start or end cannot be stored as a FIT timestamp")
    out = _CheckedEncoder(encoder_class(), profile)

    file_id: FileIdMesg = {
        "type": _FILE_ACTIVITY,
        "manufacturer": _MANUFACTURER_DEVELOPMENT,
        "product": _PRODUCT,
        "serial_number": _SERIAL_NUMBER,
        "time_created": start,
    }
    device: DeviceInfoMesg = {
        "timestamp": start,
        "device_index": 0,
        "manufacturer": _MANUFACTURER_DEVELOPMENT,
        "product": _PRODUCT,
        "serial_number": _SERIAL_NUMBER,
        "software_version": _SOFTWARE_VERSION,
    }
    if activity.device:
        file_id["product_name"] = activity.device
        device["product_name"] = activity.device
    out.write(_FILE_ID, file_id)
    out.write(_DEVICE_INFO, device)
    out.write(_EVENT, _timer_event(start, _EVENT_TYPE_START))
    out.write_records(columns)
    out.write(_EVENT, _timer_event(end, _EVENT_TYPE_STOP_ALL))

    summary = _summary(activity, columns, start, end, sport, sub_sport)
    out.write(_LAP, {**summary, "event": _EVENT_LAP, "lap_trigger": _LAP_TRIGGER_SESSION_END})
    session = {"event": _EVENT_SESSION, "trigger": _SESSION_TRIGGER_ACTIVITY_END, "num_laps": 1}
    out.write(_SESSION, {**summary, **session, "first_lap_index": 0})
    closing: ActivityMesg = {
        "timestamp": end,
        "total_timer_time": max(activity.timer_s, 0.0),
        "num_sessions": 1,
        "type": _ACTIVITY_MANUAL,
        "event": _EVENT_ACTIVITY,
        "event_type": _EVENT_TYPE_STOP,
    }
    if activity.utc_offset is not None:
        closing["local_timestamp"] = end + round(activity.utc_offset.total_seconds())
    out.write(_ACTIVITY, closing)
    return out.close()


def fit_seconds(moment: datetime) -> int:
    """Whole seconds since the FIT epoch (1989-12-31T00:00:00Z) for an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; FIT times are UTC")
    return round((moment - FIT_EPOCH).total_seconds())


class _CheckedEncoder:
    """The SDK encoder, refusing any key it would silently drop."""

    def __init__(self, encoder: Encoder, profile: Mapping[str, Any]) -> None:
        self._encoder = encoder
        self._profile = profile
        self._checked: set[tuple[int, tuple[str, ...]]] = set()

    def write(self, mesg_num: int, mesg: Mapping[str, object]) -> None:
        shape = (mesg_num, tuple(mesg))
        if shape not in self._checked:
            unknown = _unknown_fields(self._profile, mesg_num, shape[1])
            if unknown:
                raise ValueError(f"FIT message {mesg_num} has no field(s) {unknown}")
            self._checked.add(shape)
        self._encoder.on_mesg(mesg_num, dict(mesg))

    def write_records(self, columns: Mapping[str, list[int | float | None]]) -> None:
        named = list(columns.items())
        for i in range(len(columns["timestamp"])):
            self.write(_RECORD, {name: v[i] for name, v in named if v[i] is not None})

    def close(self) -> bytes:
        return self._encoder.close()


def _unknown_fields(profile: Mapping[str, Any], mesg_num: int, names: tuple[str, ...]) -> list[str]:
    """Names the SDK encoder would drop: not a field of ``mesg_num`` (sub-fields included)."""
    fields = profile["messages"][mesg_num]["fields"].values()
    known = {str(field["name"]) for field in fields}
    return [name for name in names if name not in known]


def _record_columns(
    streams: Streams | None, start: int, label: str
) -> dict[str, list[int | float | None]]:
    """Per-record field values, ``None`` where a sample has no value that fits the field."""
    n = len(streams) if streams is not None else 0

    def column(name: str) -> npt.NDArray[np.float64]:
        values = streams.get(name) if streams is not None else None
        return np.full(n, np.nan) if values is None else np.asarray(values, dtype=np.float64)

    has_t = streams is not None and streams.get("t") is not None
    timestamps = np.rint(start + (column("t") if has_t else np.arange(n, dtype=np.float64)))
    if not _in_range(timestamps, _UINT32_MAX).all():
        raise ValueError(f"{label}: stream times must be finite and fit a FIT timestamp")
    lat, lon = column("lat"), column("lon")
    fix = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    lat_sc = np.rint(np.where(fix, lat, 0.0) * _SEMICIRCLES_PER_DEGREE).astype(np.int64)
    lon_sc = np.rint(np.where(fix, lon, 0.0) * _SEMICIRCLES_PER_DEGREE).astype(np.int64)
    lon_sc[lon_sc == 2**31] = -(2**31)  # +180 degrees is -180 degrees, and fits a sint32
    speed, distance = column("speed_mps"), column("distance_m")
    heart_rate = np.rint(column("heart_rate"))
    # Streams hold steps/min; running FIT cadence is strides/min plus 1/128ths.
    cadence_128 = np.rint(column("cadence_spm") * 64.0)
    cadence_ok = _in_range(cadence_128, (_UINT8_MAX + 1) * 128 - 1)
    return {
        "timestamp": timestamps.astype(np.int64).tolist(),
        "position_lat": _masked(lat_sc, fix),
        "position_long": _masked(lon_sc, fix),
        "distance": _masked(distance, _in_range(distance * 100, _UINT32_MAX)),
        "speed": _masked(speed, _in_range(speed * 1000, _UINT16_MAX)),
        "enhanced_speed": _masked(speed, _in_range(speed * 1000, _UINT32_MAX)),
        "heart_rate": _masked(heart_rate, _in_range(heart_rate, _UINT8_MAX) & (heart_rate > 0)),
        "cadence": _masked(np.floor_divide(cadence_128, 128), cadence_ok),
        "fractional_cadence": _masked(np.mod(cadence_128, 128) / 128.0, cadence_ok),
    }


def _summary(
    activity: Activity,
    columns: Mapping[str, list[int | float | None]],
    start: int,
    end: int,
    sport: int,
    sub_sport: int,
) -> dict[str, int | float]:
    """Fields shared by the lap and the session (both span the whole activity)."""
    distance = max(activity.distance_m, 0.0)
    timer = max(activity.timer_s, 0.0)
    summary: dict[str, int | float] = {
        "message_index": 0,
        "timestamp": end,
        "event_type": _EVENT_TYPE_STOP,
        "start_time": start,
        "sport": sport,
        "sub_sport": sub_sport,
        "total_elapsed_time": max(activity.elapsed_s, 0.0),
        "total_timer_time": timer,
        "total_distance": distance,
    }
    lats, longs = columns["position_lat"], columns["position_long"]
    first_fix = next((i for i, v in enumerate(lats) if v is not None), None)
    if first_fix is not None:
        summary["start_position_lat"] = int(lats[first_fix] or 0)
        summary["start_position_long"] = int(longs[first_fix] or 0)
    if timer > 0 and distance / timer * 1000 <= _UINT16_MAX:
        summary["avg_speed"] = summary["enhanced_avg_speed"] = distance / timer
    heart_rates = [v for v in columns["heart_rate"] if v is not None]
    if heart_rates:
        summary["avg_heart_rate"] = round(sum(heart_rates) / len(heart_rates))
        summary["max_heart_rate"] = round(max(heart_rates))
    strides = [
        int(c) + float(f or 0.0)
        for c, f in zip(columns["cadence"], columns["fractional_cadence"], strict=True)
        if c is not None and c > 0
    ]
    if strides:
        mean_128 = round(sum(strides) / len(strides) * 128)
        summary["avg_cadence"] = mean_128 // 128
        summary["avg_fractional_cadence"] = (mean_128 % 128) / 128
    return summary


def _timer_event(timestamp: int, event_type: int) -> EventMesg:
    return {
        "timestamp": timestamp,
        "event": _EVENT_TIMER,
        "event_type": event_type,
        "data": _TIMER_TRIGGER_MANUAL,
        "event_group": 0,
    }


def _in_range(raw: npt.NDArray[np.floating[Any]], top: int) -> BoolArray:
    """Finite values that round to 0..top (NaN compares false, so it is out of range)."""
    with np.errstate(invalid="ignore"):
        rounded = np.rint(raw)
        return np.asarray((rounded >= 0) & (rounded <= top), dtype=np.bool_)


def _masked(values: npt.NDArray[Any], ok: BoolArray) -> list[int | float | None]:
    listed: list[int | float] = values.tolist()
    return [v if keep else None for v, keep in zip(listed, ok.tolist(), strict=True)]


@cache
def _sdk() -> tuple[type[Encoder], Mapping[str, Any]]:
    try:
        from garmin_fit_sdk import Encoder, Profile
    except ImportError as error:  # the encoder only exists from 21.200
        raise ConnectorError(
            "writing FIT files needs garmin-fit-sdk>=21.200 (pip install garmin-fit-sdk)"
        ) from error
    return Encoder, Profile


def _enum_number(profile: Mapping[str, Any], type_name: str, name: str, label: str) -> int:
    numbers = {str(v): int(k) for k, v in profile["types"][type_name].items()}
    key = name.strip().lower()
    if key not in numbers:
        raise ValueError(f"{label}: {name!r} is not a FIT {type_name} name")
    return numbers[key]


def _file_stem(activity: Activity) -> str:
    return activity.start_utc.astimezone(UTC).strftime("%Y-%m-%d-%H-%M-%S")


def _write_new_file(folder: Path, stem: str, data: bytes) -> Path:
    for attempt in range(1, 10_000):
        path = folder / (f"{stem}.fit" if attempt == 1 else f"{stem}-{attempt}.fit")
        try:
            with path.open("xb") as handle:
                handle.write(data)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{folder}: too many files named {stem}*.fit")
