"""Strava end to end against the stand-in: connect, sync, shoes, faults, API economy."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from loadguard.cli.main import with_plugins
from loadguard.store import frames
from loadguard_strava.api import Budget, RateLimited, ReconnectNeeded
from loadguard_strava.connect import connect
from loadguard_strava.standin import StravaStandIn
from loadguard_strava.sync import sync_all, sync_athlete, sync_gear
from loadguard_strava.tokens import TokenBox
from stravaworld import STRAVA_ATHLETE, World, standin_world

BEFORE_PLAN = datetime(2025, 6, 1, 6, 30, tzinfo=UTC)  # the plan starts 2026-03-02


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with standin_world(tmp_path, monkeypatch) as w:
        yield w


def lg(world: World, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(with_plugins(), ["--db", str(world.db), *args])
    return result.exit_code, result.output


def reads(standin: StravaStandIn, prefix: str = "/api/v3") -> int:
    return standin.count("GET", prefix)


def test_connect_through_the_cli_with_the_stand_in_playing_strava(world: World) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    exe = Path(sys.executable).with_name("loadguard")
    proc = subprocess.Popen(
        [str(exe), "--db", str(world.db), "strava", "connect", "--no-browser", "--timeout", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        if line.startswith("http"):
            url = line.strip()
            break
    assert url.startswith(world.standin.base_url + "/oauth/authorize")
    assert "activity%3Aread_all" in url or "activity:read_all" in url
    world.browser()(url)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"Strava athlete {STRAVA_ATHLETE}" in out
    account = world.account()
    assert account.status == "active"
    assert account.secret is not None
    tokens = TokenBox(world.config).open(account.secret)
    assert tokens.access_token.encode() not in account.secret  # encrypted at rest
    code, text = lg(world, "strava", "status")
    assert code == 0
    assert "anna" in text
    assert "active" in text


def test_a_forged_redirect_is_refused_and_nothing_is_stored(world: World) -> None:
    def forged(url: str) -> None:
        redirect = world.standin.approve_url(url, STRAVA_ATHLETE)
        requests.get(redirect.replace("state=", "state=x"), timeout=5)

    with pytest.raises(Exception, match="state does not match"):
        connect(world.host, world.athlete, world.config, world.box, forged, timeout=10)
    assert world.store.conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 0


def test_a_denied_authorisation_says_so(world: World) -> None:
    def deny(url: str) -> None:
        requests.get(world.standin.deny_url(url), timeout=5)

    with pytest.raises(Exception, match="access_denied"):
        connect(world.host, world.athlete, world.config, world.box, deny, timeout=10)


def test_a_backfill_of_2000_activities_costs_the_list_pages_and_one_streams_call_per_run(
    world: World,
) -> None:
    n = 2000
    kinds = ["Run", "Run", "TrailRun", "Ride"]
    for i in range(n):
        world.standin.add_activity(
            STRAVA_ATHLETE,
            start=BEFORE_PLAN - timedelta(days=n - i),
            distance_m=5000.0 + i % 7 * 500,
            moving_s=1800,
            sport_type=kinds[i % 4],
            with_gps=False,
        )
    runs = sum(1 for i in range(n) if kinds[i % 4] != "Ride")
    world.connect()
    world.standin.clear_log()
    # 1,500 streams calls are more than Strava's read budget (100 a quarter hour, 1,000 a
    # day): the sync stops at the limit and the next one, in a new window, resumes.
    stored_total, rounds = 0, 0
    while True:
        rounds += 1
        code, out = lg(world, "strava", "sync")
        assert code == 0, out
        stored_total += int(out.split(" new")[0].rsplit(" ", 1)[-1])
        if "up to date" in out:
            break
        assert "limit" in out
        world.new_rate_window(daily="today" in out)
    assert stored_total == n
    assert rounds > 10
    list_pages = reads(world.standin, "/api/v3/athlete/activities")
    # Strava gives no total: the list ends on the first short page, so a multiple of 200
    # costs one empty page more.
    assert list_pages <= math.ceil(n / 200) + 1
    assert reads(world.standin, "/api/v3/activities/") == runs  # streams only, no detail
    assert world.store.conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0] == n

    world.standin.clear_log()
    world.standin.add_activities(
        STRAVA_ATHLETE, 3, first=BEFORE_PLAN + timedelta(days=1), with_gps=False
    )
    code, out = lg(world, "strava", "sync")
    assert "3 new" in out
    assert reads(world.standin, "/api/v3/athlete/activities") == 1
    assert reads(world.standin, "/api/v3/activities/") == 3


def test_a_run_inside_the_soft_ground_weeks_gets_its_detail_for_the_description(
    world: World,
) -> None:
    world.standin.add_activity(
        STRAVA_ATHLETE,
        start=datetime(2026, 3, 4, 6, 30, tzinfo=UTC),  # plan week 1
        distance_m=2000,
        moving_s=1080,
        description="park loop #grass",
    )
    world.connect()
    api = world.api()
    result = sync_athlete(world.host, world.athlete, api)
    assert result.stored == 1
    assert reads(world.standin, "/api/v3/activities/") == 2  # detail + streams
    frame = frames.activities_frame(world.store, ["anna"])
    assert frame["description"].to_list() == ["park loop #grass"]


def a_10_km_run_on_the_first_shoe(world: World) -> str:
    """Connect, and put a 10 km run on Strava in the athlete's first shoe: its gear id."""
    world.connect()
    gear: str = world.api().get("/athlete")["shoes"][0]["id"]
    world.standin.add_activity(
        STRAVA_ATHLETE, start=BEFORE_PLAN, distance_m=10000, moving_s=3000, gear_id=gear
    )
    return gear


def test_shoes_come_from_the_gear_with_retired_and_nicknames_and_their_km_agree(
    world: World,
) -> None:
    gear = a_10_km_run_on_the_first_shoe(world)
    sync_athlete(world.host, world.athlete, world.api())
    sync_gear(world.host, world.athlete, world.api())
    shoes_json = world.api().get("/athlete")["shoes"]  # Strava's totals include the run
    retired = [s for s in shoes_json if s.get("retired")]
    assert retired, "the stand-in's athlete has a retired shoe"
    shoes = {s.gear_id: s for s in world.store.shoes("anna")}
    assert set(shoes) == {s["id"] for s in shoes_json}
    assert shoes[retired[0]["id"]].retired_on is not None
    first = next(s for s in shoes_json if s["id"] == gear)
    assert shoes[gear].name == (first.get("nickname") or first["name"])
    total_km = shoes[gear].initial_km + 10.0
    assert total_km == pytest.approx(first["distance"] / 1000.0, abs=0.01)


def test_the_first_sync_counts_a_shoes_new_runs_once_not_in_its_starting_km_too(
    world: World,
) -> None:
    gear = a_10_km_run_on_the_first_shoe(world)
    sync_all(world.host, world.config, world.box)
    strava_km = next(s for s in world.api().get("/athlete")["shoes"] if s["id"] == gear)
    shoe = next(s for s in world.store.shoes("anna") if s.gear_id == gear)
    ours = shoe.initial_km + world.host.gear_distance_m("anna", gear) / 1000
    assert ours == pytest.approx(strava_km["distance"] / 1000, abs=0.01)


def test_a_token_near_expiry_is_refreshed_first_and_the_new_pair_is_stored(world: World) -> None:
    world.connect()
    before = world.account().secret
    world.standin.expire_tokens(STRAVA_ATHLETE)
    world.standin.add_activity(STRAVA_ATHLETE, start=BEFORE_PLAN, distance_m=5000, moving_s=1500)
    world.standin.clear_log()
    result = sync_athlete(world.host, world.athlete, world.api())
    assert result.stored == 1
    assert world.standin.count("POST", "/oauth/token") == 1
    assert world.account().secret != before


def test_rate_limit_stops_the_sync_and_the_next_run_resumes_without_loss_or_duplicates(
    world: World,
) -> None:
    world.standin.add_activities(STRAVA_ATHLETE, 30, first=BEFORE_PLAN, with_gps=False)
    world.connect()
    world.standin.fail_next("/api/v3/activities/", "429")
    first = sync_all(world.host, world.config, world.box)["anna"]
    assert first.stopped is not None
    assert "429" in first.stopped or "limit" in first.stopped
    assert first.stored < 30
    # the store remembers the spent budget: a sync in the same quarter hour asks nothing
    same = sync_all(world.host, world.config, world.box)["anna"]
    assert same.stored == 0
    assert same.stopped is not None
    world.new_rate_window()
    second = sync_all(world.host, world.config, world.box)["anna"]
    assert second.stopped is None
    count = world.store.conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0]
    assert count == 30
    assert first.stored + second.stored == 30


def test_a_nearly_spent_budget_stops_before_asking(world: World) -> None:
    world.standin.add_activities(STRAVA_ATHLETE, 5, first=BEFORE_PLAN, with_gps=False)
    world.connect()
    world.standin.exhaust_rate_limit("read")
    with pytest.raises(RateLimited):
        world.api().get("/athlete")
    world.standin.clear_log()
    budget = Budget()
    budget.record({"X-ReadRateLimit-Usage": "99,500", "X-ReadRateLimit-Limit": "100,1000"})
    with pytest.raises(RateLimited, match="quarter hour"):
        world.api(budget).get("/athlete")
    assert reads(world.standin) == 0


@pytest.mark.parametrize("kind", ["500", "slow", "timeout"])
def test_server_errors_and_slow_answers_are_retried_and_nothing_is_lost(
    world: World, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOADGUARD_STRAVA_API", world.standin.base_url)
    world.standin.add_activities(STRAVA_ATHLETE, 4, first=BEFORE_PLAN, with_gps=False)
    world.connect()
    api = world.api()
    api.session.timeout = 1.0
    api.config = api.config.__class__(**{**api.config.__dict__, "retry_waits": (0.05, 0.1, 0.2)})
    world.standin.fail_next("/api/v3/activities/", kind, seconds=1.5)
    result = sync_athlete(world.host, world.athlete, api)
    assert result.stopped is None
    assert result.stored == 4
    assert world.store.conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0] == 4


def test_a_revoked_token_asks_to_reconnect_and_marks_the_account(world: World) -> None:
    world.standin.add_activities(STRAVA_ATHLETE, 2, first=BEFORE_PLAN, with_gps=False)
    world.connect()
    world.standin.revoke(STRAVA_ATHLETE)
    code, out = lg(world, "strava", "sync")
    assert code == 1
    assert "loadguard strava connect" in out
    assert world.account().status == "reconnect"


def test_an_inactive_application_gets_a_clear_message(world: World) -> None:
    world.connect()
    world.standin.fail_next("/api/v3", "403_inactive", times=5)
    with pytest.raises(ReconnectNeeded, match="application is inactive"):
        world.api().get("/athlete")


def test_missing_app_credentials_name_the_variables(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRAVA_CLIENT_SECRET")
    code, out = lg(world, "strava", "sync")
    assert code == 1
    assert "STRAVA_CLIENT_SECRET" in out


def test_a_key_file_others_can_read_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LOADGUARD_TOKEN_KEY")
    key_file = tmp_path / "token.key"
    monkeypatch.setattr("loadguard.keys.platformdirs.user_config_dir", lambda name: str(tmp_path))
    TokenBox(world.config)  # creates the key file, 0600
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    key_file.chmod(0o644)
    code, out = lg(world, "strava", "status")
    assert code == 1
    assert "chmod 600" in out


def test_a_token_refused_once_is_refreshed_and_the_request_goes_through(world: World) -> None:
    world.standin.add_activities(STRAVA_ATHLETE, 2, first=BEFORE_PLAN, with_gps=False)
    world.connect()
    world.standin.fail_next("/api/v3/athlete/activities", "401")
    world.standin.clear_log()
    result = sync_athlete(world.host, world.athlete, world.api())
    assert result.stopped is None
    assert result.stored == 2
    assert world.standin.count("POST", "/oauth/token") == 1
    assert world.account().status == "active"


def test_athletes_share_the_budget_fairly_and_resume_from_their_cursors(world: World) -> None:
    second = world.store.add_athlete(
        "ben", "Ben", "heel-fat-pad", world.athlete.plan_start, "Europe/Copenhagen"
    )
    world.standin.add_athlete(2002)
    for strava_id in (STRAVA_ATHLETE, 2002):
        world.standin.add_activities(
            strava_id, 120, first=BEFORE_PLAN - timedelta(days=300), with_gps=False
        )
    world.connect()
    connect(world.host, second, world.config, world.box, world.browser(2002), timeout=10)
    # 240 runs need 240 streams reads; Strava allows 100 reads a quarter hour
    first = sync_all(world.host, world.config, world.box)
    assert first["anna"].stored > 0
    assert first["ben"].stored > 0  # both got a turn before the budget ran out
    assert all(r.stopped and "limit" in r.stopped for r in first.values())
    totals = {"anna": first["anna"].stored, "ben": first["ben"].stored}
    for _ in range(5):
        world.new_rate_window()
        again = sync_all(world.host, world.config, world.box)
        for name, r in again.items():
            totals[name] += r.stored
        if all(r.done for r in again.values()):
            break
    assert totals == {"anna": 120, "ben": 120}
    count = world.store.conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0]
    assert count == 240
