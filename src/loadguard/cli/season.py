"""A synthetic return-to-running season, as activities with 1 Hz streams (pure, seeded).

``season(start, violations=False)`` follows the heel fat pad plan to the
letter: run/walk stages by week, soft ground before week 5, at most a third
on paved ground in weeks 5-6, then continuous running growing 8 % a week.
``violations=True`` adds the mistakes runners make without noticing: a long
run on asphalt in week 3, running straight through the walk breaks in week 4,
paved ground only in week 6 and a 40 % jump in week 9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from loadguard.contract import Activity, Streams

RUN_MPS = 2.78  # about 6:00 min/km
WALK_MPS = 1.40
HOME = (55.7000, 12.5700)  # a park in Copenhagen
RUN_DAYS = (0, 2, 5)  # Monday, Wednesday, Saturday
START_TIME = time(7, 30)


@dataclass(frozen=True)
class Session:
    day: date
    minutes: float
    run_s: float | None  # None: continuous
    walk_s: float | None
    sub_sport: str  # FIT sub_sport: trail, street, track, ...
    label: str
    continuous_km: float | None = None  # continuous runs are set by distance


def _runwalk_weeks() -> list[tuple[int, float, float, list[float]]]:
    """(plan week, run s, walk s, session minutes) for weeks 1-6 of the plan."""
    return [
        (1, 60, 120, [15, 16, 17]),
        (2, 60, 120, [18, 19, 20]),
        (3, 120, 60, [20, 21, 22]),
        (4, 120, 60, [23, 24, 25]),
        (5, 300, 60, [25, 26, 27]),
        (6, 300, 60, [28, 29, 30]),
    ]


def plan_sessions(start: date, weeks: int = 10, *, violations: bool = False) -> list[Session]:
    sessions: list[Session] = []
    for week, run_s, walk_s, minutes in _runwalk_weeks():
        for i, (weekday, mins) in enumerate(zip(RUN_DAYS, minutes, strict=True)):
            day = start + timedelta(days=(week - 1) * 7 + weekday)
            surface = "street" if week >= 5 and i == 1 else "trail"
            r, w, label = run_s, walk_s, f"Week {week} run/walk"
            if violations and week == 3 and i == 2:
                mins, surface, label = 40, "street", "Long run on the road"
            if violations and week == 4 and i == 1:
                r, w, label = 720, 120, "Felt good, ran through"
            if violations and week == 6:
                surface = "street"
            sessions.append(Session(day, mins, r, w, surface, label))
    # Week 7: continuous, no longer than week 6's longest session; then +8 % a week.
    pattern = [28 * RUN_MPS * 60 / 1000, 29 * RUN_MPS * 60 / 1000, 30 * RUN_MPS * 60 / 1000]
    scale = 1.0
    for week in range(7, weeks + 1):
        if week > 7:
            scale *= 1.4 if violations and week == 9 else 1.08
        if violations and week == 10:
            scale /= 1.4  # back to where the plan would be
        for i, (weekday, km) in enumerate(zip(RUN_DAYS, pattern, strict=True)):
            day = start + timedelta(days=(week - 1) * 7 + weekday)
            dist = km * scale
            surface = ("trail", "street", "generic")[i]  # the watch labels two of three
            duration = dist * 1000 / RUN_MPS / 60
            sessions.append(Session(day, duration, None, None, surface, f"Week {week}", dist))
    return sessions


def _speed_profile(session: Session, rng: np.random.Generator) -> np.ndarray:
    seconds = round(session.minutes * 60)
    if session.run_s is None or session.walk_s is None:
        base = np.full(seconds, RUN_MPS)
    else:
        cycle = session.run_s + session.walk_s
        phase = np.arange(seconds) % cycle
        base = np.where(phase < session.run_s, RUN_MPS, WALK_MPS)
    return np.clip(base + rng.normal(0.0, 0.08, seconds), 0.5, None)


def _track(distance_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions along a 1.2 km loop around HOME."""
    radius = 1200 / (2 * math.pi)
    angle = distance_m / radius
    lat = HOME[0] + (radius * np.sin(angle)) / 111_320
    lon = HOME[1] + (radius * (1 - np.cos(angle))) / (111_320 * math.cos(math.radians(HOME[0])))
    return lat, lon


def to_activity(session: Session, zone: ZoneInfo, rng: np.random.Generator) -> Activity:
    local = datetime.combine(session.day, START_TIME, tzinfo=zone)
    start_utc = local.astimezone(UTC)
    speed = _speed_profile(session, rng)
    running = speed > 2.0
    distance = np.cumsum(speed)
    t = np.arange(len(speed), dtype=np.float64)
    lat, lon = _track(distance)
    hr = np.where(running, 148.0, 118.0) + rng.normal(0, 2.0, len(speed))
    cadence = np.where(running, 166.0, 112.0)
    return Activity(
        source="season",
        source_id=f"{session.day.isoformat()}",
        sport="running",
        sub_sport=session.sub_sport,
        start_utc=start_utc,
        distance_m=float(distance[-1]),
        timer_s=float(len(speed)),
        elapsed_s=float(len(speed)),
        utc_offset=local.utcoffset(),
        name=session.label,
        device="loadguard season",
        streams=Streams(
            {
                "t": t,
                "lat": lat,
                "lon": lon,
                "distance_m": distance,
                "speed_mps": speed.astype(np.float32),
                "cadence_spm": cadence.astype(np.float32),
                "heart_rate": hr.astype(np.float32),
            }
        ),
    )


def season(
    start: date, zone: str, weeks: int = 10, *, violations: bool = False, seed: int = 7
) -> list[Activity]:
    rng = np.random.default_rng(seed)
    tz = ZoneInfo(zone)
    return [to_activity(s, tz, rng) for s in plan_sessions(start, weeks, violations=violations)]
