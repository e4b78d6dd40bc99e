"""What a viewer sees of an athlete: the runner sees everything; a coach sees the report
made without the sources they may not see (Strava, unless the operator allows), and
with the scope ``no_pain`` without pain, symptoms and what follows only from them (the
light is then the worst of the other findings, the stage's reason is not told)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from loadguard.app import service
from loadguard.app.access import View
from loadguard.guard.findings import SEVERITY_RANK, Finding
from loadguard.guard.report import Report
from loadguard.guard.verdict import STATUS_WINDOW_DAYS
from loadguard.store import corrections
from loadguard.store.corrections import RunRef
from loadguard.store.db import Store, StoreError

PAIN_RULES = frozenset({"pain_red", "pain_not_settled", "red_flag", "no_improvement"})
PRIVATE_REASON = "private"  # a stage held or stepped back for pain, to a coach without it


def light(findings: list[Finding], as_of: date) -> str:
    """green / yellow / red from the findings current at as_of (as the guard's status)."""
    since = as_of - timedelta(days=STATUS_WINDOW_DAYS - 1)
    worst = max((SEVERITY_RANK[f.severity] for f in findings if f.date >= since), default=0)
    return ("green", "yellow", "red")[worst]


def stage_reason(reason: str, view: View) -> str:
    """The stage's reason as this viewer may read it: one that tells of pain is not told
    to a coach without the pain scope."""
    return _told(reason, view.pain)


def _told(reason: str, pain: bool) -> str:
    return PRIVATE_REASON if not pain and "pain" in reason else reason


def without_pain(report: Report) -> Report:
    """The report as a coach without the pain scope sees it."""
    kept = [f for f in report.findings if f.rule not in PAIN_RULES]
    return dataclasses.replace(
        report,
        findings=kept,
        status=light(kept, report.as_of),
        stage_reason=_told(report.stage_reason, pain=False),
        pain={"latest": None, "light": None, "mornings": []},
    )


def report(store: Store, view: View, as_of: date) -> Report:
    made = service.check(store, view.athlete, as_of, hide=view.hide)
    return made if view.pain else without_pain(made)


def run(store: Store, view: View, activity_id: int) -> RunRef:
    """One of the athlete's runs, if this viewer may see it; StoreError if not."""
    found = corrections.run_ref(store, view.athlete.id, activity_id)
    if found.source in view.hide:
        raise StoreError(f"athlete {view.athlete.id!r} has no run {activity_id}")
    return found
