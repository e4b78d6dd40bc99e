"""The scheduler as users run it: `loadguard daemon` as a real process watching a real folder,
alerting a real HTTP receiver; restarts; schedules kept in the project's database."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fitdata import path_of
from loadguard import settings
from loadguard.app import jobs, service
from loadguard.app.daemon import Daemon
from loadguard.store.db import Store
from loadguard.store.sql import target
from loadguard_strava.standin import StravaStandIn
from receivers import Receiver, drop_fit, eventually, paved_run, receiver, recent_start
from stravaworld import STRAVA_ATHLETE, make_world

EXE = Path(sys.executable).with_name("loadguard")


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture
def world(tmp_path: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch, db: str) -> Path:
    """A store (a file, or PostgreSQL) with anna in plan week 2 today, her watch folder and
    her alert channel."""
    zone = midday_zone()
    with Store(db) as store:
        today = datetime.now(ZoneInfo(zone)).date()
        store.add_athlete("anna", "Anna", "heel-fat-pad", today - timedelta(days=8), zone)
    (tmp_path / "watch").mkdir()
    conf = tmp_path / "settings.toml"
    conf.write_text(
        f'[watch]\nanna = "{tmp_path / "watch"}"\n'
        f'[alerts.anna]\nchannels = ["json://127.0.0.1:{hook.port}/anna"]\n'
        "[scheduler]\nwatch_s = 0.2\nretry_s = 0.5\n"
    )
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    monkeypatch.setenv("LOADGUARD_DB", str(db))
    settings.current.cache_clear()
    return tmp_path


def midday_zone() -> str:
    """A time zone where it is about noon now: runs from the last few hours fall on one
    local day whenever the suite runs."""
    hours = 12 - datetime.now(UTC).hour
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"


def start_daemon() -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [str(EXE), "daemon"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "daemon running" in line:
            return proc
    raise AssertionError(f"the daemon did not start: {proc.stderr.read() if proc.stderr else ''}")


def the_db() -> str:
    """The store the world's daemons use."""
    return os.environ["LOADGUARD_DB"]


def query(db: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with Store(db) as store:
        return [tuple(r) for r in store.conn.execute(sql, params).fetchall()]


def sends(db: str) -> list[tuple[object, ...]]:
    return query(db, "SELECT status, attempts FROM sends ORDER BY id")


def runs_in(db: str) -> int:
    return int(str(query(db, "SELECT COUNT(*) FROM activities")[0][0]))


def test_a_fit_file_dropped_into_the_watched_folder_alerts_with_no_command(
    world: Path, hook: Receiver
) -> None:
    proc = start_daemon()
    try:
        drop_fit(paved_run(recent_start()), world / "watch", world / "staging")
        (got,) = hook.wait_for(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert got["path"] == "/anna"
    assert got["body"]["title"] == "loadguard - Anna: hard ground too early (warning)"
    assert "100 % of the running on paved ground; this stage allows 0 %" in got["body"]["message"]
    assert "Source (plan):" in got["body"]["message"]
    assert proc.returncode == 0


def test_a_damaged_watch_file_reaches_the_runner_once_and_a_settings_file_does_not(
    world: Path, hook: Receiver
) -> None:
    proc = start_daemon()
    try:
        for name in ("activity-unexpected-eof.fit", "Settings.fit"):
            shutil.copy(path_of(name), world / name)
            os.replace(world / name, world / "watch" / name)
        (got,) = hook.wait_for(1)
        time.sleep(1.0)  # several more scans of the folder
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert got["path"] == "/anna"
    title, message = got["body"]["title"], got["body"]["message"]
    assert title == "loadguard - Anna: a file from your watch could not be read"
    assert message.startswith("activity-unexpected-eof.fit in your watch folder could not be")
    assert "loadguard import --retry" in message
    assert "Settings" not in title + message
    assert len(hook.received) == 1  # not again on the next scans


@pytest.mark.parametrize("moment", ["waiting to retry", "in the middle of a send"])
def test_a_daemon_killed_mid_way_neither_loses_nor_doubles_an_alert(
    world: Path, hook: Receiver, moment: str
) -> None:
    db = the_db()
    hook.down = True
    hook.stall = 0.0 if moment == "waiting to retry" else 30.0
    first = start_daemon()
    drop_fit(paved_run(recent_start()), world / "watch", world / "staging")
    state = ("pending", 1) if moment == "waiting to retry" else ("sending", 0)
    assert eventually(lambda: sends(db) == [state])
    first.kill()  # no clean shutdown
    first.wait(10)
    hook.down, hook.stall = False, 0.0
    second = start_daemon()
    try:
        assert len(hook.wait_for(1)) == 1
        assert eventually(lambda: sends(db)[0][0] == "sent")
        drop_fit(paved_run(recent_start(2), minutes=15), world / "watch", world / "staging")
        assert eventually(lambda: runs_in(db) == 2)
        # a few delivery rounds: nothing more may arrive
        assert not eventually(lambda: len(hook.received) > 1, timeout=1.5)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert len(hook.received) == 1  # the same day's second run: the same subject, no new alert
    assert len(sends(db)) == 1
    jobs = sorted(str(r[0]) for r in query(db, "SELECT id FROM scheduler_jobs"))
    assert jobs == ["deliver every 0.5s", "guard every 60min", "watch every 0.2s"]


def test_a_digest_missed_while_the_daemon_was_down_runs_once_not_once_per_day(
    tmp_path: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lg.sqlite"
    conf = tmp_path / "settings.toml"
    conf.write_text(
        '[coaches.mette]\nathletes = ["anna"]\ndigest = "07:30"\ntimezone = "Europe/Copenhagen"\n'
        f'channels = ["json://127.0.0.1:{hook.port}/coach"]\n'
    )
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    with Store(db) as store:
        anna = store.add_athlete("anna", "Anna", "heel-fat-pad", date(2026, 3, 2), "UTC")
        service.log_pain(store, anna, 8, "rest", service.today(anna))  # a digest tells of now
    job = "digest mette 07:30 Europe/Copenhagen"
    before = Daemon(db)
    before.start()
    before.scheduler.pause()
    before.scheduler.modify_job(job, next_run_time=datetime.now(UTC) - timedelta(days=3))
    time.sleep(0.3)  # the scheduler thread has seen the change (paused: it runs nothing)
    before.stop()  # down for three digests
    after = Daemon(db)
    try:
        after.start()
        assert eventually(lambda: after.runs[job] >= 1)
        assert eventually(lambda: len(hook.received) == 1)
        next_run = after.scheduler.get_job(job).next_run_time
    finally:
        after.stop()
    assert after.runs[job] == 1
    assert next_run > datetime.now(UTC)
    assert hook.received[0]["body"]["title"] == "loadguard: 1 new finding for your athletes"


def test_a_changed_schedule_replaces_its_job_and_an_unchanged_one_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lg.sqlite"
    conf = tmp_path / "settings.toml"
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    conf.write_text('[coaches.mette]\ndigest = "07:30"\nchannels = ["json://127.0.0.1:9/x"]\n')
    settings.current.cache_clear()
    first = Daemon(db)
    first.start()
    kept = first.scheduler.get_job("deliver every 30s").next_run_time
    first.stop()
    conf.write_text('[coaches.mette]\ndigest = "06:00"\nchannels = ["json://127.0.0.1:9/x"]\n')
    settings.current.cache_clear()
    second = Daemon(db)
    try:
        second.start()
        ids = sorted(j.id for j in second.scheduler.get_jobs())
        again = second.scheduler.get_job("deliver every 30s").next_run_time
    finally:
        second.stop()
    assert ids == ["deliver every 30s", "digest mette 06:00 UTC", "guard every 60min"]
    assert again == kept


def test_a_job_stored_before_the_house_moved_is_replaced_by_its_new_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database from before `loadguard.jobs` became `loadguard.app.jobs` keeps working."""
    db = tmp_path / "lg.sqlite"
    conf = tmp_path / "settings.toml"
    conf.write_text("[scheduler]\nguard_minutes = 0\n")  # the delivery job alone
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    first = Daemon(db)
    first.start()
    first.stop()
    with sqlite3.connect(db) as conn:  # as an older loadguard stored it
        (blob,) = conn.execute("SELECT job_state FROM scheduler_jobs").fetchone()
        state = pickle.loads(blob)
        assert state["func"] == "loadguard.app.jobs:deliver"
        state["func"] = "loadguard.jobs:deliver"
        conn.execute("UPDATE scheduler_jobs SET job_state = ?", (pickle.dumps(state),))
    second = Daemon(db)
    try:
        second.start()
        jobs = {j.id: j.func_ref for j in second.scheduler.get_jobs()}
    finally:
        second.stop()
    assert jobs == {"deliver every 30s": "loadguard.app.jobs:deliver"}


def test_a_watched_folder_that_is_missing_is_reported_and_the_daemon_keeps_going(
    world: Path, hook: Receiver
) -> None:
    (world / "watch").rmdir()
    proc = start_daemon()
    logged: list[str] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: logged.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        assert eventually(lambda: any("watched folder" in line for line in logged))
        (world / "watch").mkdir()
        drop_fit(paved_run(recent_start()), world / "watch", world / "staging")
        assert len(hook.wait_for(1)) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    reader.join(5)
    (line,) = [line for line in logged if "watched folder" in line]  # once, not every scan
    assert f"watch anna: watched folder {world / 'watch'} does not exist" in line


def test_a_scheduled_strava_pull_alerts_a_runner_whose_runs_come_without_webhooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strava: StravaStandIn, hook: Receiver
) -> None:
    zone = midday_zone()
    w = make_world(tmp_path, monkeypatch, strava)
    strava.add_athlete(STRAVA_ATHLETE, tz=zone)
    today = datetime.now(ZoneInfo(zone)).date()
    w.store.add_athlete("anna", "Anna", "heel-fat-pad", today - timedelta(days=8), zone)
    w.connect()
    conf = tmp_path / "settings.toml"
    conf.write_text(f'[alerts.anna]\nchannels = ["json://127.0.0.1:{hook.port}/anna"]\n')
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    strava.add_activity(
        STRAVA_ATHLETE, start=recent_start(), distance_m=3000, moving_s=1080, name="Easy #asphalt"
    )
    jobs.sync(str(w.db), "strava")  # what the daemon runs every scheduler.sync_minutes
    titles = sorted(m["body"]["title"] for m in hook.wait_for(2))
    assert titles == [  # asphalt in week 2, and 18 minutes without a walk break
        "loadguard - Anna: hard ground too early (warning)",
        "loadguard - Anna: ran without walk breaks (critical)",
    ]
    jobs.sync(str(w.db), "strava")  # nothing new: nothing more
    assert len(hook.received) == len(titles)


def test_the_weekly_summary_job_sends_the_runner_last_weeks_figures_once(
    world: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = world / "settings.toml"
    conf.write_text(
        conf.read_text().replace("[alerts.anna]\n", '[alerts.anna]\nweekly_summary = "mon 08:00"\n')
    )
    settings.current.cache_clear()
    db = the_db()
    with Store(db) as store:
        store.add_shoe("anna", "Rehab shoe", initial_km=40, heel_stack_mm=30, drop_mm=10)
    jobs.weekly_summary(db, "anna")
    jobs.weekly_summary(db, "anna")  # a restart running it again the same week: once
    (got,) = hook.wait_for(1)
    assert got["body"]["title"] == "loadguard: Anna's week 1"
    assert "Shoes: Rehab shoe 40 km (ok)." in got["body"]["message"]
    daemon = Daemon(target(db))
    try:
        specs = {s.id for s in daemon.start() if s.id.startswith("summary")}
    finally:
        daemon.stop()
    with Store(db) as store:
        zone = store.athlete("anna").timezone
    assert specs == {f"summary anna mon 08:00 {zone}"}  # in the runner's own time zone


def test_two_daemons_on_one_database_run_each_scheduled_run_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str
) -> None:
    """APScheduler's job stores must not be shared between schedulers (each would run
    every job): here each run of each job is claimed in the database first."""
    conf = tmp_path / "settings.toml"
    conf.write_text("[scheduler]\nretry_s = 0.3\n")
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    first, second = Daemon(target(db)), Daemon(target(db))
    first.start()
    second.start()
    try:
        time.sleep(3.5)
    finally:
        first.stop()
        second.stop()
    job = "deliver every 0.3s"
    claims = query(
        db, "SELECT run_at, claimed_by, finished_at FROM job_claims WHERE job_id = ?", (job,)
    )
    ran = first.runs[job] + second.runs[job]
    assert ran >= 3  # it ran, every 0.3 s (slower on a busy machine)
    assert ran == len(claims)  # each scheduled run by one daemon only: one claim each
    assert len({at for at, _by, _done in claims}) == len(claims)
    assert all(done is not None for _at, _by, done in claims)


def test_a_run_claimed_by_a_process_that_died_is_taken_over(db: str) -> None:
    from loadguard.store import schedule

    at = datetime(2026, 12, 4, 7, 30, tzinfo=UTC)
    with Store(db) as store:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        with store.atomic():
            store.conn.execute(
                "INSERT INTO job_claims (job_id, run_at, claimed_by, claimed_at)"
                " VALUES ('digest mette', ?, ?, ?)",
                (at.isoformat(), f"{os.uname().nodename}:{dead}", at.isoformat()),
            )
        assert schedule.claim_run(store, "digest mette", at)  # its claimer is gone
        assert not schedule.claim_run(store, "digest mette", at)  # now it is ours, alive
        schedule.finish_run(store, "digest mette", at)
        assert not schedule.claim_run(store, "digest mette", at)  # and done
