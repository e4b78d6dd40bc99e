"""Findings: what the guard says, one row per thing a runner should hear about.

The record and the severities only (no polars: the alerts, the store and the commands
that list them start without it); the rules build them as frames in :mod:`.frames`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Finding:
    athlete_id: str
    rule: str
    severity: Severity
    date: date
    plan_week: int  # 0 where the finding has no week (a shoe)
    value: float | None
    limit: float | None
    message: str
    evidence: str
    subject: str = ""
    detail: str = ""
