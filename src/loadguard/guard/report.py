"""The check report as data: one athlete, one as_of, everything the CLI, JSON and web show.

The record only, without polars (a report kept on disk is shown without it); the metrics
make one in :mod:`.report_build`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from loadguard.contract import Athlete
from loadguard.guard.findings import Finding
from loadguard.guard.plan import Plan


@dataclass(frozen=True)
class Report:
    athlete: Athlete
    plan: Plan
    as_of: date
    plan_week: int
    stage: str
    stage_week: int
    stage_reason: str
    status: str
    weeks: list[dict[str, Any]]
    shoes: list[dict[str, Any]]
    findings: list[Finding]
    acwr: float | None
    runs: list[dict[str, Any]]
    calendar_weeks: list[dict[str, Any]]
    pain: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "athlete": self.athlete.id,
            "as_of": self.as_of.isoformat(),
            "plan": {
                "id": self.plan.id,
                "week": self.plan_week,
                "stage": self.stage,
                "stage_week": self.stage_week,
                "stage_reason": self.stage_reason,
            },
            "status": self.status,
            "weeks": self.weeks,
            "shoes": self.shoes,
            "acwr": None if self.acwr is None else round(self.acwr, 2),
            "calendar_weeks": self.calendar_weeks,
            "pain": self.pain,
            "runs": self.runs,
            "findings": [
                {
                    "rule": f.rule,
                    "severity": f.severity,
                    "date": f.date.isoformat(),
                    "plan_week": f.plan_week,
                    "value": None if f.value is None else round(f.value, 2),
                    "limit": None if f.limit is None else round(f.limit, 2),
                    "message": f.message,
                    "evidence": self.plan.evidence(f.evidence).grade,
                    "source": self.plan.evidence(f.evidence).source,
                    "subject": f.subject,
                    "detail": f.detail,
                }
                for f in self.findings
            ],
        }
