"""Activities: the SummaryActivity and DetailedActivity JSON, calories included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .athletes import Athlete
from .formats import JSON, iso_z, local_fields
from .recording import Recording
from .sports import RIDES, RUNS, WALKS, legacy_type


def calories(sport_type: str, distance_m: float, moving_s: int, weight: float) -> float:
    km = distance_m / 1000.0
    if sport_type in RUNS:
        return round(1.036 * weight * km, 1)
    if sport_type in WALKS:
        return round((0.75 if sport_type != "Walk" else 0.55) * weight * km, 1)
    if sport_type in RIDES:
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
