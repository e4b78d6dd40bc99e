"""How Strava writes values: the JSON alias, UTC and local datetimes, encoded polylines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

JSON = dict[str, Any]


def iso_z(moment: datetime) -> str:
    """``2026-03-02T07:30:00Z``, as Strava writes UTC instants."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_fields(start: datetime, tz_name: str) -> tuple[str, str, float]:
    """(start_date_local, timezone label, utc_offset seconds) for a UTC start in ``tz_name``."""
    zone = ZoneInfo(tz_name)
    local = start.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    standard = offset - (local.dst() or timedelta(0))
    minutes = int(standard.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    label = f"(GMT{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}) {tz_name}"
    return local.strftime("%Y-%m-%dT%H:%M:%SZ"), label, float(offset.total_seconds())


def encode_polyline(points: Sequence[tuple[float, float]]) -> str:
    """Google's encoded polyline format (precision 5), as in Strava's ``map`` objects."""
    out: list[str] = []
    prev_lat = prev_lng = 0
    for lat, lng in points:
        ilat, ilng = round(lat * 1e5), round(lng * 1e5)
        for delta in (ilat - prev_lat, ilng - prev_lng):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        prev_lat, prev_lng = ilat, ilng
    return "".join(out)
