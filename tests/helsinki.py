"""Runs along real ways of the Helsinki extract in ../shared/data/osm (the truth comes
from the map: the way's own nodes), for surface and map tests."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import osmium

from loadguard.contract import Activity, Streams

HELSINKI = Path(__file__).parents[1].parent / "shared" / "data" / "osm" / "helsinki.osm.pbf"
COMPACTED_CYCLEWAY = 122869898  # surface=compacted, ~378 m: gravel
ASPHALT_FOOTWAY = 27009040  # surface=asphalt, ~517 m: paved
PLAN_START = date(2026, 3, 2)


def way_points(way_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The way's node positions, read from the extract (the truth comes from the map)."""
    processor = osmium.FileProcessor(str(HELSINKI)).with_locations()
    for obj in processor:
        if obj.is_way() and obj.id == way_id:
            pts = np.array([(n.lat, n.lon) for n in obj.nodes])
            return pts[:, 0], pts[:, 1]
    raise LookupError(way_id)


def along(lat: np.ndarray, lon: np.ndarray, laps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Out and back along a polyline, a fix every ~2.8 m, with 3 m of GPS noise."""
    k = math.cos(math.radians(float(lat.mean())))
    x, y = lon * 111_320 * k, lat * 111_320
    seg = np.hypot(np.diff(x), np.diff(y))
    s = np.concatenate(([0.0], np.cumsum(seg)))
    there = np.arange(0.0, s[-1], 2.8)
    path = np.concatenate([there if i % 2 == 0 else there[::-1] for i in range(laps)])
    px, py = np.interp(path, s, x), np.interp(path, s, y)
    rng = np.random.default_rng(seed)
    px, py = px + rng.normal(0, 3, len(px)), py + rng.normal(0, 3, len(py))
    return py / 111_320, px / (111_320 * k)


def run_along(way_id: int, day: date, laps: int = 6) -> Activity:
    lat, lon = along(*way_points(way_id), laps=laps, seed=way_id % 1000)
    n = len(lat)
    t = np.arange(n, dtype=np.float64)
    return Activity(
        source="test",
        source_id=str(way_id),
        sport="running",
        sub_sport="generic",
        start_utc=datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC),
        distance_m=n * 2.8,
        timer_s=float(n),
        elapsed_s=float(n),
        streams=Streams(
            {
                "t": t,
                "lat": lat,
                "lon": lon,
                "distance_m": t * 2.8,
                "speed_mps": np.full(n, 2.8, dtype=np.float32),
            }
        ),
    )
