"""A report's parts in a reader's language, for every front (terminal and web pages):
the stage and why, a rule's title, a finding's sentence, the findings that matter now."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from loadguard.alerts.texts import finding_payload, finding_text
from loadguard.guard.findings import Finding
from loadguard.i18n import catalogue, say
from loadguard.sources.plausible import Held

if TYPE_CHECKING:  # a report is built with polars; wording one needs none
    from loadguard.guard.report import Report


def stage_text(report: Report, language: str) -> str:
    """The stage in force, by its name in ``language`` (before or after the plan said so)."""
    stage = report.plan.stage_for_week(report.stage_week)
    if stage is None:
        return say(language, "cli.check.before_plan")
    name = report.plan.stage_name_in(stage.name, language)
    if report.stage_week > report.plan.weeks:
        return say(language, "cli.check.after_plan", stage=name)
    return name


def reason_text(reason: str, language: str) -> str:
    """The stage's reason (the guard's English) in ``language``."""
    if held := re.fullmatch(r"held by (.+?): (.*)", reason, re.S):
        return say(language, "cli.check.coach_held", by=held[1], reason=held[2])
    if back := re.fullmatch(r"set back to week (\d+) by (.+?): (.*)", reason, re.S):
        return say(language, "cli.check.coach_back", week=back[1], by=back[2], reason=back[3])
    if reason == "private":
        return say(language, "cli.check.private")
    week = re.search(r"in week (\d+)", reason)
    if reason.startswith("stepped back") and week:
        limit = re.search(r"above (\d+)/10", reason)
        return say(
            language, "cli.check.stepped_back", limit=limit[1] if limit else "5", week=week[1]
        )
    if reason.startswith("held") and week:
        return say(language, "cli.check.held", week=week[1])
    return say(language, "cli.check.on_plan") if reason == "on plan" else reason


def rule_title(rule: str, language: str) -> str:
    return str(catalogue(language)["rules"].get(rule, {}).get("title", rule))


def current_findings(report: Report) -> list[Finding]:
    """What matters now: this plan week's and the last one's, and every shoe finding."""
    return [f for f in report.findings if f.plan_week == 0 or f.plan_week >= report.plan_week - 1]


def finding_message(report: Report, f: Finding, language: str) -> str:
    """The finding in ``language``: the guard's own sentence in English, the catalogue's
    in another."""
    if language == "en":
        return f.message
    return finding_text(finding_payload(report, f), language)[0]


def held_text(held: Held | str, language: str) -> str:
    """Why a run is held for review (:mod:`loadguard.sources.plausible`; as stored, JSON),
    in ``language``."""
    found = Held.from_json(held) if isinstance(held, str) else held
    return say(language, f"held.{found.why}", **found.values)
