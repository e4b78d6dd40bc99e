"""Recordings: an activity's streams (deterministic from its id) and the figures drawn from them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from .formats import JSON, encode_polyline
from .sports import HILLY, RIDES, RUNS, WALKS

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RecordingSpec:
    """Everything a recording's streams depend on; hashable, so streams can be cached."""

    seed: int
    sport_type: str
    distance_m: float
    moving_s: int
    pause_s: int
    with_gps: bool
    home: tuple[float, float]


def _smooth(values: FloatArray, window: int) -> FloatArray:
    if values.size < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="same")


@lru_cache(maxsize=16)
def stream_arrays(spec: RecordingSpec) -> dict[str, Any]:
    """The activity's streams as numpy arrays (1 Hz while moving, one auto-pause gap)."""
    rng = np.random.default_rng(spec.seed)
    n = spec.moving_s + 1
    t = np.arange(n, dtype=np.float64)
    clock = t.copy()
    clock[int(n * 0.6) :] += spec.pause_s
    out: dict[str, Any] = {"time": clock.astype(np.int64), "moving": np.ones(n, dtype=bool)}
    kind = spec.sport_type

    speed: FloatArray | None = None
    if spec.distance_m > 0:
        period = rng.uniform(240.0, 420.0)
        wobble = 0.05 * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
        jitter = _smooth(rng.normal(0.0, 0.05, n), 9)
        warmup = np.minimum(1.0, 0.8 + 0.2 * t / 90.0)
        relative = np.clip(1.0 + wobble + jitter, 0.5, None) * warmup
        segment = relative[1:]
        segment = segment * (spec.distance_m / segment.sum())
        distance = np.concatenate([[0.0], np.cumsum(segment)])
        speed = np.concatenate([[0.0], _smooth(segment, 5)])
        out["distance"] = np.round(distance, 1)
        out["velocity_smooth"] = np.round(speed, 3)
        if spec.with_gps:
            amplitude = 35.0 if kind in HILLY else 6.0
            phase = 2 * np.pi * distance / spec.distance_m
            altitude = (
                12.0
                + amplitude * 0.5 * (1 - np.cos(phase))
                + amplitude * 0.15 * np.sin(2 * np.pi * distance / 700.0)
            )
            out["altitude"] = np.round(altitude, 1)
            step = np.gradient(distance)
            climb = np.gradient(altitude)
            grade = np.where(step > 0.2, 100.0 * climb / np.maximum(step, 0.2), 0.0)
            out["grade_smooth"] = np.round(grade, 1)
            lat0, lng0 = spec.home
            radius = spec.distance_m / (2 * np.pi)
            metres_per_lng = 111_320.0 * math.cos(math.radians(lat0))
            theta = np.pi + phase
            noise = rng.normal(0.0, 1.5, (2, n))
            lat = lat0 + (radius * np.sin(theta) + noise[0]) / 111_320.0
            lng = (
                lng0
                + radius / metres_per_lng
                + (radius * np.cos(theta) + noise[1]) / metres_per_lng
            )
            out["latlng"] = np.round(np.stack([lat, lng], axis=1), 6)

    hr_base = (
        150.0 if kind in RUNS else 112.0 if kind in WALKS else 138.0 if kind in RIDES else 125.0
    )
    if kind in HILLY:
        hr_base += 8.0
    drift = 6.0 * t / max(n - 1, 1)
    heart = (
        hr_base
        - 28.0 * np.exp(-t / 150.0)
        + drift
        + 2.0 * np.sin(t / 47.0)
        + rng.normal(0.0, 1.2, n)
    )
    out["heartrate"] = np.round(np.clip(heart, 60, 200)).astype(np.int64)

    cadence_base = (
        83.0 if kind in RUNS else 56.0 if kind == "Walk" else 51.0 if kind in WALKS else 86.0
    )
    if kind in RUNS or kind in WALKS or kind in RIDES:
        pace_effect = 0.0 if speed is None else 3.0 * (speed / max(speed.mean(), 0.1) - 1.0)
        cadence = cadence_base + pace_effect + rng.normal(0.0, 0.9, n)
        out["cadence"] = np.round(np.clip(cadence, 0, 250)).astype(np.int64)
    return out


def stream_json(spec: RecordingSpec, keys: Sequence[str]) -> dict[str, JSON]:
    """The requested streams that exist, keyed by type, in Strava's StreamSet shape."""
    arrays = stream_arrays(spec)
    result: dict[str, JSON] = {}
    for key in keys:
        if key in arrays and key not in result:
            data = arrays[key].tolist()
            result[key] = {
                "type": key,
                "data": data,
                "series_type": "distance",
                "original_size": len(data),
                "resolution": "high",
            }
    return result


def _splits(arrays: dict[str, Any], unit: float) -> list[JSON]:
    if "distance" not in arrays:
        return []
    distance: FloatArray = arrays["distance"]
    clock = arrays["time"]
    heart = arrays["heartrate"]
    altitude = arrays.get("altitude")
    total = float(distance[-1])
    edges = [0] + [
        int(np.searchsorted(distance, k * unit)) for k in range(1, int(total // unit) + 1)
    ]
    if edges[-1] < distance.size - 1:
        edges.append(distance.size - 1)
    splits: list[JSON] = []
    for number, (a, b) in enumerate(pairwise(edges), start=1):
        if b <= a:
            continue
        length = float(distance[b] - distance[a])
        moving = b - a
        speed = round(length / moving, 2) if moving else 0.0
        splits.append(
            {
                "distance": round(length, 1),
                "elapsed_time": int(clock[b] - clock[a]),
                "elevation_difference": 0.0
                if altitude is None
                else round(float(altitude[b] - altitude[a]), 1),
                "moving_time": moving,
                "split": number,
                "average_speed": speed,
                "average_grade_adjusted_speed": speed,
                "average_heartrate": round(float(heart[a : b + 1].mean()), 1),
                "pace_zone": 0,
            }
        )
    return splits


def _every(points: FloatArray, count: int) -> list[tuple[float, float]]:
    step = max(1, len(points) // count)
    chosen = list(points[::step])
    if len(points) and (len(points) - 1) % step:
        chosen.append(points[-1])
    return [(float(p[0]), float(p[1])) for p in chosen]


@dataclass
class Recording:
    """A recording's fixed figures, derived once from its streams."""

    spec: RecordingSpec
    elapsed_s: int
    stats: JSON
    splits_metric: list[JSON]
    splits_standard: list[JSON]
    polyline: str
    summary_polyline: str
    start_latlng: list[float]
    end_latlng: list[float]
    has_cadence: bool
    has_altitude: bool


def record(spec: RecordingSpec) -> Recording:
    arrays = stream_arrays(spec)
    heart = arrays["heartrate"]
    stats: JSON = {
        "average_speed": round(spec.distance_m / spec.moving_s, 3) if spec.moving_s else 0.0,
        "max_speed": round(float(arrays["velocity_smooth"].max()), 3)
        if "velocity_smooth" in arrays
        else 0.0,
        "average_heartrate": round(float(heart.mean()), 1),
        "max_heartrate": float(heart.max()),
    }
    if "cadence" in arrays:
        stats["average_cadence"] = round(float(arrays["cadence"].mean()), 1)
    gain = 0.0
    if "altitude" in arrays:
        altitude: FloatArray = arrays["altitude"]
        gain = float(np.clip(np.diff(altitude), 0, None).sum())
        stats["elev_high"] = float(altitude.max())
        stats["elev_low"] = float(altitude.min())
    stats["total_elevation_gain"] = round(gain, 1)
    polyline = summary = ""
    start: list[float] = []
    end: list[float] = []
    if "latlng" in arrays:
        points = arrays["latlng"]
        polyline = encode_polyline(_every(points, 400))
        summary = encode_polyline(_every(points, 60))
        start = [round(float(points[0][0]), 2), round(float(points[0][1]), 2)]
        end = [round(float(points[-1][0]), 2), round(float(points[-1][1]), 2)]
    on_foot = spec.sport_type in RUNS or spec.sport_type in WALKS
    return Recording(
        spec=spec,
        elapsed_s=int(arrays["time"][-1]),
        stats=stats,
        splits_metric=_splits(arrays, 1000.0) if on_foot else [],
        splits_standard=_splits(arrays, 1609.34) if on_foot else [],
        polyline=polyline,
        summary_polyline=summary,
        start_latlng=start,
        end_latlng=end,
        has_cadence="cadence" in arrays,
        has_altitude="altitude" in arrays,
    )
