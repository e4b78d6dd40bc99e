"""The Strava stand-in's injected faults, rate limits and request log give stravalib the
errors and headers Strava would; and the stand-in runs by hand (demo data, CLI process)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from stravalib import Client, exc
from stravalib.util import limiter

from loadguard_strava.http import RewritingSession
from loadguard_strava.standin import StravaStandIn, demo
from standin_helpers import (
    ATHLETE,
    START,
    client_for,
    errors_of,
    raw_get,
    status_of,
)

# the stand-in fixtures (strava, quiet_stravalib) live in conftest.py
pytestmark = pytest.mark.usefixtures("quiet_stravalib")


# Faults and rate limits


@pytest.mark.parametrize(
    ("kind", "error", "status"),
    [
        ("500", exc.Fault, 500),
        ("401", exc.AccessUnauthorized, 401),
        ("403_inactive", exc.ApplicationInactive, 403),
        ("429", exc.Fault, 429),
    ],
)
def test_each_fault_gives_the_exception_strava_would_and_is_consumed(
    strava: StravaStandIn, kind: str, error: type[exc.Fault], status: int
) -> None:
    client = client_for(strava, strava.grant_token(ATHLETE))
    strava.fail_next("/api/v3/athlete", kind, times=2)

    for _ in range(2):
        with pytest.raises(error) as failed:
            client.get_athlete()
        assert status_of(failed.value) == status
    assert client.get_athlete().id == ATHLETE
    if kind == "403_inactive":
        assert errors_of(failed.value) == [
            {"resource": "Application", "field": "Status", "code": "Inactive"}
        ]
    if kind == "429":
        assert failed.value.response is not None
        assert failed.value.response.headers["X-ReadRateLimit-Usage"].startswith("100,")


def test_a_fault_only_hits_requests_under_its_path_prefix(strava: StravaStandIn) -> None:
    activity_id = strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1500)
    client = client_for(strava, strava.grant_token(ATHLETE))
    strava.fail_next(f"/api/v3/activities/{activity_id}/streams", "500")

    assert client.get_activity(activity_id).id == activity_id
    with pytest.raises(exc.Fault):
        client.get_activity_streams(activity_id, types=["time"])
    assert set(client.get_activity_streams(activity_id, types=["time"])) == {"time"}


def test_a_timeout_fault_raises_requests_timeout_then_answers_again(
    strava: StravaStandIn,
) -> None:
    client = client_for(strava, strava.grant_token(ATHLETE), timeout=0.5)
    strava.fail_next("/api/v3/athlete", "timeout", seconds=2.0)

    with pytest.raises(requests.Timeout):
        client.get_athlete()
    assert client.get_athlete().id == ATHLETE


def test_a_slow_fault_still_answers(strava: StravaStandIn) -> None:
    client = client_for(strava, strava.grant_token(ATHLETE))
    strava.fail_next("/api/v3/athlete", "slow", seconds=0.2)

    assert client.get_athlete().id == ATHLETE
    assert [r.status for r in strava.requests if r.path == "/api/v3/athlete"] == [200]


def test_rate_limit_headers_count_reads_and_overall_usage(strava: StravaStandIn) -> None:
    activity_id = strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1500)
    token = strava.grant_token(ATHLETE, scope="read,activity:read_all,activity:write")
    client = client_for(strava, token)

    first = raw_get(strava, token["access_token"], "/athlete").headers
    second = raw_get(strava, token["access_token"], "/athlete").headers
    client.update_activity(activity_id, name="x")  # a PUT: overall only
    third = raw_get(strava, token["access_token"], "/athlete").headers

    assert first["X-RateLimit-Limit"] == "200,2000"
    assert first["X-ReadRateLimit-Limit"] == "100,1000"
    assert (first["X-RateLimit-Usage"], first["X-ReadRateLimit-Usage"]) == ("1,1", "1,1")
    assert (second["X-RateLimit-Usage"], second["X-ReadRateLimit-Usage"]) == ("2,2", "2,2")
    assert (third["X-RateLimit-Usage"], third["X-ReadRateLimit-Usage"]) == ("4,4", "3,3")
    rates = limiter.get_rates_from_response_headers(dict(third), "GET")
    assert rates == limiter.RequestRate(3, 3, 100, 1000)
    assert strava.usage == {"overall": (4, 4), "read": (3, 3)}


class _RaisingLimiter(limiter.RateLimiter):
    """stravalib's rule logic without its sleep: raise when the headers show exhaustion."""

    def __call__(self, args: dict[str, str], method: Any) -> None:
        rates = limiter.get_rates_from_response_headers(args, method)
        if rates is not None and rates.short_usage >= rates.short_limit:
            raise exc.RateLimitExceeded("15-minute limit", limit=rates.short_limit)


def test_an_exhausted_read_limit_gives_429_until_a_new_window(strava: StravaStandIn) -> None:
    activity_id = strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1500)
    tokens = strava.grant_token(ATHLETE, scope="read,activity:read_all,activity:write")
    plain = client_for(strava, tokens)
    limited = Client(
        tokens["access_token"],
        rate_limiter=_RaisingLimiter(),
        requests_session=RewritingSession(strava.base_url),
    )
    strava.exhaust_rate_limit("read")

    with pytest.raises(exc.Fault) as refused:
        plain.get_athlete()
    with pytest.raises(exc.RateLimitExceeded):
        limited.get_athlete()
    plain.update_activity(activity_id, name="writes still allowed")

    assert status_of(refused.value) == 429
    assert errors_of(refused.value) == [
        {"resource": "Application", "field": "rate limit", "code": "exceeded"}
    ]
    assert refused.value.response is not None
    rates = limiter.get_rates_from_response_headers(dict(refused.value.response.headers), "GET")
    assert rates is not None
    assert rates.short_usage >= rates.short_limit == 100
    sleeper = limiter.SleepingRateLimitRule()
    assert sleeper._get_wait_time(rates, 123, 45678) == 123  # stravalib's default would sleep
    strava.reset_rate_window()
    assert plain.get_athlete().id == ATHLETE


def test_an_exhausted_daily_limit_needs_a_new_day(strava: StravaStandIn) -> None:
    client = client_for(strava, strava.grant_token(ATHLETE))
    strava.exhaust_rate_limit("overall", daily=True)

    strava.reset_rate_window()
    with pytest.raises(exc.Fault) as refused:
        client.get_athlete()
    assert status_of(refused.value) == 429
    strava.reset_rate_window(daily=True)
    assert client.get_athlete().id == ATHLETE


def test_the_request_log_records_method_path_query_and_token(strava: StravaStandIn) -> None:
    tokens = strava.grant_token(ATHLETE)
    client = client_for(strava, tokens)
    list(client.get_activities(after=START))
    client.get_athlete()

    log = strava.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/api/v3/athlete/activities", 200),
        ("GET", "/api/v3/athlete", 200),
    ]
    assert log[0].query["after"] == str(int(START.timestamp()))
    assert log[0].headers["authorization"] == f"Bearer {tokens['access_token']}"
    assert log[0].time.tzinfo is not None
    assert strava.count() == 2
    assert strava.count("POST") == 0
    assert strava.count("*", "/api/v3/athlete/activities") == 1
    strava.clear_log()
    assert strava.requests == []


# Running it by hand


def test_the_demo_fills_an_athlete_with_runs_up_to_yesterday(strava: StravaStandIn) -> None:
    tokens = demo(strava, athlete_id=3003, activities=4)
    activities = list(client_for(strava, tokens).get_activities())

    assert len(activities) == 4
    assert activities[0].sport_type == "TrailRun"  # the newest one
    assert all(a.gear_id == "g300301" for a in activities)
    assert all(a.start_date is not None and a.start_date < datetime.now(UTC) for a in activities)


def test_the_module_prints_its_base_url_and_keeps_serving() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "loadguard_strava.standin", "--port", "0", "--activities", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        process.stdout.readline()
        token = process.stdout.readline().split("access_token=")[1].strip()
        answer = requests.get(
            f"{base_url}/api/v3/athlete/activities",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert base_url.startswith("http://127.0.0.1:")
        assert answer.status_code == 200
        assert len(answer.json()) == 3
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=5)
