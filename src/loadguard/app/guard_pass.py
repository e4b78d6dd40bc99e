"""One guard pass over many athletes at once: `loadguard guard --all` and the daemon's
scheduled guard.

The athletes are taken by plan and local day; for each such group one read (the store's
columnar copy once there are many: :mod:`loadguard.store.snapshot`) and one run of the
metrics and every rule give every athlete's findings of the alerting window (those a
scheduled guard can act on: the status window and ``notify.max_age_days``). Then:

- a guard run is kept for each athlete whose status or findings changed since their
  last run (a digest says so), in one transaction;
- a runner someone listens to gets their full report made, and its alerts queued, only
  when a finding is new to the outbox or a waiting alert no longer holds: a report costs
  a guard pass of its own, the comparison nothing;
- what is due is delivered once, at the end.

The figures are the per-athlete check's: the same metrics and rules, on more rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import polars as pl

from loadguard import settings
from loadguard.alerts import delivery
from loadguard.app import passes, service
from loadguard.contract import Athlete
from loadguard.guard import verdict
from loadguard.guard.findings import SEVERITY_RANK, Finding
from loadguard.guard.frames import to_findings
from loadguard.guard.plan import load_plan
from loadguard.store import findings as findings_store
from loadguard.store import outbox
from loadguard.store.db import Store


@dataclass(frozen=True)
class Verdict:
    as_of: date
    since: date  # the first day of the window its findings come from
    status: str
    found: list[Finding]


@dataclass
class PassSummary:
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    kept: int = 0  # guard runs kept: athletes whose status or findings changed
    reports: int = 0  # full reports made to queue alerts
    new_alerts: int = 0
    delivered: delivery.Delivered | None = None

    def count(self, status: str) -> int:
        return sum(1 for v in self.verdicts.values() if v.status == status)


def verdicts(
    store: Store,
    athletes: Sequence[Athlete],
    now: datetime,
    as_of: date | None,
    conf: settings.Settings,
) -> dict[str, Verdict]:
    """Every athlete's status and findings of the window, one pass per plan and day."""
    groups: dict[tuple[str, date], list[Athlete]] = {}
    for a in athletes:
        day = as_of or now.astimezone(a.zone).date()
        groups.setdefault((a.plan_id, day), []).append(a)
    found_by: dict[str, Verdict] = {}
    for (plan_id, day), group in sorted(groups.items()):
        plan = load_plan(plan_id)
        since = verdict.alert_window(day, conf.notify.max_age_days)
        m = passes.metrics_for(store, group, plan, day, since=since)
        found = verdict.newest_first(verdict.evaluate(m, plan, day))
        light = verdict.status(found, [a.id for a in group], day)
        mine: dict[str, list[Finding]] = {a.id: [] for a in group}
        for f in to_findings(found.with_columns(pl.col("athlete_id").cast(pl.String))):
            mine[f.athlete_id].append(f)
        for a in group:
            found_by[a.id] = Verdict(day, since, light[a.id], mine[a.id])
    return found_by


def guard_all(
    store: Store,
    trigger: str = "scheduled",
    as_of: date | None = None,
    athletes: Sequence[Athlete] | None = None,
    *,
    now: datetime | None = None,
) -> PassSummary:
    """The guard over ``athletes`` (default: everyone) as of their local today (or
    ``as_of``): runs kept where something changed, alerts queued, what is due sent."""
    conf = settings.current()
    now = now or datetime.now(UTC)
    people = list(store.athletes() if athletes is None else athletes)
    summary = PassSummary(verdicts(store, people, now, as_of, conf))
    before = findings_store.latest_digests(store, [a.id for a in people])
    runs = [
        findings_store.NewRun(a.id, v.as_of, v.since, v.status, v.found)
        for a in people
        for v in [summary.verdicts[a.id]]
    ]
    changed = [r for r in runs if before.get(r.athlete_id) != r.said]
    findings_store.save_runs(store, changed, trigger)
    summary.kept = len(changed)
    _queue(store, conf, people, summary, now)
    if summary.new_alerts:
        summary.delivered = delivery.deliver_due(store, conf, now)
    return summary


def _queue(
    store: Store,
    conf: settings.Settings,
    people: list[Athlete],
    summary: PassSummary,
    now: datetime,
) -> None:
    everybody = delivery.recipients(store, conf)
    floor: dict[str, int] = {}  # per athlete heard of: the lowest severity anyone wants
    for r in everybody:
        for athlete_id in r.athletes if r.channels else ():
            rank = SEVERITY_RANK[r.min_severity]
            floor[athlete_id] = min(floor.get(athlete_id, rank), rank)
    listened = [a for a in people if a.id in floor]
    ids = [a.id for a in listened]
    alerted, waiting = outbox.alerted(store, ids), outbox.waiting(store, ids)
    for a in listened:
        v = summary.verdicts[a.id]
        cutoff = v.as_of - timedelta(days=conf.notify.max_age_days)
        told = alerted.get(a.id, {})
        new = any(
            f.date >= cutoff
            and floor[a.id] <= SEVERITY_RANK[f.severity] > told.get((f.rule, f.subject), -1)
            for f in v.found
        )
        resolved = bool(waiting.get(a.id, set()) - {(f.rule, f.subject) for f in v.found})
        if new or resolved:
            report = service.check(store, a, v.as_of)
            summary.reports += 1
            summary.new_alerts += delivery.queue_findings(store, conf, report, now, everybody)
