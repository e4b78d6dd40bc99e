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
M_PER_DEG = 6_371_008.8 * math.pi / 180.0
SPEED_MPS = 3.0  # a run of wander(): 3 m a second


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


def wander(
    lines: list[np.ndarray], seconds: int, seed: int, noise_seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of a run of ``seconds`` (``lines``: ways as (n, 2) lon/lat): from a random way to an end of it, then on along
    another way through that node, and so on; a fix every second at 3 m/s with AR(1)
    noise of 4 m (correlated, as a receiver's error drifts; ``noise_seed``: other noise
    on the same way)."""
    rng = np.random.default_rng(seed)
    noisy = np.random.default_rng(seed if noise_seed is None else noise_seed)
    at_node: dict[tuple[float, float], list[tuple[int, int]]] = {}
    for i, line in enumerate(lines):
        for j, (lon, lat) in enumerate(line):
            at_node.setdefault((float(lon), float(lat)), []).append((i, j))
    lat0 = float(np.mean([line[:, 1].mean() for line in lines]))
    scale = np.array([M_PER_DEG * math.cos(math.radians(lat0)), M_PER_DEG])
    way, j = int(rng.integers(len(lines))), 0
    points, length = [lines[way][0]], 0.0
    while length < seconds * SPEED_MPS:
        line = lines[way]
        ahead = bool(rng.random() < 0.5) if 0 < j < len(line) - 1 else j == 0
        leg = line[j:] if ahead else line[j::-1]
        length += float(np.hypot(*np.diff(leg * scale, axis=0).T).sum())
        points.extend(leg[1:])
        node = (float(leg[-1][0]), float(leg[-1][1]))
        options = [o for o in at_node[node] if o[0] != way] or at_node[node]
        way, j = options[int(rng.integers(len(options)))]
    path = np.array(points) * scale
    along = np.r_[0.0, np.cumsum(np.hypot(*np.diff(path, axis=0).T))]
    at = np.arange(seconds) * SPEED_MPS
    clean = np.c_[np.interp(at, along, path[:, 0]), np.interp(at, along, path[:, 1])]
    rho, sigma = 0.97, 4.0
    shocks = noisy.normal(0.0, sigma * math.sqrt(1 - rho**2), (seconds, 2))
    noise = np.zeros((seconds, 2))
    noise[0] = noisy.normal(0.0, sigma, 2)
    for i in range(1, seconds):
        noise[i] = rho * noise[i - 1] + shocks[i]
    lonlat = (clean + noise) / scale
    return lonlat[:, 1], lonlat[:, 0]
