"""Whether a normalised activity's values are possible at all, before it counts.

A file can pass its checksum and still hold garbage: a bit flip before the CRC was
computed, a watch with a bad clock, a converter's bug. Such an activity is stored but
held for review ("quarantine"): `loadguard failures` lists it with the reason, and it is
kept out of the guard until the runner accepts it (`loadguard run accept`) or deletes it.

The limits are conventions of this project, each set far outside what a person does, so
that a real run is never held (sources beside each).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from loadguard.contract import Activity

# No GPS sports watch recorded before 2000 (Garmin's first, the Forerunner 101, is from
# 2003); FIT's epoch, 1989-12-31, is what a zeroed or flipped date decodes to.
DEVICE_ERA = datetime(2000, 1, 1, tzinfo=UTC)
# A watch's clock ahead of the import by more than a day is a bad clock, not a time zone.
FUTURE_SLACK = timedelta(days=1)
# The longest one-piece foot races (Spartathlon 36 h, 200-mile trail races about 4
# days) stay well under a week.
MAX_DURATION_S = 7 * 86_400
# On foot: the 100 m world record averages 10.4 m/s; nobody keeps 12.5 m/s over a run.
MAX_FOOT_SPEED_MPS = 12.5
# Any sport this tool reads (cycling, skiing included) stays under 100 m/s (360 km/h).
MAX_SPEED_MPS = 100.0
# One recording on foot of over 1,000 km (the longest single-stage races are near 500 km).
MAX_FOOT_DISTANCE_M = 1_000_000.0
# A sport left generic (a GPX without one) is not held to the foot limits: it may be a ride.
ON_FOOT = frozenset({"running", "walking", "hiking", "trail_running"})
# A sport the source's profile does not know: FIT's enum name for an unlisted value.
_UNKNOWN_SPORT = re.compile(r"sport_\d+")


@dataclass(frozen=True)
class Held:
    """Why an activity is held for review: a reason's key in the catalogues' ``[held]``
    table and the values its text names (stored as JSON with the activity)."""

    why: str
    values: dict[str, str | float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"why": self.why, **self.values})

    @staticmethod
    def from_json(text: str) -> Held:
        found = json.loads(text)
        why = str(found.pop("why"))
        return Held(why, found)


def implausible(activity: Activity, now: datetime | None) -> Held | None:
    """Why the activity cannot be right; None when it can (``now``: the import's time;
    None leaves out the check for a start in the future)."""
    start = activity.start_utc
    if start < DEVICE_ERA:
        return Held("before_devices", {"day": f"{start:%Y-%m-%d}"})
    if now is not None and start > now + FUTURE_SLACK:
        return Held("future", {"day": f"{start:%Y-%m-%d}"})
    if _UNKNOWN_SPORT.fullmatch(activity.sport):
        return Held("unknown_sport", {"sport": activity.sport})
    for name, value in (
        ("distance", activity.distance_m),
        ("moving_time", activity.timer_s),
        ("duration", activity.elapsed_s),
    ):
        if not math.isfinite(value) or value < 0:
            return Held(f"bad_{name}", {"value": str(value)})
    longest = max(activity.timer_s, activity.elapsed_s)
    if longest > MAX_DURATION_S:
        return Held("too_long", {"days": longest / 86_400})
    on_foot = activity.sport in ON_FOOT
    if on_foot and activity.distance_m > MAX_FOOT_DISTANCE_M:
        return Held("too_far", {"km": activity.distance_m / 1000})
    moving = activity.timer_s or activity.elapsed_s
    if moving > 0:
        speed = activity.distance_m / moving
        limit = MAX_FOOT_SPEED_MPS if on_foot else MAX_SPEED_MPS
        if speed > limit:
            return Held("too_fast", {"kmh": speed * 3.6, "limit": limit * 3.6})
    return None
