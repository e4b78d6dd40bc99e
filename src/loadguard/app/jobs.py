"""What the scheduler runs, by reference (``loadguard.app.jobs:watch_folders``), so the
persistent job store keeps only a name and the database path. Thin: each job opens
its own store (jobs run on worker threads) and calls :mod:`loadguard.app.service`.
A job never raises: a problem is logged (once, until it changes) and the next run
tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from loadguard import settings
from loadguard.app import digests, guard_pass, service
from loadguard.store.db import Store

log = logging.getLogger("loadguard.daemon")
_reported: dict[str, str] = {}


def _problem(where: str, what: str | None) -> None:
    """Log a job's problem once (a missing folder must not fill the log every second)."""
    if what is None:
        if _reported.pop(where, None) is not None:
            log.info("%s: fine again", where)
    elif _reported.get(where) != what:
        _reported[where] = what
        log.warning("%s: %s", where, what)


@contextmanager
def _logged(where: str) -> Iterator[None]:
    """Run one piece of a job; a problem is logged (once) instead of raised."""
    try:
        yield
    except Exception as exc:  # a job never raises: the next run tries again
        _problem(where, str(exc) or type(exc).__name__)
    else:
        _problem(where, None)


def watch_folders(db: str) -> None:
    with Store(db) as store:
        for athlete_id, folder in sorted(settings.current().watch.items()):
            where = f"watch {athlete_id}"
            with _logged(where):
                athlete = store.athlete(athlete_id)
                summary = service.import_watched(store, athlete, folder.expanduser())
                if summary.new or summary.failed:
                    log.info("%s: %d new, %d failed", where, summary.new, len(summary.failed))
                for origin, reason in summary.failed:
                    log.warning("%s: %s: %s", where, origin, reason)


def deliver(db: str) -> None:
    with Store(db) as store, _logged("alerts"):
        # sends a dead worker left claimed go back to pending (another machine's after
        # outbox.STALE_CLAIM): any number of workers deliver, none waits for a restart
        service.recover_sends(store)
        digests.web_digests_due(store, datetime.now(UTC))
        done = service.deliver(store)
        if done.sent or done.failed:
            log.info("alerts: %d sent, %d to retry", done.sent, done.failed)


def guard(db: str) -> None:
    """The guard over every athlete in one pass (app/guard_pass.py)."""
    with Store(db) as store, _logged("guard"):
        done = guard_pass.guard_all(store)
        if done.kept or done.new_alerts:
            log.info("guard: %d changed, %d new alerts", done.kept, done.new_alerts)


def digest(db: str, coach: str) -> None:
    with Store(db) as store, _logged(f"digest {coach}"):
        service.send_digest(store, coach)


def weekly_summary(db: str, athlete_id: str) -> None:
    with Store(db) as store, _logged(f"summary {athlete_id}"):
        service.send_weekly_summary(store, store.athlete(athlete_id))


def sync(db: str, source: str) -> None:
    with Store(db) as store, _logged(f"sync {source}"):
        touched = service.scheduled_sync(store, source)
        if touched:
            log.info("sync %s: new activities for %s", source, ", ".join(touched))
