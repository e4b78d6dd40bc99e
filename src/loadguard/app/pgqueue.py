"""The task queue at scale: Procrastinate, on the store's own PostgreSQL database.

Why Procrastinate (README, "Scaling out"): the jobs live in the PostgreSQL database
loadguard already needs, so there is no broker to run, back up or lose messages in;
a task is deferred with ``LISTEN/NOTIFY`` (workers wake at once); a worker killed with
SIGKILL leaves its job ``doing`` with a heartbeat that stops, and :func:`retry_stalled`
(a periodic task, deferred once per tick however many workers run) hands it to another.

Tasks (each safe to run twice, see :mod:`loadguard.app.tasks`): ``process_event``
(locked per provider athlete, so one runner's events run in order; the guard pass for
the athletes it touched runs in it) and ``deliver`` (deferred after it); periodic:
``retry_stalled`` and ``sweep_events`` (an event stored but never queued, the server
having stopped between the two, is queued by the sweep). Scheduled syncs, watched
folders, digests and summaries are the daemon's jobs, which each worker runs with its
claims (:mod:`loadguard.store.schedule`): each run once among them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from loadguard.store.db import Store
from loadguard.store.sql import Target

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger("loadguard.worker")

HEARTBEAT_S = 2.0  # a worker's heartbeat...
STALLED_S = 10.0  # ...missing this long: its jobs are run again elsewhere
SWEEP_AFTER = timedelta(seconds=30)
# Deferred jobs wake a worker at once (NOTIFY); one held back by another job's lock
# (the same runner's earlier event) is seen when a worker next looks: every POLL_S.
POLL_S = 0.5
_SCHEMA_LOCK = 4_242_018


def conninfo(where: Target) -> str:
    """libpq's form of the store's URL (Procrastinate talks to psycopg directly)."""
    from sqlalchemy.engine import make_url

    url = make_url(where.address).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def make_app(where: Target) -> procrastinate.App:
    """A Procrastinate app on the store's database, with loadguard's tasks."""
    import procrastinate

    from loadguard.app import jobs, service

    db = where.address
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(where)))
    again = procrastinate.RetryStrategy(max_attempts=5, wait=2)

    @app.task(name="process_event", retry=again)
    def process_event(event_id: int) -> None:
        with Store(db) as store:
            if service.process_event(store, event_id):
                _defer(app, "deliver", "deliver", None)

    @app.task(name="deliver")
    def deliver() -> None:
        jobs.deliver(db)

    @app.periodic(cron="* * * * * */5", periodic_id="retry_stalled")
    @app.task(name="retry_stalled", queueing_lock="retry_stalled", pass_context=True)
    async def retry_stalled(context: procrastinate.JobContext, timestamp: int) -> None:
        manager = context.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_S):
            log.warning("task %s #%s: its worker died; running it again", job.task_name, job.id)
            await manager.retry_job(job)
        await manager.prune_stalled_workers(seconds_since_heartbeat=STALLED_S)

    @app.periodic(cron="* * * * * */30", periodic_id="sweep_events")
    @app.task(name="sweep_events", queueing_lock="sweep_events")
    def sweep_events(timestamp: int) -> None:
        from loadguard.store.accounts import stale_events

        before = (datetime.now(UTC) - SWEEP_AFTER).isoformat(timespec="seconds")
        with Store(db) as store:
            for event_id in stale_events(store, before):
                args = {"event_id": event_id}
                _defer(app, "process_event", task_key("process_event", args), None, **args)

    return app


def task_key(task: str, args: dict[str, Any]) -> str:
    """A task's queueing lock: one copy of the same task with the same arguments waits."""
    return f"{task}:" + ",".join(f"{k}={v}" for k, v in sorted(args.items()))


def _defer(
    app: procrastinate.App, task: str, queueing_lock: str | None, lock: str | None, **args: Any
) -> None:
    from procrastinate.exceptions import AlreadyEnqueued

    with contextlib.suppress(AlreadyEnqueued):  # one waiting copy is enough
        app.configure_task(task, lock=lock, queueing_lock=queueing_lock).defer(**args)


def ensure_schema(where: Target, app: procrastinate.App) -> None:
    """Procrastinate's tables in the store's database, made once (under a lock)."""
    with Store(where) as store:
        if store.conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0]:
            return
        store.conn.execute("SELECT pg_advisory_lock(?)", (_SCHEMA_LOCK,))
        try:
            made = store.conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0]
            if not made:
                app.open()
                try:
                    app.schema_manager.apply_schema()
                finally:
                    app.close()
        finally:
            store.conn.execute("SELECT pg_advisory_unlock(?)", (_SCHEMA_LOCK,))


class ProcrastinateQueue:
    """:class:`loadguard.app.tasks.TaskQueue` on Procrastinate: deferring only (a web
    server, the CLI); ``loadguard worker`` runs the tasks."""

    def __init__(self, where: Target) -> None:
        self.app = make_app(where)
        ensure_schema(where, self.app)
        self.app.open()

    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None:
        _defer(self.app, task, task_key(task, args), lock, **args)

    def close(self) -> None:
        self.app.close()


def run_worker(
    where: Target,
    concurrency: int,
    name: str | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run tasks until SIGINT/SIGTERM, or until ``stop`` is set when given (a worker
    inside `loadguard serve`). A SIGKILL leaves its tasks to the others. When the
    database goes away (a restart, a failover) the worker connects again: what it was
    running is retried, by it or another worker."""
    app = make_app(where)
    ensure_schema(where, app)
    options: dict[str, Any] = {
        "concurrency": concurrency,
        "name": name,
        "update_heartbeat_interval": HEARTBEAT_S,
        "stalled_worker_timeout": STALLED_S,
        "fetch_job_polling_interval": POLL_S,
        "delete_jobs": "successful",
        "install_signal_handlers": False,  # ours: a stop, not a lost connection, ends it
    }
    asyncio.run(_work(app, options, stop))


async def _work(
    app: procrastinate.App, options: dict[str, Any], stopped: threading.Event | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if stopped is None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    else:
        watch = asyncio.create_task(asyncio.to_thread(stopped.wait))
        watch.add_done_callback(lambda _: stop.set())
    wait = 0.5
    while not stop.is_set():
        began = time.monotonic()
        reason = "it stopped"
        try:
            async with app.open_async():
                worker = asyncio.create_task(app.run_worker_async(**options))
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stop.is_set():  # graceful: running tasks finish first
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
                    return
                stopping.cancel()
                worker.result()
        except Exception as exc:  # the database went away: connect again
            reason = f"{type(exc).__name__}: {str(exc).strip() or 'database error'}"
        wait = 0.5 if time.monotonic() - began > 30 else min(wait * 2, 15.0)
        log.warning("worker lost the database (%s); connecting again in %.1f s", reason, wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
