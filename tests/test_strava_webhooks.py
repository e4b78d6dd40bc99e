"""Strava webhooks end to end: handshake, create/update/delete/deauth, duplicates, economy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from loadguard.app import service
from loadguard.cli.main import with_plugins
from loadguard.store import frames
from loadguard.store.findings import latest_run
from loadguard.web.server import GuardServer
from loadguard_strava.standin import StravaStandIn
from stravaworld import STRAVA_ATHLETE, VERIFY, World, make_world, wait_for

DAY_IN_WEEK_3 = datetime(2026, 3, 18, 6, 30, tzinfo=UTC)  # plan started 2026-03-02


@pytest.fixture
def hooked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str
) -> Iterator[tuple[World, GuardServer]]:
    with StravaStandIn("1234", "s3cret") as standin:
        world = make_world(tmp_path, monkeypatch, standin, db)
        world.connect()
        server = GuardServer(world.db, port=0).start()
        result = CliRunner().invoke(
            with_plugins(),
            ["--db", str(world.db), "strava", "subscribe", f"{server.url}/webhooks/strava"],
        )
        assert result.exit_code == 0, result.output
        assert standin.subscription_id is not None
        standin.clear_log()
        yield world, server
        server.stop()
        world.store.close()


def counts(world: World) -> tuple[int, int]:
    q = world.store.conn.execute
    return (
        q("SELECT COUNT(*) FROM activities WHERE source = 'strava'").fetchone()[0],
        q("SELECT COUNT(*) FROM guard_runs").fetchone()[0],
    )


def pushed_run(world: World) -> int:
    """A 3 km run in week 3 that Strava pushes, once it is stored and checked; its id."""
    activity_id = world.standin.add_activity(
        STRAVA_ATHLETE, start=DAY_IN_WEEK_3, distance_m=3000, moving_s=1200, deliver=True
    )
    wait_for(lambda: counts(world) == (1, 1))
    return activity_id


def done_events(world: World) -> int:
    q = "SELECT COUNT(*) FROM events WHERE status IN ('done', 'failed')"
    return int(world.store.conn.execute(q).fetchone()[0])


def test_the_handshake_echoes_the_challenge_only_for_the_right_verify_token(
    hooked: tuple[World, GuardServer],
) -> None:
    _, server = hooked
    url = f"{server.url}/webhooks/strava"
    good = {"hub.mode": "subscribe", "hub.challenge": "abc123", "hub.verify_token": VERIFY}
    answer = requests.get(url, params=good, timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"hub.challenge": "abc123"}
    bad = requests.get(url, params={**good, "hub.verify_token": "guess"}, timeout=5)
    assert bad.status_code == 403


def test_a_new_run_costs_two_reads_and_the_guard_runs_for_it(
    hooked: tuple[World, GuardServer],
) -> None:
    world, _ = hooked
    world.standin.add_activity(
        STRAVA_ATHLETE,
        start=DAY_IN_WEEK_3,
        distance_m=6000,
        moving_s=2400,
        name="Long one on the road",
        deliver=True,
    )
    delivery = world.standin.wait_for_deliveries(1)[0]
    status, seconds = delivery.status, delivery.seconds
    assert status == 200
    assert seconds < 2.0  # answered before the work
    wait_for(lambda: counts(world) == (1, 1))
    assert world.standin.count("GET", "/api/v3") == 2  # the activity and its streams
    found = latest_run(world.store, "anna")
    assert found is not None
    run, findings = found
    assert run.trigger == "webhook"
    rules = {f.rule for f in findings}
    assert "session_duration" in rules  # 40 minutes in week 3


def test_the_same_event_twice_is_processed_once(hooked: tuple[World, GuardServer]) -> None:
    world, _ = hooked
    activity_id = world.standin.add_activity(
        STRAVA_ATHLETE, start=DAY_IN_WEEK_3, distance_m=3000, moving_s=1200
    )
    event = world.standin.event("activity", activity_id, "create", STRAVA_ATHLETE, event_time=1)
    assert world.standin.deliver(event)[0] == 200
    assert world.standin.deliver(event)[0] == 200
    wait_for(lambda: done_events(world) == 1)
    wait_for(lambda: counts(world)[1] == 1)
    assert world.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1
    assert world.standin.count("GET", "/api/v3") == 2


def test_an_update_rereads_the_activity_and_a_type_change_moves_it_out_of_running(
    hooked: tuple[World, GuardServer],
) -> None:
    world, _ = hooked
    activity_id = pushed_run(world)
    world.standin.clear_log()
    world.standin.update_activity(activity_id, name="Park loop #grass", deliver=True)
    wait_for(lambda: counts(world)[1] == 2)
    assert world.standin.count("GET", "/api/v3") == 1  # the activity; streams kept
    frame = frames.activities_frame(world.store, ["anna"])
    assert frame["name"].to_list() == ["Park loop #grass"]

    world.standin.update_activity(activity_id, sport_type="Ride", deliver=True)
    wait_for(lambda: counts(world)[1] == 3)
    frame = frames.activities_frame(world.store, ["anna"])
    assert frame["sport"].to_list() == ["cycling"]


def test_a_deleted_activity_leaves_every_metric(hooked: tuple[World, GuardServer]) -> None:
    world, _ = hooked
    activity_id = pushed_run(world)
    world.standin.delete_activity(activity_id, deliver=True)
    wait_for(lambda: counts(world) == (0, 2))
    report = service.check(world.store, world.athlete, DAY_IN_WEEK_3.date())
    assert sum(w["run_km"] for w in report.weeks) == 0


def test_a_forged_delete_for_an_activity_strava_still_has_removes_nothing(
    hooked: tuple[World, GuardServer],
) -> None:
    world, _ = hooked
    activity_id = pushed_run(world)
    world.standin.clear_log()
    forged = world.standin.event("activity", activity_id, "delete", STRAVA_ATHLETE)
    world.standin.deliver(forged)  # anyone can POST this: Strava does not sign events
    wait_for(lambda: done_events(world) >= 2)
    assert counts(world)[0] == 1  # the run is still there
    assert world.standin.count("GET", f"/api/v3/activities/{activity_id}") == 1  # the cost


def test_an_event_for_another_subscription_is_answered_and_dropped_at_no_cost(
    hooked: tuple[World, GuardServer],
) -> None:
    world, _ = hooked
    activity_id = pushed_run(world)
    world.standin.clear_log()
    forged = world.standin.event("activity", activity_id, "delete", STRAVA_ATHLETE)
    ours = forged["subscription_id"]
    assert ours == world.standin.subscription_id  # `strava subscribe` stored it
    assert world.standin.deliver({**forged, "subscription_id": ours + 1})[0] == 200
    wait_for(lambda: done_events(world) >= 2)
    assert counts(world)[0] == 1
    assert world.standin.count("GET", "/api/v3") == 0  # not even a read


def test_a_forged_deauthorisation_keeps_the_tokens_and_the_data(
    hooked: tuple[World, GuardServer],
) -> None:
    world, _ = hooked
    pushed_run(world)
    forged = world.standin.event(
        "athlete", STRAVA_ATHLETE, "update", STRAVA_ATHLETE, {"authorized": "false"}
    )
    world.standin.deliver(forged)  # the athlete did not revoke anything
    wait_for(lambda: done_events(world) >= 2)
    account = world.account()
    assert (account.status, account.secret is not None) == ("active", True)
    assert counts(world)[0] == 1


def test_deauthorisation_deletes_tokens_and_strava_data_and_stops_syncing(
    hooked: tuple[World, GuardServer],
) -> None:
    world, _ = hooked
    pushed_run(world)
    world.standin.deauthorize(STRAVA_ATHLETE, deliver=True)
    wait_for(lambda: world.account().status == "deauthorized")
    account = world.account()
    assert account.secret is None
    assert counts(world)[0] == 0
    assert [s for s in world.store.shoes("anna") if s.gear_id] == []
    world.standin.clear_log()
    later = world.standin.add_activity(
        STRAVA_ATHLETE, start=DAY_IN_WEEK_3 + timedelta(days=1), distance_m=3000, moving_s=1200
    )
    # Strava pushes nothing more for this athlete; an event still in flight is ignored
    world.standin.deliver(world.standin.event("activity", later, "create", STRAVA_ATHLETE))
    wait_for(lambda: done_events(world) >= 3)
    assert world.standin.count("GET", "/api/v3") == 0
    assert counts(world)[0] == 0


def test_a_malformed_event_gets_400_and_an_unknown_athlete_is_ignored(
    hooked: tuple[World, GuardServer],
) -> None:
    world, server = hooked
    url = f"{server.url}/webhooks/strava"
    bad = requests.post(url, data=b"{not json", timeout=5)
    assert bad.status_code == 400
    assert "not JSON" in bad.json()["error"]
    missing = requests.post(url, json={"object_type": "activity"}, timeout=5)
    assert missing.status_code == 400
    stranger = world.standin.event("activity", 5, "create", owner_id=999_999)
    assert world.standin.deliver(stranger)[0] == 200
    wait_for(lambda: done_events(world) == 1)
    assert world.standin.count("GET", "/api/v3") == 0


def test_an_idle_athlete_costs_no_requests_once_webhooks_are_on(
    hooked: tuple[World, GuardServer],
) -> None:
    world, server = hooked
    wait_for(lambda: server.wake is not None)
    assert service.process_events(world.store) == 0
    assert world.standin.count("*", "/") == 0


def test_a_run_from_strava_and_from_its_fit_file_counts_once(
    hooked: tuple[World, GuardServer], tmp_path: Path
) -> None:
    world, _ = hooked
    pushed_run(world)
    strava_run = frames.activities_frame(world.store, ["anna"]).row(0, named=True)
    from loadguard.contract import Activity, SampleWriter
    from loadguard.sources import registry

    writer = registry.connector("fit")
    assert isinstance(writer, SampleWriter)
    fit_twin = Activity(
        source="watch",
        source_id="1",
        sport="running",
        sub_sport="generic",
        start_utc=DAY_IN_WEEK_3 + timedelta(seconds=2),
        distance_m=strava_run["distance_m"] * 1.004,
        timer_s=1200,
        elapsed_s=1210,
    )
    (path,) = writer.write_samples([fit_twin], tmp_path / "watch")
    summary = service.import_from(world.store, world.athlete, str(path))
    assert summary.duplicates == 1
    assert frames.activities_frame(world.store, ["anna"]).height == 1
