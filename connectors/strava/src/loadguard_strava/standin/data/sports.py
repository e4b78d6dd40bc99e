"""The catalogues Strava's data is drawn from: sport types, legacy activity types, stream types."""

from __future__ import annotations

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
WALKS = frozenset({"Walk", "Hike", "Snowshoe"})
RIDES = frozenset(
    {"Ride", "MountainBikeRide", "GravelRide", "EBikeRide", "EMountainBikeRide", "VirtualRide"}
)
HILLY = frozenset({"TrailRun", "Hike", "Snowshoe", "MountainBikeRide", "BackcountrySki"})

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
