"""The one orchestration module: the CLI, the scheduler and the web app all call these.

Data flows one way: connector -> raw record -> normalised activity (store)
-> metrics -> rules -> findings -> report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from loadguard import settings
from loadguard.alerts import delivery
from loadguard.alerts.recipients import Recipient
from loadguard.app import folders
from loadguard.app.checking import check as check
from loadguard.app.checking import forget_reports as forget_reports
from loadguard.app.checking import report_json as report_json
from loadguard.app.checking import today as today
from loadguard.app.importing import ImportSummary as ImportSummary
from loadguard.app.importing import Progress as Progress
from loadguard.app.importing import import_from as import_from
from loadguard.app.importing import retry_failures as retry_failures
from loadguard.app.reading import normaliser
from loadguard.contract import (
    Athlete,
    ConnectorError,
    NotAnActivity,
    RawRecord,
    Streams,
)
from loadguard.guard import pain_scale, verdict
from loadguard.guard.plan import load_plan
from loadguard.guard.report import Report
from loadguard.sources import registry
from loadguard.sources.normalise import Normalised, activities_of
from loadguard.store import accounts as accounts_store
from loadguard.store import activities as stored
from loadguard.store import findings as findings_store
from loadguard.store import outbox
from loadguard.store import pain as pain_store
from loadguard.store.db import Store, StoreError
from loadguard.store.sql import connection_lost
from loadguard.store.surfaces import save_mix


def streams_of(store: Store, activity_id: int) -> Streams | None:
    """An activity's streams, normalised again from its stored raw record.

    Streams are not copied into the store: the raw bytes hold them, and the
    connector turns them out in milliseconds (a FIT run: ~2 ms).
    """
    found = stored.raw_of(store, activity_id)
    if found is None:
        return None
    raw, source_id = found
    for activity in activities_of(raw):
        if activity.source_id == source_id:
            return activity.streams
    return None


def _renormalised(
    store: Store, athlete: Athlete, failed: list[tuple[str, str]]
) -> Iterator[tuple[int, Normalised]]:
    """Every stored raw record normalised again, with its id; a record that no longer
    normalises is listed in ``failed``, one that holds no activity is passed over."""
    read = normaliser(store, athlete)
    for raw_id, raw in stored.raw_records(store, athlete.id):
        try:
            yield raw_id, read(raw)
        except NotAnActivity:
            continue  # a settings or workout file, kept so it is not read again
        except ConnectorError as exc:
            failed.append((raw.origin, str(exc)))


def rebuild(store: Store, athlete: Athlete) -> tuple[int, list[tuple[str, str]]]:
    """Normalise every stored raw record again (after a connector upgrade), one atomic swap
    per record; a record that no longer normalises keeps its old activities and is listed."""
    failed: list[tuple[str, str]] = []
    count = sum(
        len(stored.replace_activities(store, athlete.id, raw_id, normalised))
        for raw_id, normalised in _renormalised(store, athlete, failed)
    )
    return count, failed


def recompute_surfaces(store: Store, athlete: Athlete) -> tuple[int, list[tuple[str, str]]]:
    """Surfaces of every stored activity again (a new map, a new place), from the raw bytes;
    activities keep their ids. Returns how many were updated and what failed."""
    count, failed = 0, list[tuple[str, str]]()
    for _raw_id, normalised in _renormalised(store, athlete, failed):
        for prepared in normalised:
            activity_id = stored.activity_id(store, athlete.id, prepared.activity)
            if activity_id is not None and prepared.surfaces is not None:
                save_mix(store, activity_id, prepared.surfaces)
                count += 1
    return count, failed


def _now() -> datetime:
    return datetime.now(UTC)


def recent_runs(
    store: Store, athlete: Athlete, last: int, hide: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The latest runs, newest first, as the check report lists them."""
    # as of the last run's day (a watch with its clock ahead), never a far-off date: the
    # report counts every plan week up to as_of
    last_day = stored.last_local_day(store, athlete.id)
    day = max(today(athlete), last_day) if last_day else today(athlete)
    report = check(store, athlete, day, hide=hide)
    return report.runs[::-1][:last]


# -- pushed data and the guard on demand ---------------------------------------------


def run_guard(store: Store, athlete: Athlete, trigger: str, as_of: date | None = None) -> Report:
    """Check an athlete now (or as of a day) and keep the findings (guard_runs/findings)."""
    day = as_of or today(athlete)
    report = check(store, athlete, day)
    conf = settings.current()
    since = verdict.alert_window(day, conf.notify.max_age_days)
    run = findings_store.NewRun(athlete.id, day, since, report.status, report.findings)
    findings_store.save_run(store, run, trigger)
    if delivery.queue_findings(store, conf, report, _now()):
        delivery.deliver_due(store, conf, _now())
    return report


def ingest(store: Store, athlete: Athlete, raw: RawRecord) -> list[stored.StoredActivity]:
    """Store one record a connector pushed (new or edited), normalised like an import.
    Raises ConnectorError for a record that cannot be normalised (nothing is stored)."""
    normalised = normaliser(store, athlete)(raw)
    return stored.upsert_raw_with_activities(store, athlete.id, raw, normalised)


def process_events(store: Store, limit: int = 100) -> int:
    """Work through queued webhook events in arrival order; the athletes they touched are
    checked again. Returns how many events were processed."""
    events = accounts_store.pending_events(store, limit)
    touched: set[str] = set()
    for event in events:
        touched.update(_process(store, event))
    for athlete_id in sorted(touched):
        run_guard(store, store.athlete(athlete_id), "webhook")
    return len(events)


def process_event(store: Store, event_id: int) -> bool:
    """One queued event (a task on a worker), then the guard for the athletes it touched.
    False when it was processed before (a task run again after its worker died, or the
    sweep's second copy): nothing is done twice."""
    event = accounts_store.pending_event(store, event_id)
    if event is None:
        return False
    for athlete_id in sorted(_process(store, event)):
        run_guard(store, store.athlete(athlete_id), "webhook")
    return True


def _process(store: Store, event: accounts_store.Event) -> set[str]:
    """One event through its connector's receiver; the athletes it touched."""
    from loadguard.app.host import StoreHost  # the host calls back into this module

    try:
        receiver = registry.webhook(event.source)
        touched = set(receiver.process(StoreHost(store), event.payload))
    except Exception as exc:  # one bad event must not stop the queue
        if connection_lost(store.target.dialect, exc):
            raise  # the database went away (a restart): the queue tries the event again
        accounts_store.finish_event(store, event.id, "failed", f"{type(exc).__name__}: {exc}")
        return set()
    accounts_store.finish_event(store, event.id, "done")
    return touched


def update_athlete(
    store: Store,
    athlete: Athlete,
    *,
    name: str | None = None,
    plan_id: str | None = None,
    plan_start: date | None = None,
    timezone: str | None = None,
    language: str | None = None,
) -> Athlete:
    """Change the fields given (the rest stays), then run the guard again: findings that
    no longer hold go, and their unsent alerts are cancelled. Raises PlanError/StoreError."""
    plan = plan_id or athlete.plan_id
    load_plan(plan)
    changed = store.add_athlete(
        athlete.id,
        name or athlete.name,
        plan,
        plan_start or athlete.plan_start,
        timezone or athlete.timezone,
        athlete.language if language is None else language,
    )
    run_guard(store, changed, "athlete")
    return changed


# -- pain and symptoms ---------------------------------------------------------------


def log_pain(
    store: Store, athlete: Athlete, score: int, moment: str, day: date
) -> tuple[int | None, int | None]:
    """Store a pain entry (validated: 0-10, a known moment, not in the future), replacing
    the one logged for that day and moment, and run the guard so its alerts go out now.
    Returns (the id of that day's run it belongs to, the score it replaced). Raises
    pain_scale.PainError, storing nothing."""
    run, replaced = store_pain(store, athlete, score, moment, day)
    run_guard(store, athlete, "pain")  # pain above 5, or a morning not settled, alerts now
    return run, replaced


def store_pain(
    store: Store, athlete: Athlete, score: int, moment: str, day: date
) -> tuple[int | None, int | None]:
    """:func:`log_pain` without the guard (the caller runs it: the command line answers
    first). Raises pain_scale.PainError, storing nothing."""
    pain_scale.check_entry(score, moment, day, today(athlete))
    replaced = pain_store.set_logged_pain(store, athlete.id, day, moment, score)
    run = pain_store.run_on(store, athlete.id, day) if moment in ("during", "after") else None
    return run, replaced


def remove_pain(store: Store, athlete: Athlete, moment: str, day: date) -> int | None:
    """Take back a logged pain entry; the guard runs again (a finding that no longer holds
    goes, its unsent alert is cancelled). Returns the score removed, None if none."""
    removed = pain_store.remove_logged_pain(store, athlete.id, day, moment)
    if removed is not None:
        run_guard(store, athlete, "pain")
    return removed


def log_symptom(store: Store, athlete: Athlete, kind: str, day: date, note: str = "") -> None:
    """Store a red-flag symptom and run the guard: its alert goes out now."""
    pain_scale.check_symptom(kind, day, today(athlete))
    pain_store.add_symptom(store, athlete.id, day, kind, note)
    run_guard(store, athlete, "symptom")


def add_condition(store: Store, athlete: Athlete, condition: str) -> None:
    if condition not in pain_scale.CONDITIONS:
        raise pain_scale.PainError(
            f"condition {condition!r} is not one of {', '.join(pain_scale.CONDITIONS)}"
        )
    pain_store.add_condition(store, athlete.id, condition)
    run_guard(store, athlete, "condition")


# -- alerts, and what the scheduler runs -----------------------------------------------


def deliver(store: Store) -> delivery.Delivered:
    """Send every alert, digest and summary that is due (retries, ends of quiet hours)."""
    return delivery.deliver_due(store, settings.current(), _now())


def recover_sends(store: Store) -> int:
    """At start-up: sends a dead worker had claimed go back to pending (at least once)."""
    return outbox.recover(store, _now())


def import_watched(store: Store, athlete: Athlete, folder: Path) -> ImportSummary:
    """Import the files in a watched folder that are new or changed, then run the guard
    (which alerts) if any run arrived; a file that failed reaches the runner as a notice. Raises folders.WatchError for a folder it cannot read."""
    total = ImportSummary()
    for seen in folders.changed(store, athlete.id, folders.scan(folder, time.time_ns())):
        total.add(import_from(store, athlete, str(seen.path)))
        with store.atomic():
            folders.remember(store, athlete.id, seen)
    if total.runs:
        run_guard(store, athlete, "folder")
    conf = settings.current()
    told = [
        delivery.queue_file_problem(store, conf, athlete, origin, reason, _now())
        for origin, reason in total.failed
    ]
    if any(told):
        delivery.deliver_due(store, conf, _now())
    return total


def scheduled_sync(store: Store, source: str) -> list[str]:
    """A connector's scheduled pull, then the guard for everyone who got new activities."""
    from loadguard.app.host import StoreHost  # the host calls back into this module

    touched = registry.sync(source)(StoreHost(store))
    for athlete_id in touched:
        run_guard(store, store.athlete(athlete_id), "sync")
    return touched


def _recipient(store: Store, key: str) -> Recipient:
    for r in delivery.recipients(store, settings.current()):
        if r.key == key:
            return r
    kind, _, name = key.partition(":")
    if kind == "athlete":
        raise StoreError(
            f"athlete {name!r} has no alert channel yet:"
            f" `loadguard alerts add-channel URL --athlete {name}` (or [alerts.{name}] in the"
            " settings)"
        )
    raise StoreError(f"no coach {name!r}: add [coaches.{name}] with its athletes to the settings")


def send_digest(store: Store, coach: str, as_of: date | None = None) -> delivery.Delivered:
    """A coach's digest of their athletes' new findings, if there are any, and send it.
    ``coach``: a settings coach's name, or ``u<id>`` for a coach with an account."""
    from loadguard.app import digests  # the digest looks at athletes through this module

    digests.queue(store, _recipient(store, f"coach:{coach}"), _now(), as_of)
    return deliver(store)


def send_weekly_summary(store: Store, athlete: Athlete) -> delivery.Delivered:
    report = check(store, athlete, today(athlete))
    delivery.queue_summary(store, _recipient(store, f"athlete:{athlete.id}"), report, _now())
    return deliver(store)


def send_test(store: Store, recipient: str) -> delivery.Delivered:
    """A test message to every channel of one recipient ('athlete:anna', 'coach:mette')."""
    who = _recipient(store, recipient)
    if not who.channels:
        raise StoreError(f"{recipient} has no channel: `loadguard alerts add-channel` first")
    delivery.queue_test(store, who, _now())
    return deliver(store)
