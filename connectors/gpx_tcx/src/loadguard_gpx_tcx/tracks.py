"""What GPX and TCX share once parsed: samples in, an :class:`Activity`'s streams out.

A sample is one track point: its time, and whatever else the file gave (position,
elevation, distance so far, heart rate, cadence, speed). Distance comes from the
file where it has it, else from the track (great-circle steps between fixes, in the
order the file lists them: see :func:`build`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from loadguard.contract import ConnectorError, Streams

F64 = npt.NDArray[np.float64]
NAN = float("nan")
EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG); gpxpy uses the equatorial one
# (6,378,137 m), so its lengths run 0.11 % longer than these
# Sports whose cadence files count strides (one per two steps); doubled to steps.
STRIDE_SPORTS = frozenset({"running", "walking", "hiking"})
# A track without a sport: below this median moving speed it is taken for a run
# (the slowest cycling is faster; the fastest marathon pace is 5.7 m/s).
RUN_SPEED_MAX_MPS = 6.5


@dataclass
class Samples:
    """Columns of one activity's track points, filled by a parser, one value per point
    (NaN where the point has none)."""

    time: list[float]  # seconds since the epoch, UTC
    lat: list[float]
    lon: list[float]
    altitude: list[float]
    distance: list[float]
    heart_rate: list[float]
    cadence: list[float]
    speed: list[float]

    @classmethod
    def empty(cls) -> Samples:
        return cls([], [], [], [], [], [], [], [])

    def add(
        self,
        time: float,
        lat: float = NAN,
        lon: float = NAN,
        altitude: float = NAN,
        distance: float = NAN,
        heart_rate: float = NAN,
        cadence: float = NAN,
        speed: float = NAN,
    ) -> None:
        """One point; a value no body or device gives (a heart rate of 300, a latitude
        past the pole, a negative distance) is left out as NaN."""
        self.time.append(time)
        self.lat.append(lat if abs(lat) <= 90 else NAN)
        self.lon.append(lon if abs(lon) <= 180 else NAN)
        self.altitude.append(altitude)
        self.distance.append(distance if distance >= 0 else NAN)
        self.heart_rate.append(heart_rate if 0 < heart_rate < 300 else NAN)
        self.cadence.append(cadence if 0 <= cadence < 300 else NAN)
        self.speed.append(speed if 0 <= speed < 100 else NAN)

    def __len__(self) -> int:
        return len(self.time)


def track_distance(lat: F64, lon: F64) -> F64:
    """Cumulative metres along the fixes (haversine); a point without a fix adds nothing."""
    fixed = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    out = np.zeros(len(lat))
    if len(fixed) < 2:
        return out
    phi, lam = np.radians(lat[fixed]), np.radians(lon[fixed])
    a = (
        np.sin(np.diff(phi) / 2) ** 2
        + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(np.diff(lam) / 2) ** 2
    )
    steps = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    out[fixed[1:]] = np.cumsum(steps)
    return np.maximum.accumulate(out)


# Speed from positions is taken over this many seconds either side: GPS fixes a second
# apart jitter by metres, which would read as a sprint and a stop in turn.
SPEED_WINDOW_S = 5.0


def smoothed_speed(t: F64, dist: F64) -> F64:
    """Metres per second at each point, over the points within SPEED_WINDOW_S of it."""
    after = np.minimum(np.searchsorted(t, t + SPEED_WINDOW_S, side="right") - 1, len(t) - 1)
    before = np.searchsorted(t, t - SPEED_WINDOW_S, side="left")
    span = t[after] - t[before]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(span > 0, (dist[after] - dist[before]) / span, np.nan)


def ascent(altitude: F64) -> float:
    """Metres climbed: the sum of rises between points with an elevation."""
    known = altitude[np.isfinite(altitude)]
    return float(np.clip(np.diff(known), 0, None).sum()) if len(known) > 1 else 0.0


@dataclass(frozen=True)
class Track:
    """One activity's samples as arrays, sorted by time, and the totals they give."""

    start: float  # seconds since the epoch
    streams: Streams
    distance_m: float  # from the file's own distances, else from the track
    span_s: float  # first to last point
    ascent_m: float


def build(samples: Samples, sport: str) -> Track:
    """Sort the samples by time (duplicates of one second kept once) and make streams.

    The path (distance, climb) is measured in the order the file lists its points, which
    is the order they were recorded, before sorting: Sports Tracker writes each GPS fix
    followed by the sensor samples since the one before, at the fix's position but with
    their own, earlier times, so positions sorted by time zig-zag between fixes (14.8 km
    for a 12.3 km run)."""
    time = np.asarray(samples.time, dtype=np.float64)
    order = np.argsort(time, kind="stable")
    keep = order[np.concatenate(([True], np.diff(time[order]) > 0))] if len(order) else order

    def col(values: Sequence[float]) -> F64:
        return np.asarray(values, dtype=np.float64)[keep]

    t, lat, lon, alt = col(samples.time), col(samples.lat), col(samples.lon), col(samples.altitude)
    dist = col(samples.distance)
    if not np.isfinite(dist).any():
        along = track_distance(np.asarray(samples.lat), np.asarray(samples.lon))
        dist = np.maximum.accumulate(along[keep]) if len(keep) else along
    else:  # a file's running distance, gaps carried forward
        dist = np.fmax.accumulate(np.where(np.isfinite(dist), dist, 0.0))
    speed = col(samples.speed)
    if not np.isfinite(speed).any() and len(t) > 1:
        speed = smoothed_speed(t, dist)
    cadence = col(samples.cadence)
    if sport in STRIDE_SPORTS:
        cadence = cadence * 2.0
    start = float(t[0]) if len(t) else NAN
    streams = Streams(
        {
            "t": t - start,
            "lat": lat,
            "lon": lon,
            "altitude_m": alt.astype(np.float32),
            "distance_m": dist,
            "speed_mps": speed.astype(np.float32),
            "cadence_spm": cadence.astype(np.float32),
            "heart_rate": col(samples.heart_rate).astype(np.float32),
        }
    )
    return Track(
        start=start,
        streams=streams,
        distance_m=float(dist[-1]) if len(dist) else 0.0,
        span_s=float(t[-1] - t[0]) if len(t) else 0.0,
        ascent_m=ascent(np.asarray(samples.altitude, dtype=np.float64)),
    )


def moving_speed(track: Track) -> float:
    """The median speed while moving (above 0.5 m/s), NaN without one."""
    speed = track.streams.get("speed_mps")
    if speed is None:
        return NAN
    moving = speed[np.isfinite(speed) & (speed > 0.5)]
    return float(np.median(moving)) if len(moving) else NAN


def timer_seconds(track: Track, pause_s: float = 60.0) -> float:
    """Time moving: the span without the gaps of more than ``pause_s`` between points (a
    watch paused, or stopped recording)."""
    t = track.streams.get("t")
    if t is None or len(t) < 2:
        return track.span_s
    gaps = np.diff(t)
    return float(gaps[gaps <= pause_s].sum())


def utc(seconds: float) -> datetime:
    if not np.isfinite(seconds):
        raise ConnectorError("the track has no time")
    return datetime.fromtimestamp(seconds, tz=UTC)


def sport_and_track(
    sport: str, samples: Samples
) -> tuple[str, Track, dict[str, float | int | str]]:
    """The track built for its sport, and the extras every track file gives. A file that
    names no sport (or "Other") is told by its pace: a run below RUN_SPEED_MAX_MPS."""
    extras: dict[str, float | int | str] = {}
    track = build(samples, sport or "running")
    if not sport:
        extras["sport_from"] = "speed"
        sport = "cycling" if moving_speed(track) > RUN_SPEED_MAX_MPS else "running"
        if sport != "running":
            track = build(samples, sport)
    extras["ascent_m"] = round(track.ascent_m, 1)
    heart = track.streams.get("heart_rate")
    if heart is not None and (heart > 0).any():
        extras["avg_heart_rate"] = round(float(np.nanmean(heart[heart > 0])))
    return sport, track, extras
