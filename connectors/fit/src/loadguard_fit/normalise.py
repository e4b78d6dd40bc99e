"""Turn decoded FIT messages into loadguard :class:`Activity` objects."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from loadguard.contract import (
    DROPPED,
    Activity,
    ConnectorError,
    FloatArray,
    NotAnActivity,
    Streams,
)

from . import decoder
from . import profile as p
from .decoder import F64, I64, FitData, Table

log = logging.getLogger(__name__)

SOURCE = "fit"
# FIT date_time values below this are seconds since the device was switched on.
_SYSTEM_TIME_LIMIT = 0x10000000
# Sports whose FIT cadence counts strides (one per two steps).
_STRIDE_SPORTS = frozenset({1, 11, 17})  # running, walking, hiking
_QUARTER_HOUR = 900


def normalise_payload(payload: bytes, sha256: str = "") -> list[Activity]:
    """One :class:`Activity` per session in a FIT file (ConnectorError if there is none).

    A chained file is decoded one file at a time, so memory follows the longest file of
    the chain, not the chain. The fast decoder is used; fitparse only on a decoder bug.
    ``sha256`` is the payload's hex digest when the caller already has it.
    """
    sha = sha256 or hashlib.sha256(payload).hexdigest()
    try:
        return _activities(decoder.decode_parts(payload), sha)
    except ConnectorError:
        raise
    except Exception as bug:  # an internal error, not damaged input
        log.warning("fast FIT decoder failed (%r); falling back to fitparse", bug)
        from . import reference

        return _activities(iter([reference.decode(payload)]), sha)


def _activities(parts: Iterator[FitData], sha: str) -> list[Activity]:
    out: list[Activity] = []
    first: FitData | None = None
    dropped = ""
    for data in parts:
        first = first or data
        dropped = data.dropped or dropped
        sessions = data.table(p.SESSION)
        device = _device(data.table(p.FILE_ID))
        activity, records = data.table(p.ACTIVITY), data.table(p.RECORD)
        for index in range(len(sessions)):
            # several sessions in one file (multisport): each takes its time window
            alone = len(sessions) == 1
            source_id = f"{sha}:{len(out)}"  # the session's number in the whole file
            out.append(_activity(sessions, index, records, alone, activity, source_id, device))
    if not out:
        assert first is not None  # the framing gives at least one file or raises
        reason, activity_file = _no_session_reason(first)
        raise ConnectorError(reason) if activity_file else NotAnActivity(reason)
    if dropped:  # the intact part kept; what was not, said with it
        out = [replace(a, extras={**a.extras, DROPPED: dropped}) for a in out]
    return out


def _no_session_reason(data: FitData) -> tuple[str, bool]:
    """Why a file has no session, and whether it was meant to be an activity (a damaged
    recording is a failure; a settings or workout file is simply not an activity)."""
    types = data.table(p.FILE_ID).get(p.FILE_TYPE)
    valid = types[~np.isnan(types)]
    if not len(valid):
        return "the FIT file has no file_id type and no session: not an activity", True
    file_type = int(valid[0])
    name = p.FILE_TYPES.get(file_type, f"type {file_type}")
    records = len(data.table(p.RECORD))
    if file_type == p.ACTIVITY_FILE and records:
        return (
            f"activity file with {records} records but no session message: the recording"
            " was probably cut off before the device wrote its summary"
        ), True
    if file_type == p.ACTIVITY_FILE:
        return "activity file without a session message: nothing was recorded", True
    return f"a FIT {name} file, not an activity", False


def _activity(
    sessions: Table,
    index: int,
    records: Table,
    alone: bool,
    activity: Table,
    source_id: str,
    device: str,
) -> Activity:
    """Session ``index`` of one file: all its timed records when ``alone`` (the only
    session), else those inside its time window."""

    def value(num: int) -> float:
        col = sessions.columns.get(num)
        return math.nan if col is None else float(col[index])

    sport = value(p.SPORT)
    strides = sport in _STRIDE_SPORTS
    elapsed, timer, start = (
        value(p.TOTAL_ELAPSED_TIME),
        value(p.TOTAL_TIMER_TIME),
        value(p.START_TIME),
    )
    stamps = records.get(p.TIMESTAMP)
    if math.isnan(start) and not math.isnan(value(p.TIMESTAMP)):  # end time minus duration
        start = value(p.TIMESTAMP) - (0.0 if math.isnan(elapsed) else elapsed)
    if math.isnan(start):
        if not np.isfinite(stamps).any():
            raise ConnectorError(f"session {index} has no start time and no timed records")
        start = float(np.nanmin(stamps))
    if math.isnan(elapsed):
        elapsed = timer if not math.isnan(timer) else _span(stamps, start)
    if math.isnan(timer):
        timer = elapsed
    if alone:
        rows = np.flatnonzero(~np.isnan(stamps))
    else:  # multisport: the records inside this session's time window
        rows = np.flatnonzero((stamps >= start) & (stamps <= start + elapsed))
    streams = _streams(records, rows, start, strides)
    distance = value(p.TOTAL_DISTANCE)
    if math.isnan(distance):
        dist = streams.get("distance_m")
        distance = float(np.nanmax(dist)) if dist is not None and np.isfinite(dist).any() else 0.0
    start_utc, utc_offset, clock = _start(start, activity)
    extras: dict[str, float | int | str] = {}
    for key, num in (
        ("workout_rpe", p.WORKOUT_RPE),
        ("workout_feel", p.WORKOUT_FEEL),
        ("avg_heart_rate", p.AVG_HEART_RATE),
    ):
        if not math.isnan(value(num)):
            extras[key] = int(value(num))
    if not math.isnan(value(p.AVG_CADENCE)):
        fraction = value(p.AVG_FRACTIONAL_CADENCE)
        cadence = value(p.AVG_CADENCE) + (0.0 if math.isnan(fraction) else fraction)
        extras["avg_cadence_spm"] = round(float(cadence) * (2 if strides else 1), 2)
    if clock:
        extras["clock"] = clock
    return Activity(
        source=SOURCE,
        source_id=source_id,
        sport=_name(p.SPORTS, sport, "sport"),
        sub_sport=_name(p.SUB_SPORTS, value(p.SUB_SPORT), "sub_sport"),
        start_utc=start_utc,
        distance_m=distance,
        timer_s=timer,
        elapsed_s=elapsed,
        utc_offset=utc_offset,
        device=device,
        extras=extras,
        streams=streams,
    )


def _name(names: dict[int, str], value: float, prefix: str) -> str:
    """The profile name of an enum value; "generic" when the field is absent."""
    return "generic" if math.isnan(value) else p.enum_name(names, int(value), prefix)


def _span(stamps: F64, start: float) -> float:
    return float(np.nanmax(stamps) - start) if np.isfinite(stamps).any() else 0.0


def _streams(records: Table, rows: I64, start: float, strides: bool) -> Streams:
    every = len(rows) == len(records)  # rows is every record (in order): no copy needed

    def col(num: int) -> F64:
        return records.get(num) if every else records.get(num)[rows]

    semicircle = 180.0 / 2**31
    decoded = records.columns
    if p.ENHANCED_SPEED not in decoded:  # what np.where below would give, at less cost
        speed = col(p.SPEED)
    elif p.SPEED not in decoded:
        speed = col(p.ENHANCED_SPEED)
    else:
        speed = col(p.ENHANCED_SPEED)
        speed = np.where(np.isnan(speed), col(p.SPEED), speed)
    cadence = col(p.CADENCE)
    if strides:
        # np.nan_to_num, for values never infinite (both decoders make those NaN)
        fraction = col(p.FRACTIONAL_CADENCE)
        cadence = 2.0 * (cadence + np.where(np.isnan(fraction), 0.0, fraction))
    columns: dict[str, FloatArray] = {
        "t": col(p.TIMESTAMP) - start,
        "lat": col(p.POSITION_LAT) * semicircle,
        "lon": col(p.POSITION_LONG) * semicircle,
        "distance_m": col(p.DISTANCE),
        "speed_mps": speed.astype(np.float32),
        "cadence_spm": cadence.astype(np.float32),
        "heart_rate": col(p.HEART_RATE).astype(np.float32),
    }
    return Streams(columns)


def _start(start: float, activity: Table) -> tuple[datetime, timedelta | None, str]:
    """The start as an aware UTC datetime, the athlete's UTC offset, and a clock note."""
    stamps, local = activity.get(p.TIMESTAMP), activity.get(p.LOCAL_TIMESTAMP)
    both = np.flatnonzero(~np.isnan(stamps) & ~np.isnan(local))
    anchor = (float(stamps[both[0]]), float(local[both[0]])) if len(both) else None
    if start >= _SYSTEM_TIME_LIMIT:
        offset = None
        if anchor and anchor[0] >= _SYSTEM_TIME_LIMIT:
            seconds = round((anchor[1] - anchor[0]) / _QUARTER_HOUR) * _QUARTER_HOUR
            offset = timedelta(seconds=seconds) if abs(seconds) <= 14 * 3600 else None
        return _utc(start), offset, ""
    # Device-relative clock (old Forerunners): the local clock of the activity
    # message is the only absolute time; the UTC offset is unknown.
    if anchor is None or anchor[1] < _SYSTEM_TIME_LIMIT:
        raise ConnectorError(
            "the file's times are relative to the device clock and it has no absolute time"
        )
    return _utc(anchor[1] - (anchor[0] - start)), timedelta(0), "device_local"


def _utc(fit_seconds: float) -> datetime:
    return datetime.fromtimestamp(fit_seconds + p.FIT_EPOCH_UNIX, tz=UTC)


def _device(file_id: Table) -> str:
    if not len(file_id):
        return ""
    maker, product = file_id.get(p.MANUFACTURER)[0], file_id.get(p.PRODUCT)[0]
    if math.isnan(maker):
        return ""
    name = p.MANUFACTURERS.get(int(maker), f"manufacturer_{int(maker)}")
    if math.isnan(product):
        return name
    if int(maker) in p.GARMIN_MANUFACTURERS:
        return f"{name} {p.GARMIN_PRODUCTS.get(int(product), str(int(product)))}"
    return f"{name} {int(product)}"
