"""The slice of the Garmin FIT profile (21.x) this connector reads.

Facts only: message and field numbers, base types with their invalid values,
scales, and the names of the enums the connector shows to a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_UNIX: Final = 631065600

# Global message numbers.
FILE_ID: Final = 0
SESSION: Final = 18
LAP: Final = 19
RECORD: Final = 20
EVENT: Final = 21
DEVICE_INFO: Final = 23
ACTIVITY: Final = 34

# Field numbers shared by every message.
TIMESTAMP: Final = 253

# file_id fields.
FILE_TYPE: Final = 0
MANUFACTURER: Final = 1
PRODUCT: Final = 2
TIME_CREATED: Final = 4

# session (and lap) fields.
START_TIME: Final = 2
SPORT: Final = 5
SUB_SPORT: Final = 6
TOTAL_ELAPSED_TIME: Final = 7
TOTAL_TIMER_TIME: Final = 8
TOTAL_DISTANCE: Final = 9
AVG_HEART_RATE: Final = 16
AVG_CADENCE: Final = 18
AVG_FRACTIONAL_CADENCE: Final = 92
WORKOUT_FEEL: Final = 192
WORKOUT_RPE: Final = 193

# record fields.
POSITION_LAT: Final = 0
POSITION_LONG: Final = 1
HEART_RATE: Final = 3
CADENCE: Final = 4
DISTANCE: Final = 5
SPEED: Final = 6
COMPRESSED_SPEED_DISTANCE: Final = 8
FRACTIONAL_CADENCE: Final = 53
ENHANCED_SPEED: Final = 73

# activity fields.
LOCAL_TIMESTAMP: Final = 5

# The fields the connector decodes, per message; everything else is skipped.
WANTED: Final[dict[int, frozenset[int]]] = {
    FILE_ID: frozenset({FILE_TYPE, MANUFACTURER, PRODUCT, TIME_CREATED}),
    SESSION: frozenset(
        {
            TIMESTAMP,
            START_TIME,
            SPORT,
            SUB_SPORT,
            TOTAL_ELAPSED_TIME,
            TOTAL_TIMER_TIME,
            TOTAL_DISTANCE,
            AVG_HEART_RATE,
            AVG_CADENCE,
            AVG_FRACTIONAL_CADENCE,
            WORKOUT_FEEL,
            WORKOUT_RPE,
        }
    ),
    RECORD: frozenset(
        {
            TIMESTAMP,
            POSITION_LAT,
            POSITION_LONG,
            HEART_RATE,
            CADENCE,
            DISTANCE,
            SPEED,
            COMPRESSED_SPEED_DISTANCE,
            FRACTIONAL_CADENCE,
            ENHANCED_SPEED,
        }
    ),
    ACTIVITY: frozenset({TIMESTAMP, LOCAL_TIMESTAMP}),
}

# Divisors from raw integers to physical units (s, m, m/s, fractions).
SCALES: Final[dict[tuple[int, int], float]] = {
    (SESSION, TOTAL_ELAPSED_TIME): 1000.0,
    (SESSION, TOTAL_TIMER_TIME): 1000.0,
    (SESSION, TOTAL_DISTANCE): 100.0,
    (SESSION, AVG_FRACTIONAL_CADENCE): 128.0,
    (RECORD, DISTANCE): 100.0,
    (RECORD, SPEED): 1000.0,
    (RECORD, ENHANCED_SPEED): 1000.0,
    (RECORD, FRACTIONAL_CADENCE): 128.0,
}

# compressed_speed_distance: 12 bits speed (1/100 m/s), 12 bits distance (1/16 m).
CSD_SPEED_SCALE: Final = 100.0
CSD_DISTANCE_SCALE: Final = 16.0
CSD_BITS: Final = 12


@dataclass(frozen=True)
class BaseType:
    """A FIT base type: numpy dtype code (no byte order), size and invalid raw value."""

    name: str
    dtype: str
    size: int
    invalid: int | None  # None: invalid when every byte is 0xFF (floats, byte)


# Keyed by the base type number (bits 0-4 of the base type byte).
BASE_TYPES: Final[dict[int, BaseType]] = {
    0x00: BaseType("enum", "u1", 1, 0xFF),
    0x01: BaseType("sint8", "i1", 1, 0x7F),
    0x02: BaseType("uint8", "u1", 1, 0xFF),
    0x03: BaseType("sint16", "i2", 2, 0x7FFF),
    0x04: BaseType("uint16", "u2", 2, 0xFFFF),
    0x05: BaseType("sint32", "i4", 4, 0x7FFFFFFF),
    0x06: BaseType("uint32", "u4", 4, 0xFFFFFFFF),
    0x07: BaseType("string", "u1", 1, 0x00),
    0x08: BaseType("float32", "f4", 4, None),
    0x09: BaseType("float64", "f8", 8, None),
    0x0A: BaseType("uint8z", "u1", 1, 0x00),
    0x0B: BaseType("uint16z", "u2", 2, 0x0000),
    0x0C: BaseType("uint32z", "u4", 4, 0x00000000),
    0x0D: BaseType("byte", "u1", 1, None),
    0x0E: BaseType("sint64", "i8", 8, 0x7FFFFFFFFFFFFFFF),
    0x0F: BaseType("uint64", "u8", 8, 0xFFFFFFFFFFFFFFFF),
    0x10: BaseType("uint64z", "u8", 8, 0),
}
BYTE: Final = BASE_TYPES[0x0D]

SPORTS: Final[dict[int, str]] = {
    0: "generic", 1: "running", 2: "cycling", 3: "transition", 4: "fitness_equipment",
    5: "swimming", 6: "basketball", 7: "soccer", 8: "tennis", 9: "american_football",
    10: "training", 11: "walking", 12: "cross_country_skiing", 13: "alpine_skiing",
    14: "snowboarding", 15: "rowing", 16: "mountaineering", 17: "hiking", 18: "multisport",
    19: "paddling", 20: "flying", 21: "e_biking", 22: "motorcycling", 23: "boating",
    24: "driving", 25: "golf", 26: "hang_gliding", 27: "horseback_riding", 28: "hunting",
    29: "fishing", 30: "inline_skating", 31: "rock_climbing", 32: "sailing",
    33: "ice_skating", 34: "sky_diving", 35: "snowshoeing", 36: "snowmobiling",
    37: "stand_up_paddleboarding", 38: "surfing", 39: "wakeboarding", 40: "water_skiing",
    41: "kayaking", 42: "rafting", 43: "windsurfing", 44: "kitesurfing", 45: "tactical",
    46: "jumpmaster", 47: "boxing", 48: "floor_climbing", 49: "baseball", 53: "diving",
    56: "shooting", 58: "winter_sport", 59: "grinding", 62: "hiit", 63: "video_gaming",
    64: "racket", 65: "wheelchair_push_walk", 66: "wheelchair_push_run", 67: "meditation",
    68: "para_sport", 69: "disc_golf", 70: "team_sport", 71: "cricket", 72: "rugby",
    73: "hockey", 74: "lacrosse", 75: "volleyball", 76: "water_tubing", 77: "wakesurfing",
    78: "water_sport", 79: "archery", 80: "mixed_martial_arts", 81: "motor_sports",
    82: "snorkeling", 83: "dance", 84: "jump_rope", 85: "pool_apnea", 86: "mobility",
    87: "geocaching", 88: "canoeing", 254: "all",
}  # fmt: skip

SUB_SPORTS: Final[dict[int, str]] = {
    0: "generic", 1: "treadmill", 2: "street", 3: "trail", 4: "track", 5: "spin",
    6: "indoor_cycling", 7: "road", 8: "mountain", 9: "downhill", 10: "recumbent",
    11: "cyclocross", 12: "hand_cycling", 13: "track_cycling", 14: "indoor_rowing",
    15: "elliptical", 16: "stair_climbing", 17: "lap_swimming", 18: "open_water",
    19: "flexibility_training", 20: "strength_training", 21: "warm_up", 22: "match",
    23: "exercise", 24: "challenge", 25: "indoor_skiing", 26: "cardio_training",
    27: "indoor_walking", 28: "e_bike_fitness", 29: "bmx", 30: "casual_walking",
    31: "speed_walking", 32: "bike_to_run_transition", 33: "run_to_bike_transition",
    34: "swim_to_bike_transition", 35: "atv", 36: "motocross", 37: "backcountry",
    38: "resort", 39: "rc_drone", 40: "wingsuit", 41: "whitewater", 42: "skate_skiing",
    43: "yoga", 44: "pilates", 45: "indoor_running", 46: "gravel_cycling",
    47: "e_bike_mountain", 48: "commuting", 49: "mixed_surface", 50: "navigate",
    51: "track_me", 52: "map", 53: "single_gas_diving", 54: "multi_gas_diving",
    55: "gauge_diving", 56: "apnea_diving", 57: "apnea_hunting", 58: "virtual_activity",
    59: "obstacle", 62: "breathing", 63: "ccr_diving", 65: "sail_race", 66: "expedition",
    67: "ultra", 68: "indoor_climbing", 69: "bouldering", 70: "hiit",
    71: "indoor_grinding", 72: "hunting_with_dogs", 73: "amrap", 74: "emom",
    75: "tabata", 77: "esport", 78: "triathlon", 79: "duathlon", 80: "brick",
    81: "swim_run", 82: "adventure_race", 83: "trucker_workout", 84: "pickleball",
    85: "padel", 86: "indoor_wheelchair_walk", 87: "indoor_wheelchair_run",
    88: "indoor_hand_cycling", 90: "field", 91: "ice", 92: "ultimate", 93: "platform",
    94: "squash", 95: "badminton", 96: "racquetball", 97: "table_tennis", 98: "overland",
    99: "trolling_motor", 123: "enduro", 124: "rucking", 125: "rally",
    126: "pool_triathlon", 127: "e_bike_enduro", 254: "all",
}  # fmt: skip

FILE_TYPES: Final[dict[int, str]] = {
    1: "device", 2: "settings", 3: "sport", 4: "activity", 5: "workout", 6: "course",
    7: "schedules", 9: "weight", 10: "totals", 11: "goals", 14: "blood_pressure",
    15: "monitoring_a", 20: "activity_summary", 28: "monitoring_daily",
    32: "monitoring_b", 34: "segment", 35: "segment_list", 40: "exd_configuration",
}  # fmt: skip
ACTIVITY_FILE: Final = 4

# A few manufacturers and Garmin products, for a readable device string.
MANUFACTURERS: Final[dict[int, str]] = {
    1: "garmin", 13: "dynastream_oem", 15: "dynastream", 16: "timex", 23: "suunto",
    32: "wahoo_fitness", 40: "concept2", 70: "sigmasport", 89: "tacx", 95: "stryd",
    123: "polar_electro", 255: "development", 260: "zwift", 265: "strava",
    267: "bryton", 289: "hammerhead", 294: "coros", 348: "huawei",
}  # fmt: skip
GARMIN_MANUFACTURERS: Final = frozenset({1, 13, 15})
GARMIN_PRODUCTS: Final[dict[int, str]] = {
    717: "fr405", 988: "fr60", 1018: "fr310xt", 1036: "edge500", 1169: "edge800",
    1325: "edge200", 1561: "edge510", 1623: "fr620", 1632: "fr220", 1765: "fr920xt",
    2050: "fenix3", 2156: "fr630", 2337: "vivo_active_hr", 2432: "fenix3_chronos",
    2544: "fenix5s", 2691: "fr935", 2697: "fenix5", 3111: "fenix5x_plus", 3113: "fr945",
    3589: "fr745", 3990: "fr255_music", 4315: "fr965", 4432: "fr165",
}  # fmt: skip


def enum_name(names: dict[int, str], value: int, prefix: str) -> str:
    """The profile name of an enum value, or ``<prefix>_<n>`` when unknown."""
    return names.get(value, f"{prefix}_{value}")
