"""The surface classes, the words that name them, and each run's km by class from what
the runner and the source say (the polars that reckons it is in :mod:`.km`).

Precedence: the runner's own tags in the name or description (``#grass``,
``#asphalt``; several tags split the run evenly) > the source's coarse label
(FIT ``sub_sport`` or the Strava-mapped equivalent) > unknown. Unknown stays
unknown: nothing is guessed. GPS-matched surfaces come from a later stage.
"""

from __future__ import annotations

# Every class a stretch of running can be on; ``unknown`` is never guessed away.
SURFACE_CLASSES = ("grass", "gravel", "trail", "track", "paved", "treadmill", "unknown")

# The one table from runner tags to surface classes.
TAGS: dict[str, str] = {
    "grass": "grass",
    "lawn": "grass",
    "gravel": "gravel",
    "trail": "trail",
    "forest": "trail",
    "dirt": "trail",
    "woodchips": "trail",
    "track": "track",
    "asphalt": "paved",
    "tarmac": "paved",
    "road": "paved",
    "concrete": "paved",
    "pavement": "paved",
    "paved": "paved",
    "treadmill": "treadmill",
}

# FIT sub_sport names (Strava sport types are mapped onto these by their connector).
SUB_SPORTS: dict[str, str] = {
    "trail": "trail",
    "track": "track",
    "treadmill": "treadmill",
    "indoor_running": "treadmill",
    "virtual_activity": "treadmill",
    "street": "paved",
}

KNOWN = tuple(c for c in SURFACE_CLASSES if c != "unknown")


SURFACE_COLUMNS = tuple(f"surface_{c}_km" for c in SURFACE_CLASSES)
STORED_SURFACES = tuple(f"stored_{c}_m" for c in SURFACE_CLASSES)
