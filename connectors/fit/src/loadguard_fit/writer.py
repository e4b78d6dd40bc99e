"""Write activities as genuine FIT activity files (demo data for the FIT connector).

Each :class:`~loadguard.contract.Activity` becomes one file: file_id, device_info, a
timer start event, one ``record`` per stream sample, a timer stop event, one lap, one
session and the activity message. garmin-fit-sdk's ``Encoder`` (21.200 or later,
imported only when writing) encodes every message but the records. It needs 70-110
us a record (5-9 s for 40 runs of 2,000), so records are packed here with numpy from
the SDK profile's field numbers, types and scales (~2 ms a run) and spliced between
the SDK's messages; ``encode_activity(..., sdk_records=True)`` keeps the
all-SDK path as the reference the tests compare against.

The encoder loses data silently in ways this module guards against:

* keys it does not know, sub-field names included (``timer_trigger``,
  ``garmin_product``), are dropped: every key is checked against the profile;
* integers out of a field's range are wrapped (a heart rate of 300 becomes 44) and
  unscaled floats truncated: values are rounded and range-checked here, and a sample
  that does not fit leaves its field out of the record;
* NaN fails the whole message, so a missing value leaves its field out;
* naive datetimes are read as local time: every time is passed as FIT seconds;
* the type stubs spell enum names in camelCase but the encoder wants snake_case:
  enums are passed as numbers, looked up in the profile by their FIT names.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastcrc
import numpy as np
import numpy.typing as npt

from loadguard.contract import Activity, ConnectorError, Streams

if TYPE_CHECKING:
    from garmin_fit_sdk import Encoder
    from garmin_fit_sdk.mesgs import ActivityMesg, DeviceInfoMesg, EventMesg, FileIdMesg

__all__ = ["FIT_EPOCH", "encode_activity", "fit_seconds", "write_samples"]

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)

# Global message numbers and enum values from the FIT profile.
_FILE_ID, _SESSION, _LAP, _RECORD, _EVENT, _DEVICE_INFO, _ACTIVITY = 0, 18, 19, 20, 21, 23, 34
_FILE_ACTIVITY = 4
_MANUFACTURER_DEVELOPMENT = 255
_PRODUCT = 1
_SERIAL_NUMBER = 0x4C470001  # uint32z: 0 would mean "invalid"
_EVENT_TIMER, _EVENT_SESSION, _EVENT_LAP, _EVENT_ACTIVITY = 0, 8, 9, 26
_EVENT_TYPE_START, _EVENT_TYPE_STOP, _EVENT_TYPE_STOP_ALL = 0, 1, 4
_TIMER_TRIGGER_MANUAL = 0  # goes in the event's `data` field (timer_trigger is a sub-field)
_LAP_TRIGGER_SESSION_END = 7
_SESSION_TRIGGER_ACTIVITY_END = 0
_ACTIVITY_MANUAL = 0
_RECORD_LOCAL_NUM = 15  # the SDK encoders here use local numbers 0-3
_SEMICIRCLES_PER_DEGREE = 2.0**31 / 180.0

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
# Record field name -> (physical values, usable) for every sample.
Columns = dict[str, tuple[FloatArray, BoolArray]]


def write_samples(activities: list[Activity], folder: Path) -> list[Path]:
    """Write one FIT activity file per activity into ``folder``; return the paths in order.

    Files are named from the UTC start (``2026-03-02-07-30-00.fit``); a name already
    taken, in this batch or by a file in the folder, gets ``-2``, ``-3``, ... Existing
    files are never overwritten. All activities are encoded before any file is written,
    so a bad activity leaves the folder untouched.
    """
    encoded = [(_file_stem(activity), encode_activity(activity)) for activity in activities]
    folder.mkdir(parents=True, exist_ok=True)
    return [_write_new_file(folder, stem, data) for stem, data in encoded]


def encode_activity(activity: Activity, *, sdk_records: bool = False) -> bytes:
    """Bytes of a FIT activity file for ``activity`` (its name and description left out).

    ``sdk_records`` encodes the records with the SDK too: same content, ~100x slower.
    """
    encoder_class, profile = _sdk()
    label = f"{activity.source}:{activity.source_id}"
    sport = _enum_number(profile, "sport", activity.sport or "generic", label)
    sub_sport = _enum_number(profile, "sub_sport", activity.sub_sport or "generic", label)
    start = fit_seconds(activity.start_utc)
    columns = _record_columns(activity.streams, start)
    stamps = columns["timestamp"][0]
    if not (np.isfinite(stamps).all() and min(start, stamps.min(initial=start)) >= 0):
        raise ValueError(f"{label}: start or stream times do not fit a FIT timestamp")
    end = max(start + round(activity.elapsed_s), int(stamps.max(initial=start)))
    if end >= 2**32 - 1:
        raise ValueError(f"{label}: the end does not fit a FIT timestamp")

    head = _CheckedEncoder(encoder_class(), profile)
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
        "software_version": 1.0,
    }
    if activity.device:
        file_id["product_name"] = device["product_name"] = activity.device
    head.write(_FILE_ID, file_id)
    head.write(_DEVICE_INFO, device)
    head.write(_EVENT, _timer_event(start, _EVENT_TYPE_START))
    if sdk_records:
        head.write_records(columns)
    tail = head if sdk_records else _CheckedEncoder(encoder_class(), profile)
    tail.write(_EVENT, _timer_event(end, _EVENT_TYPE_STOP_ALL))

    summary = _summary(activity, columns, start, end, sport, sub_sport)
    tail.write(_LAP, {**summary, "event": _EVENT_LAP, "lap_trigger": _LAP_TRIGGER_SESSION_END})
    session = {"event": _EVENT_SESSION, "trigger": _SESSION_TRIGGER_ACTIVITY_END, "num_laps": 1}
    tail.write(_SESSION, {**summary, **session, "first_lap_index": 0})
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
    tail.write(_ACTIVITY, closing)
    if sdk_records:
        return head.close()
    return _splice(head.close(), _record_messages(profile, columns), tail.close())


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
            for name in shape[1]:
                _field_profile(self._profile, mesg_num, name)
            self._checked.add(shape)
        self._encoder.on_mesg(mesg_num, dict(mesg))

    def write_records(self, columns: Columns) -> None:
        listed = [(name, v.tolist(), ok.tolist()) for name, (v, ok) in columns.items()]
        for i in range(len(columns["timestamp"][0])):
            self.write(_RECORD, {name: v[i] for name, v, ok in listed if ok[i]})

    def close(self) -> bytes:
        return self._encoder.close()


def _field_profile(profile: Mapping[str, Any], mesg_num: int, name: str) -> Mapping[str, Any]:
    """The profile entry of a field the encoder writes; sub-field names are refused."""
    for field in profile["messages"][mesg_num]["fields"].values():
        if field["name"] == name:
            return dict(field)
    raise ValueError(f"FIT message {mesg_num} has no field {name!r}; the SDK would drop it")


def _record_columns(streams: Streams | None, start: int) -> Columns:
    """Record fields in physical units (semicircles for positions), scaled as the profile says."""
    n = len(streams) if streams is not None else 0

    def column(name: str) -> FloatArray:
        values = streams.get(name) if streams is not None else None
        return np.full(n, np.nan) if values is None else np.asarray(values, dtype=np.float64)

    has_t = streams is not None and streams.get("t") is not None
    timestamps = np.rint(start + (column("t") if has_t else np.arange(n, dtype=np.float64)))
    lat, lon = column("lat"), column("lon")
    fix = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    lat_sc = np.rint(np.where(fix, lat, 0.0) * _SEMICIRCLES_PER_DEGREE)
    lon_sc = np.rint(np.where(fix, lon, 0.0) * _SEMICIRCLES_PER_DEGREE)
    lon_sc[lon_sc == 2.0**31] = -(2.0**31)  # +180 degrees is -180 degrees, and fits a sint32
    speed, distance, heart_rate = column("speed_mps"), column("distance_m"), column("heart_rate")
    # Streams hold steps/min; running FIT cadence is strides/min plus 1/128ths.
    cadence_128 = np.rint(column("cadence_spm") * 64.0)
    cadence_ok = _fits(cadence_128, 0, 255 * 128 - 1)
    return {
        "timestamp": (timestamps, np.ones(n, dtype=np.bool_)),
        "position_lat": (lat_sc, fix),
        "position_long": (lon_sc, fix),
        "distance": (distance, _fits(distance * 100, 0, 2**32 - 2)),
        "speed": (speed, _fits(speed * 1000, 0, 2**16 - 2)),
        "enhanced_speed": (speed, _fits(speed * 1000, 0, 2**32 - 2)),
        "heart_rate": (np.rint(heart_rate), _fits(heart_rate, 1, 254)),
        "cadence": (np.floor_divide(cadence_128, 128), cadence_ok),
        "fractional_cadence": (np.mod(cadence_128, 128) / 128.0, cadence_ok),
    }


def _record_messages(profile: Mapping[str, Any], columns: Columns) -> bytes:
    """Definition and data messages for the records, as the SDK encoder would write them.

    A record leaves out the fields it has no value for, so a new definition is written
    whenever the set of present fields changes (a GPS dropout, a strap losing contact).
    """
    from garmin_fit_sdk import BASE_TYPE_DEFINITIONS, FIELD_TYPE_TO_BASE_TYPE

    specs: list[tuple[str, int, int, int]] = []
    raws: list[npt.NDArray[Any]] = []
    for name, (values, ok) in columns.items():
        field = _field_profile(profile, _RECORD, name)
        base_type = FIELD_TYPE_TO_BASE_TYPE[field["base_type"]]
        base = BASE_TYPE_DEFINITIONS[base_type]
        scale, offset = _first(field["scale"], 1), _first(field["offset"], 0)
        if len(field["components"]) > 1:  # the SDK writes such fields unscaled
            scale, offset = 1, 0
        raw = np.rint((np.where(ok, values, 0.0) + offset) * scale)
        specs.append((name, field["num"], base["size"], base_type | base["endian_flag"]))
        raws.append(raw.astype("<" + base["type_code"]))
    present = np.stack([ok for _, ok in columns.values()], axis=1)
    n = present.shape[0]
    changes = np.flatnonzero((present[1:] != present[:-1]).any(axis=1)) + 1
    bounds = [0, *changes.tolist(), n] if n else []
    parts: list[bytes] = []
    for first, stop in pairwise(bounds):
        used = np.flatnonzero(present[first]).tolist()
        header = struct.pack("<BBBHB", 0x40 | _RECORD_LOCAL_NUM, 0, 0, _RECORD, len(used))
        parts.append(header + b"".join(struct.pack("BBB", *specs[j][1:]) for j in used))
        layout = [("header", "u1")] + [(specs[j][0], raws[j].dtype) for j in used]
        block = np.zeros(stop - first, dtype=np.dtype(layout))
        block["header"] = _RECORD_LOCAL_NUM
        for j in used:
            block[specs[j][0]] = raws[j][first:stop]
        parts.append(block.tobytes())
    return b"".join(parts)


def _first(value: Any, default: float) -> float:
    """A profile scale or offset: a number, a list of them (one per component) or None."""
    if isinstance(value, list):
        value = value[0] if value else None
    return default if value is None else float(value)


def _splice(head: bytes, records: bytes, tail: bytes) -> bytes:
    """One FIT file from two SDK-encoded files' messages with the records between them."""
    header_size = head[0]
    body = head[header_size:-2] + records + tail[tail[0] : -2]
    header = bytearray(head[:header_size])
    struct.pack_into("<I", header, 4, len(body))
    if header_size >= 14:
        struct.pack_into("<H", header, 12, fastcrc.crc16.arc(bytes(header[:12])))
    data = bytes(header) + body
    return data + struct.pack("<H", fastcrc.crc16.arc(data))


def _summary(
    activity: Activity, columns: Columns, start: int, end: int, sport: int, sub_sport: int
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
    lat, fix = columns["position_lat"]
    if fix.any():
        first = int(np.argmax(fix))
        summary["start_position_lat"] = int(lat[first])
        summary["start_position_long"] = int(columns["position_long"][0][first])
    if timer > 0 and distance / timer < 65.5:
        summary["avg_speed"] = summary["enhanced_avg_speed"] = distance / timer
    heart_rate, heart_ok = columns["heart_rate"]
    if heart_ok.any():
        summary["avg_heart_rate"] = round(float(heart_rate[heart_ok].mean()))
        summary["max_heart_rate"] = int(heart_rate[heart_ok].max())
    cadence, cadence_ok = columns["cadence"]
    strides = (cadence + columns["fractional_cadence"][0])[cadence_ok & (cadence > 0)]
    if strides.size:
        mean_128 = round(float(strides.mean()) * 128)
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


def _fits(raw: FloatArray, low: int, high: int) -> BoolArray:
    """Values that round into ``low..high`` (NaN compares false, so it never fits)."""
    with np.errstate(invalid="ignore"):
        rounded = np.rint(raw)
        return np.asarray((rounded >= low) & (rounded <= high), dtype=np.bool_)


@cache
def _sdk() -> tuple[type[Encoder], Mapping[str, Any]]:
    try:
        from garmin_fit_sdk import Encoder, Profile
    except ImportError as error:  # the Encoder exists from 21.200 on
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
