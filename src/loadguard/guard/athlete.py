"""An athlete as the guard sees them: who, which plan, from which day, in which time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Athlete:
    id: str
    name: str
    plan_id: str
    plan_start: date  # the first day of plan week 1, in the athlete's local time
    timezone: str  # IANA name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
