"""Synthetic Strava data for the stand-in: athletes, shoes, activities, streams and their JSON.

Shapes follow Strava's Swagger examples and recorded responses (as shipped with stravalib):
``start_date`` is UTC with ``Z``; ``start_date_local`` is the wall-clock time, which Strava
also writes with a ``Z`` although it is not UTC; ``timezone`` is ``"(GMT+01:00) Europe/Copenhagen"``
(the zone's standard offset) while ``utc_offset`` is the offset in force, in seconds.

Streams are generated deterministically from the activity id, once at creation for the
summary figures (averages, elevation, splits, polylines), and again on request, so that
hundreds of activities do not hold their arrays in memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

JSON = dict[str, Any]
FloatArray = npt.NDArray[np.float64]

#: Every ``sport_type`` Strava documents (stravalib.strava_model.SportType).
SPORT_TYPES: frozenset[str] = frozenset(
    [
        "AlpineSki",
        "BackcountrySki",
        "Badminton",
        "Basketball",
        "Canoeing",
        "Cricket",
        "Crossfit",
        "Dance",
        "EBikeRide",
        "Elliptical",
        "EMountainBikeRide",
        "Golf",
        "GravelRide",
        "Handcycle",
        "HighIntensityIntervalTraining",
        "Hike",
        "IceSkate",
        "InlineSkate",
        "Kayaking",
        "Kitesurf",
        "MountainBikeRide",
        "NordicSki",
        "Padel",
        "PhysicalTherapy",
        "Pickleball",
        "Pilates",
        "Racquetball",
        "Ride",
        "RockClimbing",
        "RollerSki",
        "Rowing",
        "Run",
        "Sail",
        "Skateboard",
        "Snowboard",
        "Snowshoe",
        "Soccer",
        "Squash",
        "StairStepper",
        "StandUpPaddling",
        "Surfing",
        "Swim",
        "TableTennis",
        "Tennis",
        "TrailRun",
        "Velomobile",
        "VirtualRide",
        "VirtualRow",
        "VirtualRun",
        "Volleyball",
        "Walk",
        "WeightTraining",
        "Wheelchair",
        "Windsurf",
        "Workout",
        "Yoga",
    ]
)

#: The legacy ``type`` values (stravalib.strava_model.ActivityType); it has no TrailRun.
ACTIVITY_TYPES: frozenset[str] = frozenset(
    [
        "AlpineSki",
        "BackcountrySki",
        "Canoeing",
        "Crossfit",
        "EBikeRide",
        "Elliptical",
        "Golf",
        "Handcycle",
        "Hike",
        "IceSkate",
        "InlineSkate",
        "Kayaking",
        "Kitesurf",
        "NordicSki",
        "Ride",
        "RockClimbing",
        "RollerSki",
        "Rowing",
        "Run",
        "Sail",
        "Skateboard",
        "Snowboard",
        "Snowshoe",
        "Soccer",
        "StairStepper",
        "StandUpPaddling",
        "Surfing",
        "Swim",
        "Velomobile",
        "VirtualRide",
        "VirtualRun",
        "Walk",
        "WeightTraining",
        "Wheelchair",
        "Windsurf",
        "Workout",
        "Yoga",
    ]
)

_LEGACY = {
    "TrailRun": "Run",
    "MountainBikeRide": "Ride",
    "GravelRide": "Ride",
    "EMountainBikeRide": "EBikeRide",
    "VirtualRow": "Rowing",
}

RUNS = frozenset({"Run", "TrailRun", "VirtualRun"})
_WALKS = frozenset({"Walk", "Hike", "Snowshoe"})
_RIDES = frozenset(
    {"Ride", "MountainBikeRide", "GravelRide", "EBikeRide", "EMountainBikeRide", "VirtualRide"}
)
_HILLY = frozenset({"TrailRun", "Hike", "Snowshoe", "MountainBikeRide", "BackcountrySki"})

STREAM_TYPES = (
    "time",
    "distance",
    "latlng",
    "altitude",
    "velocity_smooth",
    "heartrate",
    "cadence",
    "watts",
    "temp",
    "moving",
    "grade_smooth",
)


def legacy_type(sport_type: str) -> str:
    """The deprecated ``type`` Strava still sends next to ``sport_type``."""
    if sport_type in ACTIVITY_TYPES:
        return sport_type
    return _LEGACY.get(sport_type, "Workout")


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


# Athletes and gear


@dataclass
class Shoe:
    id: str
    name: str
    nickname: str = ""
    base_distance: float = 0.0
    primary: bool = False
    retired: bool = False
    brand_name: str = ""
    model_name: str = ""
    description: str = ""

    def summary(self, distance: float, *, resource_state: int = 2) -> JSON:
        return {
            "id": self.id,
            "primary": self.primary,
            "name": self.name,
            "nickname": self.nickname,
            "resource_state": resource_state,
            "retired": self.retired,
            "distance": round(distance, 1),
            "converted_distance": round(distance / 1000.0, 1),
        }

    def detailed(self, distance: float) -> JSON:
        return {
            **self.summary(distance, resource_state=3),
            "brand_name": self.brand_name,
            "model_name": self.model_name,
            "description": self.description,
        }


def default_shoes(athlete_id: int) -> list[Shoe]:
    return [
        Shoe(
            id=f"g{athlete_id}01",
            name="Nike Pegasus 40",
            nickname="Daily trainer",
            base_distance=412_300.0,
            primary=True,
            brand_name="Nike",
            model_name="Pegasus 40",
        ),
        Shoe(
            id=f"g{athlete_id}02",
            name="Hoka Clifton 8",
            nickname="Old Cliftons",
            base_distance=812_000.0,
            retired=True,
            brand_name="Hoka",
            model_name="Clifton 8",
        ),
    ]


def shoe_from_dict(athlete_id: int, index: int, raw: dict[str, Any]) -> Shoe:
    """A shoe from a test's dict: keys as in Strava's JSON (``distance`` in metres)."""
    return Shoe(
        id=str(raw.get("id", f"g{athlete_id}{index + 1:02d}")),
        name=str(raw.get("name", f"Shoe {index + 1}")),
        nickname=str(raw.get("nickname", "")),
        base_distance=float(raw.get("distance", 0.0)),
        primary=bool(raw.get("primary", index == 0)),
        retired=bool(raw.get("retired", False)),
        brand_name=str(raw.get("brand_name", "")),
        model_name=str(raw.get("model_name", "")),
        description=str(raw.get("description", "")),
    )


@dataclass
class Athlete:
    id: int
    firstname: str
    lastname: str
    shoes: list[Shoe]
    tz: str = "Europe/Copenhagen"
    home: tuple[float, float] = (55.6761, 12.5683)
    city: str = "Copenhagen"
    state: str = "Capital Region of Denmark"
    country: str = "Denmark"
    sex: str = "F"
    weight: float = 61.5
    created_at: datetime = field(
        default_factory=lambda: datetime(2019, 4, 2, 18, 4, 11, tzinfo=UTC)
    )

    def summary(self) -> JSON:
        """SummaryAthlete, as in the token exchange and for tokens without profile:read_all."""
        pictures = f"https://dgalywyr863hv.cloudfront.net/pictures/athletes/{self.id}/{self.id}/2"
        return {
            "id": self.id,
            "username": f"{self.firstname}{self.lastname}".lower(),
            "resource_state": 2,
            "firstname": self.firstname,
            "lastname": self.lastname,
            "bio": "",
            "city": self.city,
            "state": self.state,
            "country": self.country,
            "sex": self.sex,
            "premium": True,
            "summit": True,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.created_at + timedelta(days=2400)),
            "badge_type_id": 1,
            "weight": self.weight,
            "profile_medium": f"{pictures}/medium.jpg",
            "profile": f"{pictures}/large.jpg",
            "friend": None,
            "follower": None,
        }

    def detailed(self, shoe_distance: dict[str, float]) -> JSON:
        """DetailedAthlete (profile:read_all): with shoes including Strava's extra fields."""
        return {
            **self.summary(),
            "resource_state": 3,
            "blocked": False,
            "can_follow": True,
            "follower_count": 12,
            "friend_count": 15,
            "mutual_friend_count": 0,
            "athlete_type": 1,
            "date_preference": "%m/%d/%Y",
            "measurement_preference": "meters",
            "clubs": [],
            "postable_clubs_count": 0,
            "ftp": None,
            "bikes": [],
            "shoes": [s.summary(shoe_distance.get(s.id, s.base_distance)) for s in self.shoes],
        }


# Recordings: streams and the summary figures drawn from them


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
            amplitude = 35.0 if kind in _HILLY else 6.0
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
        150.0 if kind in RUNS else 112.0 if kind in _WALKS else 138.0 if kind in _RIDES else 125.0
    )
    if kind in _HILLY:
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
        83.0 if kind in RUNS else 56.0 if kind == "Walk" else 51.0 if kind in _WALKS else 86.0
    )
    if kind in RUNS or kind in _WALKS or kind in _RIDES:
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
    on_foot = spec.sport_type in RUNS or spec.sport_type in _WALKS
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


def calories(sport_type: str, distance_m: float, moving_s: int, weight: float) -> float:
    km = distance_m / 1000.0
    if sport_type in RUNS:
        return round(1.036 * weight * km, 1)
    if sport_type in _WALKS:
        return round((0.75 if sport_type != "Walk" else 0.55) * weight * km, 1)
    if sport_type in _RIDES:
        return round(0.3 * weight * km, 1)
    return round(5.5 * weight * moving_s / 3600.0, 1)


@dataclass
class Activity:
    id: int
    athlete_id: int
    start: datetime
    distance_m: float
    moving_s: int
    sport_type: str
    name: str
    description: str
    gear_id: str | None
    private: bool
    with_gps: bool
    recording: Recording
    commute: bool = False
    hide_from_home: bool = False
    device_name: str = "Garmin Forerunner 265"

    @property
    def epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def trainer(self) -> bool:
        return not self.with_gps or self.sport_type.startswith("Virtual")

    def summary(self, athlete: Athlete) -> JSON:
        """SummaryActivity, as in ``GET /athlete/activities``."""
        local, label, offset = local_fields(self.start, athlete.tz)
        rec = self.recording
        out: JSON = {
            "resource_state": 2,
            "athlete": {"id": self.athlete_id, "resource_state": 1},
            "name": self.name,
            "distance": round(self.distance_m, 1),
            "moving_time": self.moving_s,
            "elapsed_time": rec.elapsed_s,
            "total_elevation_gain": rec.stats["total_elevation_gain"],
            "type": legacy_type(self.sport_type),
            "sport_type": self.sport_type,
            "workout_type": 0 if self.sport_type in RUNS else None,
            "id": self.id,
            "start_date": iso_z(self.start),
            "start_date_local": local,
            "timezone": label,
            "utc_offset": offset,
            "location_city": None,
            "location_state": None,
            "location_country": athlete.country,
            "achievement_count": 0,
            "kudos_count": 0,
            "comment_count": 0,
            "athlete_count": 1,
            "photo_count": 0,
            "map": {
                "id": f"a{self.id}",
                "summary_polyline": rec.summary_polyline,
                "resource_state": 2,
            },
            "trainer": self.trainer,
            "commute": self.commute,
            "manual": False,
            "private": self.private,
            "visibility": "only_me" if self.private else "everyone",
            "flagged": False,
            "gear_id": self.gear_id,
            "start_latlng": rec.start_latlng,
            "end_latlng": rec.end_latlng,
            "average_speed": rec.stats["average_speed"],
            "max_speed": rec.stats["max_speed"],
        }
        if rec.has_cadence:
            out["average_cadence"] = rec.stats["average_cadence"]
        out.update(
            {
                "has_heartrate": True,
                "average_heartrate": rec.stats["average_heartrate"],
                "max_heartrate": rec.stats["max_heartrate"],
                "heartrate_opt_out": False,
                "display_hide_heartrate_option": True,
            }
        )
        if rec.has_altitude:
            out["elev_high"] = rec.stats["elev_high"]
            out["elev_low"] = rec.stats["elev_low"]
        upload_id = self.id * 10 + 7
        suffer = round(
            self.moving_s / 60.0 * max(0.0, rec.stats["average_heartrate"] - 100.0) / 40.0
        )
        out.update(
            {
                "upload_id": upload_id,
                "upload_id_str": str(upload_id),
                "external_id": f"garmin_ping_{upload_id}",
                "from_accepted_tag": False,
                "pr_count": 0,
                "total_photo_count": 0,
                "has_kudoed": False,
                "suffer_score": float(suffer),
            }
        )
        return out

    def detailed(self, athlete: Athlete, gear: JSON | None) -> JSON:
        """DetailedActivity, as in ``GET /activities/{id}`` for the owner."""
        rec = self.recording
        out = self.summary(athlete)
        out["resource_state"] = 3
        out["map"] = {
            "id": f"a{self.id}",
            "polyline": rec.polyline,
            "resource_state": 3,
            "summary_polyline": rec.summary_polyline,
        }
        local, _, _ = local_fields(self.start, athlete.tz)
        lap: JSON = {
            "id": self.id * 100 + 1,
            "resource_state": 2,
            "name": "Lap 1",
            "activity": {"id": self.id, "resource_state": 1},
            "athlete": {"id": self.athlete_id, "resource_state": 1},
            "elapsed_time": rec.elapsed_s,
            "moving_time": self.moving_s,
            "start_date": iso_z(self.start),
            "start_date_local": local,
            "distance": round(self.distance_m, 1),
            "start_index": 0,
            "end_index": self.moving_s,
            "total_elevation_gain": rec.stats["total_elevation_gain"],
            "average_speed": rec.stats["average_speed"],
            "max_speed": rec.stats["max_speed"],
            "average_heartrate": rec.stats["average_heartrate"],
            "max_heartrate": rec.stats["max_heartrate"],
            "lap_index": 1,
            "split": 1,
        }
        if rec.has_cadence:
            lap["average_cadence"] = rec.stats["average_cadence"]
        out.update(
            {
                "description": self.description,
                "calories": calories(
                    self.sport_type, self.distance_m, self.moving_s, athlete.weight
                ),
                "perceived_exertion": None,
                "prefer_perceived_exertion": False,
                "segment_efforts": [],
                "splits_metric": rec.splits_metric,
                "splits_standard": rec.splits_standard,
                "laps": [lap],
                "best_efforts": [],
                "photos": {"primary": None, "count": 0},
                "stats_visibility": [
                    {"type": "heart_rate", "visibility": "everyone"},
                    {"type": "pace", "visibility": "everyone"},
                    {"type": "power", "visibility": "everyone"},
                    {"type": "speed", "visibility": "everyone"},
                    {"type": "calories", "visibility": "everyone"},
                ],
                "partner_brand_tag": None,
                "highlighted_kudosers": [],
                "hide_from_home": self.hide_from_home,
                "device_name": self.device_name,
                "embed_token": f"{self.id:x}{self.athlete_id:x}".rjust(40, "0")[-40:],
                "segment_leaderboard_opt_out": False,
                "leaderboard_opt_out": False,
                "available_zones": ["heartrate", "pace"]
                if self.sport_type in RUNS
                else ["heartrate"],
            }
        )
        if gear is not None:
            out["gear"] = gear
        return out
