"""The scheduler behind `loadguard serve` and `loadguard daemon`: APScheduler 3.x with its
job store in the project's own database, so schedules survive a restart.

Jobs come from the settings and are reconciled at start: a job whose schedule is
unchanged keeps its stored next run time (a digest missed while the daemon was
down runs once after it starts: coalesced, never once per missed day); a changed
schedule is a new job id, so the old one is removed. Jobs (:mod:`loadguard.app.jobs`):
watch folders, deliver due alerts (retries, ends of quiet hours), coaches'
digests, runners' weekly summaries, and scheduled pulls from connectors.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from loadguard import settings
from loadguard.app import service
from loadguard.settings import Settings
from loadguard.sources import registry
from loadguard.store import schedule
from loadguard.store.db import Store
from loadguard.store.sql import Target, target

log = logging.getLogger("loadguard.daemon")
TABLE = "scheduler_jobs"


@dataclass(frozen=True)
class JobSpec:
    id: str  # names the schedule too: a changed schedule is a new job
    func: str
    args: tuple[str, ...]
    trigger: BaseTrigger


def plan_jobs(
    conf: Settings, db: Path | Target, zones: dict[str, str], syncs: list[str]
) -> list[JobSpec]:
    """The jobs these settings call for (``zones``: athlete id -> time zone)."""
    where = target(db).address
    s = conf.scheduler
    jobs = [
        JobSpec(
            f"deliver every {s.retry_s:g}s",
            "loadguard.app.jobs:deliver",
            (where,),
            IntervalTrigger(seconds=s.retry_s, timezone=UTC),
        )
    ]
    if s.guard_minutes:
        jobs.append(
            JobSpec(
                f"guard every {s.guard_minutes}min",
                "loadguard.app.jobs:guard",
                (where,),
                IntervalTrigger(minutes=s.guard_minutes, timezone=UTC),
            )
        )
    if conf.watch:
        jobs.append(
            JobSpec(
                f"watch every {s.watch_s:g}s",
                "loadguard.app.jobs:watch_folders",
                (where,),
                IntervalTrigger(seconds=s.watch_s, timezone=UTC),
            )
        )
    for name, coach in sorted(conf.coaches.items()):
        if coach.digest and coach.channels:
            hour, minute = coach.digest.split(":")
            jobs.append(
                JobSpec(
                    f"digest {name} {coach.digest} {coach.timezone}",
                    "loadguard.app.jobs:digest",
                    (where, name),
                    CronTrigger(hour=int(hour), minute=int(minute), timezone=coach.timezone),
                )
            )
    for athlete_id, mine in sorted(conf.alerts.items()):
        if mine.weekly_summary and athlete_id in zones:
            day, at = mine.weekly_summary.split()
            hour, minute = at.split(":")
            zone = zones[athlete_id]
            jobs.append(
                JobSpec(
                    f"summary {athlete_id} {mine.weekly_summary} {zone}",
                    "loadguard.app.jobs:weekly_summary",
                    (where, athlete_id),
                    CronTrigger(day_of_week=day, hour=int(hour), minute=int(minute), timezone=zone),
                )
            )
    if s.sync_minutes:
        for source in syncs:
            jobs.append(
                JobSpec(
                    f"sync {source} every {s.sync_minutes}min",
                    "loadguard.app.jobs:sync",
                    (where, source),
                    IntervalTrigger(minutes=s.sync_minutes, timezone=UTC),
                )
            )
    return jobs


class _Scheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler 3.x's loop runs one last round of due jobs after ``shutdown`` has
    stopped the executors: a job due at that moment is skipped and its next run time
    moved on (a digest lost at every stop at 07:30). Here that last round does nothing,
    so the job is still due when the daemon starts again."""

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        result: float | None = super()._process_jobs()
        return result


class _OncePerRun(ThreadPoolExecutor):  # type: ignore[misc]
    """Runs a job only for the scheduled times this process claims in the database, so
    several daemons sharing it (and their shared job store: the same run times) run each
    run of each job once. A run another daemon claimed is passed over here; one whose
    claimer died unfinished is taken over (:mod:`loadguard.store.schedule`)."""

    def __init__(self, db: Target, workers: int) -> None:
        super().__init__(workers)
        self.db = db

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        with Store(self.db) as store:
            mine = [t for t in run_times if schedule.claim_run(store, job.id, t)]

        def run() -> list[JobExecutionEvent]:
            if not mine:  # another daemon runs these: done here without running
                return []
            try:
                events: list[JobExecutionEvent] = run_job(
                    job, job._jobstore_alias, mine, self._logger.name
                )
                return events
            finally:
                with Store(self.db) as store:
                    for t in mine:
                        schedule.finish_run(store, job.id, t)

        def done(f: Future[list[JobExecutionEvent]]) -> None:
            exc = f.exception()
            if exc is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, f.result())

        self._pool.submit(run).add_done_callback(done)


class Daemon:
    """The scheduler for one database. ``start`` returns at once (background threads)."""

    def __init__(self, db: Path | Target, conf: Settings | None = None) -> None:
        self.db = target(db)
        self.conf = conf or settings.current()
        self.runs: Counter[str] = Counter()  # job id -> times run, since start
        self.scheduler = _Scheduler(
            jobstores={"default": SQLAlchemyJobStore(url=self.db.sqlalchemy_url, tablename=TABLE)},
            executors={"default": _OncePerRun(self.db, 4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self.scheduler.add_listener(self._ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _ran(self, event: JobExecutionEvent) -> None:
        self.runs[event.job_id] += 1
        if event.exception is not None:
            log.error("job %s failed: %s", event.job_id, event.exception)

    def start(self) -> list[JobSpec]:
        """Recover sends a dead process left claimed, reconcile the jobs, start."""
        with Store(self.db) as store:  # creates and migrates the database first
            recovered = service.recover_sends(store)
            zones = {a.id: a.timezone for a in store.athletes()}
        if recovered:
            log.warning(
                "%d alert sends left half-done by a previous run will be retried", recovered
            )
        specs = plan_jobs(self.conf, self.db, zones, registry.sync_names())
        self.scheduler.start(paused=True)
        wanted = {spec.id: spec.func for spec in specs}
        for job in self.scheduler.get_jobs():
            if wanted.get(job.id) != job.func_ref:  # gone, or its function moved
                job.remove()
        kept = {job.id for job in self.scheduler.get_jobs()}
        for spec in specs:
            if spec.id not in kept:
                self.scheduler.add_job(spec.func, spec.trigger, args=spec.args, id=spec.id)
        self.scheduler.resume()
        return specs

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
