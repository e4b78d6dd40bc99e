"""A coach's daily digest: every athlete they watch with a warning or critical finding
that was not in the last digest, and the athletes' replies to the coach's notes.

The findings come from each athlete's guard pass now (what the coach would see on the
athlete's page, within the scope granted), not from the alerts sent to the runner: an
athlete whose findings never became alerts (no channel of their own, older than
``notify.max_age_days``, a shoe past 800 km long ago) is in the digest all the same.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from loadguard import settings
from loadguard.alerts import delivery
from loadguard.alerts.recipients import Recipient
from loadguard.app import access, seen, service, wording
from loadguard.app.access import View
from loadguard.guard.findings import SEVERITY_RANK
from loadguard.store import coaching, outbox, users
from loadguard.store.db import Store

WORTH = SEVERITY_RANK["warning"]
RETRY = timedelta(minutes=15)  # after 07:30 with nothing new: look again this often
_LOOKED: dict[tuple[str, str], datetime] = {}  # (store, coach) -> when last looked


def views(store: Store, coach: Recipient) -> list[View]:
    """The athletes this coach watches, as the coach may see them."""
    if not coach.key.startswith("coach:u"):  # a coach of the settings file: the operator's
        return [View(a, None, "all", frozenset()) for a in store.athletes(list(coach.athletes))]
    user = users.user_by_id(store, int(coach.key.removeprefix("coach:u")))
    return access.coached(store, user, coaches_see_strava=settings.current().web.coaches_see_strava)


def _links(coach: Recipient, athletes: list[str]) -> dict[str, str]:
    base = settings.current().web.base_url.rstrip("/")
    if not base:
        return {}
    out = {a: f"{base}/a/{a}/" for a in athletes}
    if coach.key.startswith("coach:u"):
        out[""] = f"{base}/coach"
    return out


def queue(store: Store, coach: Recipient, now: datetime, as_of: date | None = None) -> int | None:
    """Queue today's digest for ``coach`` (None: nothing new, or made already today).
    ``as_of``: look at the athletes as of that day (a past season), else each one's today."""
    before, note_upto = delivery.last_digest(store, coach)
    floor = max(WORTH, SEVERITY_RANK[coach.min_severity])
    items: list[dict[str, Any]] = []
    current: list[str] = []
    for view in views(store, coach):
        report = seen.report(store, view, as_of or service.today(view.athlete))
        for f in wording.current_findings(report):
            if SEVERITY_RANK[f.severity] < floor:
                continue
            key = f"{view.athlete.id}|{f.rule}|{f.subject}|{f.date}|{f.severity}"
            current.append(key)
            if key not in before:
                items.append(delivery.finding_payload(report, f))
    notes = _replies(store, coach, note_upto)
    athletes = sorted({str(i["athlete"]) for i in items} | {str(n["athlete"]) for n in notes})
    return delivery.queue_digest(store, coach, items, notes, current, _links(coach, athletes), now)


def _replies(store: Store, coach: Recipient, after: int) -> list[dict[str, Any]]:
    if not coach.key.startswith("coach:u"):
        return []
    coach_id = int(coach.key.removeprefix("coach:u"))
    return [
        {"id": n.id, "athlete": athlete_id, "athlete_name": name, "body": n.body}
        for athlete_id, name, n in coaching.replies_after(store, coach_id, after)
    ]


def web_digests_due(store: Store, now: datetime) -> int:
    """Queue the digest of every coach with an account whose 07:30 has passed today and
    who has none yet today (the scheduler's delivery round calls this); with nothing new
    at 07:30, it looks again every 15 minutes that day. Returns how many were queued."""
    queued = 0
    for coach in delivery.recipients(store, settings.current()):
        if not coach.key.startswith("coach:u") or not coach.channels:
            continue
        local = now.astimezone(coach.zone)
        hour, minute = (int(p) for p in coach.digest.split(":"))
        if local.time() < time(hour, minute):
            continue
        if outbox.has_notice(store, coach.key, "digest", local.date().isoformat()):
            continue
        looked = (store.identity, coach.key)
        if looked in _LOOKED and timedelta(0) <= now - _LOOKED[looked] < RETRY:
            continue
        _LOOKED[looked] = now
        queued += queue(store, coach, now) is not None
    return queued
