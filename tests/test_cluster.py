"""The scaled set-up under faults: PostgreSQL, the web server and `loadguard worker`
processes sharing Procrastinate's queue. Events arrive in bursts, workers are killed
with SIGKILL mid-task, the database restarts; nothing is lost and nothing is doubled."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cluster import Cluster, start_cluster, until
from loadguard.cli.main import app
from loadguard_strava.standin import StravaStandIn
from pgserver import PostgresServer
from receivers import Receiver, receiver
from stravaworld import STRAVA_ATHLETE

LIMITS = (10**6, 10**7)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture
def cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer, hook: Receiver
) -> Iterator[Cluster]:
    conf = tmp_path / "settings.toml"
    conf.write_text(
        f'[alerts.anna]\nchannels = ["json://127.0.0.1:{hook.port}/anna"]\n'
        "[scheduler]\nretry_s = 0.5\n"
    )
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    with StravaStandIn("1234", "s3cret", rate_limit=LIMITS, read_rate_limit=LIMITS) as standin:
        running = start_cluster(tmp_path, monkeypatch, standin, postgres.new_database())
        try:
            yield running
        finally:
            running.stop()


def long_run(cluster: Cluster, hours: int = 0) -> int:
    """A 12 km continuous run in week 3 (run/walk only, and far past the longest run),
    ``hours`` before this morning: the guard alerts about it."""
    return cluster.world.standin.add_activity(
        STRAVA_ATHLETE,
        start=this_morning() - timedelta(hours=hours),
        distance_m=12000,
        moving_s=4200,
    )


def this_morning() -> datetime:
    return datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=1)


def test_200_webhook_events_in_a_burst_with_two_workers_store_every_activity_once(
    cluster: Cluster,
) -> None:
    cluster.start_worker()
    cluster.start_worker()
    events = [cluster.event(long_run(cluster, hours=6 * i)) for i in range(200)]
    with ThreadPoolExecutor(32) as pool:  # Strava delivers 20 of them twice
        answers = list(pool.map(cluster.deliver, [*events, *events[:20]]))
    assert answers == [200] * 220
    done = "SELECT COUNT(*) FROM events WHERE status = 'done'"
    assert until(lambda: cluster.count(done) == 200, timeout=240), cluster.describe()
    stored = cluster.query(
        "SELECT COUNT(*), COUNT(DISTINCT source_id) FROM activities WHERE source = 'strava'"
    )
    assert stored == [(200, 200)]
    assert cluster.count("SELECT COUNT(*) FROM raw_records") == 200
    assert cluster.count("SELECT COUNT(*) FROM events") == 200
    # each worker's log has a line per task it finished (written just after the event)
    assert until(lambda: sum(cluster.tasks_done_by_each("process_event")) == 200), (
        cluster.describe()
    )
    assert min(cluster.tasks_done_by_each("process_event")) > 0  # both took a share


def test_a_worker_killed_mid_import_loses_no_event_and_another_worker_finishes_it(
    cluster: Cluster, hook: Receiver
) -> None:
    first = cluster.start_worker()
    activity = long_run(cluster)
    # the activity's fetch hangs: the first worker is in the middle of the import
    cluster.world.standin.fail_next(f"/api/v3/activities/{activity}", "slow", seconds=30)
    assert cluster.push(activity) == 200
    assert until(lambda: cluster.count("SELECT COUNT(*) FROM procrastinate_jobs"
                                       " WHERE status = 'doing'") == 1)  # fmt: skip
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    cluster.start_worker()
    assert until(lambda: cluster.count("SELECT COUNT(*) FROM events WHERE status = 'done'") == 1)
    assert cluster.count("SELECT COUNT(*) FROM activities WHERE source = 'strava'") == 1
    # the long run in week 3 breaks the plan twice: run/walk only, and far too long
    assert until(lambda: cluster.count("SELECT COUNT(*) FROM alerts") == 2)
    alerts = 2
    assert until(
        lambda: cluster.count("SELECT COUNT(*) FROM sends WHERE status = 'sent'") == alerts
    )
    assert not until(lambda: len(hook.received) > alerts, timeout=3)  # each alert once
    assert len(hook.received) == alerts


def test_a_worker_killed_mid_send_doubles_no_alert_and_another_sends_it(
    cluster: Cluster, hook: Receiver
) -> None:
    hook.down, hook.stall = True, 30.0  # the channel hangs on the first send
    first = cluster.start_worker(scheduler=True)
    assert cluster.push(long_run(cluster)) == 200
    sending = "SELECT COUNT(*) FROM sends WHERE status = 'sending'"
    assert until(lambda: cluster.count(sending) >= 1), cluster.describe()
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    hook.down, hook.stall = False, 0.0
    cluster.start_worker(scheduler=True)
    alerts = cluster.count("SELECT COUNT(*) FROM alerts")
    assert alerts == 2
    assert until(
        lambda: cluster.count("SELECT COUNT(*) FROM sends WHERE status = 'sent'") == alerts
    )
    assert not until(lambda: len(hook.received) > alerts, timeout=3)
    # the one cut off mid-send is sent again (at least once), and no alert twice
    titles = [str(got["body"]["message"]) for got in hook.received]
    assert len(titles) == alerts
    assert len(set(titles)) == alerts


def test_workers_reconnect_after_postgresql_restarts_under_load_and_nothing_is_lost(
    cluster: Cluster, postgres: PostgresServer
) -> None:
    cluster.start_worker()
    cluster.start_worker()
    ids = [long_run(cluster, hours=6 * i) for i in range(60)]
    with ThreadPoolExecutor(8) as pool:
        before = list(pool.map(cluster.push, ids[:30]))
    postgres.restart()
    with ThreadPoolExecutor(8) as pool:
        after = list(pool.map(cluster.push, ids[30:]))
    assert before == [200] * 30
    # Strava sends an event again when it got no 200: what failed during the restart
    retried = [i for i, status in zip(ids[30:], after, strict=True) if status != 200]
    for activity in retried:
        assert until(lambda a=activity: cluster.push(a) == 200, timeout=30)
    assert until(lambda: cluster.count("SELECT COUNT(*) FROM events WHERE status = 'done'") == 60,
                 timeout=120)  # fmt: skip
    assert cluster.count("SELECT COUNT(DISTINCT source_id) FROM activities") == 60
    assert cluster.count("SELECT COUNT(*) FROM activities") == 60


def test_a_worker_on_a_sqlite_store_is_refused_with_the_reason(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "lg.sqlite"), "worker"])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "is a SQLite file: its work runs inside `loadguard serve`" in said
