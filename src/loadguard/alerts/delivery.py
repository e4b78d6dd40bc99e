"""From findings to messages: the outbox's rules, and delivering what is due.

Findings become alerts through the outbox (:mod:`loadguard.store.outbox`): an alert
is stored with a send per channel before anything is sent, sent once per
(athlete, rule, subject) and again only when it escalates; findings older than
``notify.max_age_days`` are left to ``check``. Quiet hours are applied when a
send is due: it is held until they end. Coaches with a digest get their athletes' new alerts in one message a
day; runners may get a weekly summary. Texts are rendered when sent, in the
recipient's language (:mod:`loadguard.alerts.texts`). :mod:`loadguard.app.service` calls this.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from loadguard.alerts import channels, texts
from loadguard.alerts.recipients import Recipient, _channels, everyone, held_until, watching
from loadguard.alerts.texts import finding_payload as finding_payload
from loadguard.contract import Athlete
from loadguard.guard.findings import SEVERITY_RANK
from loadguard.i18n import language_for
from loadguard.settings import Settings
from loadguard.store import coaching, outbox, users
from loadguard.store.db import Store

if TYPE_CHECKING:  # a report is built with polars; queuing its findings needs none
    from loadguard.guard.report import Report

WEB_DIGEST_AT = "07:30"  # a coach with an account gets their digest then, local time


@dataclass
class Delivered:
    sent: int = 0
    failed: int = 0
    held: int = 0
    dropped: int = 0
    errors: list[str] = field(default_factory=list)  # why sends failed (channels redacted)


def recipients(store: Store, settings: Settings) -> list[Recipient]:
    athletes = store.athletes()
    zones = {a.id: a.timezone for a in athletes}
    languages = {a.id: language_for(a, settings) for a in athletes}
    stored = outbox.stored_channels(store)
    return [
        *everyone(settings, stored, zones, languages, outbox.stored_choices(store)),
        *web_coaches(store, stored, zones),
    ]


def web_coaches(
    store: Store, stored: dict[str, list[str]], zones: dict[str, str]
) -> list[Recipient]:
    """Coaches with an account who gave a channel for their daily digest (``coach:u<id>``):
    it lists the athletes who granted them access, at the time they chose (07:30 unless
    they chose; 'off': none) in their own athlete's time zone (a coach who runs too),
    else their first athlete's."""
    out = []
    times = outbox.digest_times(store)
    for user in users.users(store):
        key = coach_key(user.id)
        if not user.has_role("coach") or key not in stored or times.get(key) == "off":
            continue
        athletes = tuple(a for a, _scope, _rev in coaching.coached(store, user.id))
        zone = zones.get(user.athlete_id or "") or next(
            (zones[a] for a in athletes if a in zones), "UTC"
        )
        out.append(
            Recipient(
                key=key,
                name=user.name,
                channels=_channels(key, stored[key]),
                min_severity="warning",
                language=user.language,
                quiet_hours="",
                timezone=zone,
                athletes=athletes,
                digest=times.get(key, WEB_DIGEST_AT),
            )
        )
    return out


def coach_key(user_id: int) -> str:
    return f"coach:u{user_id}"


def queue_findings(
    store: Store,
    settings: Settings,
    report: Report,
    now: datetime,
    everybody: list[Recipient] | None = None,
) -> int:
    """Store the alerts this guard run calls for; returns how many new alerts.
    ``everybody``: the recipients, when a pass over many athletes has read them once."""
    athlete = report.athlete
    everybody = recipients(store, settings) if everybody is None else everybody
    live = watching(everybody, athlete.id)
    digests = [r for r in everybody if athlete.id in r.athletes and r.digest and r.channels]
    if not live and not digests:
        return 0
    floor = min(SEVERITY_RANK[r.min_severity] for r in live + digests)
    cutoff = report.as_of - timedelta(days=settings.notify.max_age_days)
    new = 0
    with store.atomic():
        outbox.cancel_resolved(store, athlete.id, {(f.rule, f.subject) for f in report.findings})
        for f in report.findings:
            if SEVERITY_RANK[f.severity] < floor or f.date < cutoff:
                continue
            payload = finding_payload(report, f)
            alert_id = outbox.record_alert(store, athlete.id, f, payload)
            if alert_id is None:
                continue
            new += 1
            for r in live:
                if r.wants(f.severity):
                    _notice(store, r, "alert", str(alert_id), payload, now, alert_id=alert_id)
    return new


def _notice(
    store: Store,
    r: Recipient,
    kind: str,
    ref: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    alert_id: int | None = None,
) -> int | None:
    """A notice for one recipient with a send per channel, due now (quiet hours are
    applied when it is delivered, so a change of them counts for what is waiting)."""
    athlete_id = str(payload["athlete"]) if "athlete" in payload else None
    keys = [c.key for c in r.channels]
    return outbox.add_notice(
        store, r.key, kind, ref, payload, keys, now, athlete_id=athlete_id, alert_id=alert_id
    )


def queue_digest(
    store: Store,
    coach: Recipient,
    items: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    seen: list[str],
    links: dict[str, str],
    now: datetime,
) -> int | None:
    """A coach's digest (the findings not in their last one, the athletes' replies);
    None when there is nothing new (no empty digests) or today's was already made.
    ``seen``: every finding current now, so the next digest leaves them out."""
    if not items and not notes:
        return None
    with store.atomic():
        day = now.astimezone(coach.zone).date().isoformat()
        payload = {
            "items": items,
            "notes": notes,
            "seen": seen,
            "links": links,
            "note_upto": max([int(n["id"]) for n in notes], default=last_digest(store, coach)[1]),
        }
        return _notice(store, coach, "digest", day, payload, now)


def last_digest(store: Store, coach: Recipient) -> tuple[set[str], int]:
    """What the coach's last digest held: the findings current then, the last reply."""
    payload = outbox.last_digest(store, coach.key)
    return set(payload.get("seen", [])), int(payload.get("note_upto", 0))


def queue_note(
    store: Store, settings: Settings, key: str, note_id: int, payload: dict[str, Any], now: datetime
) -> int | None:
    """A coach's shared note to the athlete's channels; None if the athlete has none."""
    who = next((r for r in recipients(store, settings) if r.key == key and r.channels), None)
    if who is None:
        return None
    with store.atomic():
        return _notice(store, who, "note", str(note_id), payload, now)


def summary_payload(report: Report) -> dict[str, Any] | None:
    """The runner's last complete plan week (or the first, while it runs)."""
    week_no = max(1, report.plan_week - 1)
    week = next((w for w in report.weeks if w["plan_week"] == week_no), None)
    if week is None:
        return None
    return {
        "athlete": report.athlete.id,
        "athlete_name": report.athlete.name,
        "stage": report.stage,
        "week": week,
        "shoes": report.shoes,
        "mornings": report.pain["mornings"],
        "findings": sum(1 for f in report.findings if f.plan_week == week_no),
    }


def queue_summary(store: Store, runner: Recipient, report: Report, now: datetime) -> int | None:
    payload = summary_payload(report)
    if payload is None or not runner.channels:
        return None
    with store.atomic():
        return _notice(
            store, runner, "summary", f"week {payload['week']['plan_week']}", payload, now
        )


def queue_file_problem(
    store: Store, settings: Settings, athlete: Athlete, path: str, reason: str, now: datetime
) -> int:
    """Tell the runner (not their coaches: it is theirs to fix) that a file from their watch
    could not be read, once per file and reason, whatever their severity threshold: a run
    that is not counted is what the guard cannot see. Returns how many notices."""
    payload = {
        "athlete": athlete.id,
        "athlete_name": athlete.name,
        "file": PurePath(path).name,
        "path": path,
        "reason": reason,
    }
    new = 0
    with store.atomic():
        for r in watching(recipients(store, settings), athlete.id):
            if r.key == f"athlete:{athlete.id}":
                new += _notice(store, r, "file", f"{path}: {reason}", payload, now) is not None
    return new


def queue_test(store: Store, r: Recipient, now: datetime) -> int | None:
    with store.atomic():
        return _notice(store, r, "test", now.isoformat(), {}, now)


def render(kind: str, payload: dict[str, Any], who: Recipient | None, url: str) -> texts.Text:
    language = who.language if who else "en"
    if kind == "digest":
        return texts.digest_text(payload, language)
    if kind == "note":
        return texts.note_text(payload, language)
    if kind == "summary":
        return texts.summary_text(payload, language)
    if kind == "test":
        return texts.test_text(who.name if who else "?", language)
    if kind == "file":
        return texts.file_text(payload, language)
    return texts.alert_text(payload, language, long=channels.is_email(url))


def _attempt(url: str, text: texts.Text, timeout_s: float) -> str | None:
    try:
        channels.send(url, text, timeout_s)
    except channels.ChannelError as exc:
        return str(exc)
    except Exception as exc:  # a channel plugin's own failure must not stop the others
        return f"channel {channels.redact(url)}: {type(exc).__name__}: {exc}"
    return None


def deliver_due(store: Store, settings: Settings, now: datetime) -> Delivered:
    """Send every send that is due, each channel on its own thread (a slow or dead channel
    holds up nobody); a send in its recipient's quiet hours waits for their end."""
    result = Delivered()
    by_key = {r.key: r for r in recipients(store, settings)}
    work: list[tuple[outbox.Due, str, texts.Text]] = []
    for d in outbox.due(store, now):
        who = by_key.get(d.recipient)
        if d.channel.startswith("url:"):  # a delivery from before channels had keys
            url: str | None = d.channel[4:]
        else:
            found = who.channel(d.channel) if who else None
            url = found.url if found else None
        if url is None:
            outbox.dropped(store, d.send_id, "the channel was removed from the settings")
            result.dropped += 1
            continue
        if who is not None and (until := held_until(now, who.quiet_hours, who.zone)) > now:
            outbox.hold(store, d.send_id, until)
            result.held += 1
            continue
        if outbox.claim(store, d.send_id, now):
            work.append((d, url, render(d.kind, d.payload, who, url)))
    if not work:
        return result
    timeout = settings.notify.send_timeout_s
    with ThreadPoolExecutor(max_workers=min(8, len(work))) as pool:
        errors = list(pool.map(lambda w: _attempt(w[1], w[2], timeout), work))
    for (d, _url, _text), error in zip(work, errors, strict=True):
        if error is None:
            outbox.sent(store, d.send_id, datetime.now(now.tzinfo))
            result.sent += 1
        else:
            outbox.failed(store, d.send_id, d.attempts, error, datetime.now(now.tzinfo))
            result.failed += 1
            result.errors.append(error)
    return result
