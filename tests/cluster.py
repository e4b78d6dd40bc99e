"""The scaled set-up for the fault tests: a PostgreSQL store, the Strava stand-in, the
web server (webhooks in, tasks deferred to Procrastinate) and `loadguard worker`
processes, each a real process that can be killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadguard.cli.main import with_plugins
from loadguard.sources import registry
from loadguard.store.db import Store
from loadguard.store.sql import dispose_engines
from loadguard.web.server import GuardServer
from loadguard_strava.standin import StravaStandIn
from receivers import eventually
from stravaworld import STRAVA_ATHLETE, World, make_world

EXE = Path(sys.executable).with_name("loadguard")


@dataclass
class Cluster:
    world: World
    server: GuardServer
    folder: Path
    workers: list[subprocess.Popen[str]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def db(self) -> str:
        return self.world.db

    def start_worker(self, *, scheduler: bool = False) -> subprocess.Popen[str]:
        """A `loadguard worker` process, logging every task to its own file."""
        log = self.folder / f"worker-{len(self.workers) + 1}.log"
        args = [str(EXE), "--db", self.db, "worker", "--concurrency", "2", "--verbose"]
        with log.open("w") as out:
            proc = subprocess.Popen(
                [*args, "--scheduler" if scheduler else "--no-scheduler"],
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                env=os.environ.copy(),
            )
        self.workers.append(proc)
        self.logs.append(log)
        if not until(
            lambda: "running; Ctrl-C stops" in log.read_text() or proc.poll() is not None, 60
        ):
            raise AssertionError("the worker did not start within a minute")
        assert proc.poll() is None, log.read_text()
        return proc

    def describe(self) -> str:
        """The state of things, for a failed assertion's message."""
        parts = [
            f"events: {self.query('SELECT status, COUNT(*) FROM events GROUP BY 1')}",
            f"sends: {self.query('SELECT status, attempts, claimed_by, last_error FROM sends')}",
            f"jobs: {self.query('SELECT task_name, status, COUNT(*) FROM procrastinate_jobs GROUP BY 1, 2')}",
        ]
        for log in self.logs:
            lines = [x for x in log.read_text().splitlines() if "stravalib" not in x]
            parts.append(f"{log.name}:\n" + "\n".join(lines[-25:]))
        return "\n".join(parts)

    def tasks_done_by_each(self, task: str) -> list[int]:
        """How many ``task`` jobs each worker finished (from its log)."""
        return [
            sum(
                1
                for line in log.read_text().splitlines()
                if f"{task}[" in line and "Success" in line
            )
            for log in self.logs
        ]

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with Store(self.db) as store:
            return [tuple(r) for r in store.conn.execute(sql, params).fetchall()]

    def count(self, sql: str) -> int:
        return int(str(self.query(sql)[0][0]))

    def event(self, activity_id: int) -> dict[str, object]:
        """Strava's create event for an activity (delivered again, it is the same event)."""
        return self.world.standin.event("activity", activity_id, "create", STRAVA_ATHLETE)

    def deliver(self, event: dict[str, object]) -> int:
        status, _answered = self.world.standin.deliver(event, timeout=10.0)
        return status

    def push(self, activity_id: int) -> int:
        return self.deliver(self.event(activity_id))

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.server.stop()
        self.world.store.close()
        dispose_engines()


def start_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, standin: StravaStandIn, db: str
) -> Cluster:
    world = make_world(tmp_path, monkeypatch, standin, db)
    week_3 = datetime.now(UTC).date() - timedelta(days=16)  # today is in plan week 3
    world.athlete = world.store.add_athlete("anna", "Anna", "heel-fat-pad", week_3, "UTC")
    world.connect()
    monkeypatch.setenv("LOADGUARD_DB", db)
    server = GuardServer(world.db, port=0, work=False).start()  # the workers work
    registry.webhook.cache_clear()
    result = CliRunner().invoke(
        with_plugins(), ["--db", db, "strava", "subscribe", f"{server.url}/webhooks/strava"]
    )
    assert result.exit_code == 0, result.output
    return Cluster(world, server, tmp_path)


def until(check: Callable[[], bool], timeout: float = 60.0) -> bool:
    """A cluster's pace: a minute unless told otherwise."""
    return eventually(check, timeout)
