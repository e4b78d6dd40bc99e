"""The check: where an athlete stands in the plan at a day and what the guard finds.

Without polars until a report must be made: a report asked for again with nothing
changed comes from this process (:mod:`loadguard.app.kept`) or from disk
(:mod:`loadguard.store.kept_reports`), so `check` and `shoe list` start as fast as the
commands that only read the store."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from loadguard.app import kept
from loadguard.contract import Athlete
from loadguard.guard.plan import Plan, load_plan
from loadguard.guard.report import Report
from loadguard.store import kept_reports
from loadguard.store.beside import versions
from loadguard.store.db import Store


def today(athlete: Athlete) -> date:
    """The athlete's local date now (the CLI's default as_of)."""
    return datetime.now(athlete.zone).date()


def check(
    store: Store,
    athlete: Athlete,
    as_of: date,
    *,
    plans_dir: Path | None = None,
    hide: frozenset[str] = frozenset(),
) -> Report:
    """Where the athlete stands in the plan at ``as_of`` and what the guard finds;
    ``hide``: sources whose activities are left out (what a coach may not see of Strava).

    The guard is a pure function of the athlete's data, the plan and the day, so a report
    is kept until the athlete's version says any of its data changed: in this process
    (a page asked for again costs one query, not a guard pass), and on disk (a command
    run again, a server started again)."""
    plan: Plan = load_plan(athlete.plan_id, plans_dir)
    version = versions(store, [athlete.id]).get(athlete.id)
    key = (store.identity, athlete, as_of, id(plan), version, hide)
    return kept.report(
        key,
        lambda: _kept_or_made(store, athlete, version, as_of, plan, hide),
        lambda made: made.plan is plan,
    )


def _kept_or_made(
    store: Store,
    athlete: Athlete,
    version: int | None,
    as_of: date,
    plan: Plan,
    hide: frozenset[str],
) -> Report:
    if version is None:  # not in the store (deleted meanwhile): nothing to keep it under
        return _check(store, athlete, as_of, plan, hide)
    at = kept_reports.place(store, athlete, version, as_of, plan, hide)
    found = kept_reports.load(at, athlete, plan, as_of)
    if found is None:
        found = _check(store, athlete, as_of, plan, hide)
        kept_reports.save(at, found)
    return found


def _check(store: Store, athlete: Athlete, as_of: date, plan: Plan, hide: frozenset[str]) -> Report:
    """One guard pass for one athlete (polars loads here)."""
    from loadguard.app import passes
    from loadguard.guard import verdict
    from loadguard.guard.report_build import build_report

    m = passes.metrics_for(store, [athlete], plan, as_of, hide)
    found = verdict.newest_first(verdict.evaluate(m, plan, as_of))
    light = verdict.status(found, [athlete.id], as_of)[athlete.id]
    return build_report(athlete, plan, m, found, light, as_of)


def forget_reports() -> None:
    """Use no report kept until now, here or on disk (benchmarks; a test of the guard
    pass itself)."""
    kept.forget()
    kept_reports.forget()


def report_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)
