"""Synthetic Strava data for the stand-in: athletes, shoes, activities, streams and their JSON.

Shapes follow Strava's Swagger examples and recorded responses (as shipped with stravalib):
``start_date`` is UTC with ``Z``; ``start_date_local`` is the wall-clock time, which Strava
also writes with a ``Z`` although it is not UTC; ``timezone`` is ``"(GMT+01:00) Europe/Copenhagen"``
(the zone's standard offset) while ``utc_offset`` is the offset in force, in seconds.

Streams are generated deterministically from the activity id, once at creation for the
summary figures (averages, elevation, splits, polylines), and again on request, so that
hundreds of activities do not hold their arrays in memory.
"""

from .activities import Activity, calories
from .athletes import Athlete, Shoe, default_shoes, shoe_from_dict
from .formats import JSON, encode_polyline, iso_z, local_fields
from .recording import Recording, RecordingSpec, record, stream_arrays, stream_json
from .sports import ACTIVITY_TYPES, RUNS, SPORT_TYPES, STREAM_TYPES, legacy_type

__all__ = [
    "ACTIVITY_TYPES",
    "JSON",
    "RUNS",
    "SPORT_TYPES",
    "STREAM_TYPES",
    "Activity",
    "Athlete",
    "Recording",
    "RecordingSpec",
    "Shoe",
    "calories",
    "default_shoes",
    "encode_polyline",
    "iso_z",
    "legacy_type",
    "local_fields",
    "record",
    "shoe_from_dict",
    "stream_arrays",
    "stream_json",
]
