"""The Strava stand-in: its JSON validates against stravalib's models, and an unmodified
stravalib Client (through RewritingSession) gets the answers and errors Strava would give."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
import stravalib
from stravalib import Client, exc, model, strava_model
from stravalib.util import limiter

from loadguard_strava.http import RewritingSession
from loadguard_strava.standin import StravaStandIn, demo

ATHLETE = 1001
OTHER = 2002
FROZEN_NOW = 1_790_000_000.0  # fixed rate-limit clock: no window rolls over mid-test
START = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
RESOURCES = Path(stravalib.__file__).parent / "tests" / "resources"
SWAGGER = json.loads((RESOURCES / "strava_swagger.json").read_text())
# Fields live Strava sends that neither stravalib's models nor the Swagger examples list.
UNDOCUMENTED = {
    "heartrate_opt_out",
    "display_hide_heartrate_option",
    "stats_visibility",
    "available_zones",
    "bio",
    "blocked",
    "can_follow",
    "postable_clubs_count",
    "nickname",
    "retired",
    "converted_distance",
}


@pytest.fixture(autouse=True)
def quiet_stravalib(monkeypatch: pytest.MonkeyPatch) -> None:
    """No automatic refresh (as in production without env credentials) and no env warnings."""
    monkeypatch.delenv("STRAVA_CLIENT_ID", raising=False)
    monkeypatch.delenv("STRAVA_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("SILENCE_TOKEN_WARNINGS", "true")


@pytest.fixture
def strava() -> Iterator[StravaStandIn]:
    with StravaStandIn(rate_clock=lambda: FROZEN_NOW) as standin:
        standin.add_athlete(ATHLETE)
        yield standin


def client_for(
    strava: StravaStandIn, tokens: dict[str, Any] | None = None, *, timeout: float = 5.0
) -> Client:
    return Client(
        access_token=None if tokens is None else tokens["access_token"],
        rate_limit_requests=False,
        requests_session=RewritingSession(strava.base_url, timeout=timeout),
    )


def raw_get(strava: StravaStandIn, token: str, path: str, **params: Any) -> requests.Response:
    return requests.get(
        f"{strava.base_url}/api/v3{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def swagger_example(path: str) -> Any:
    return SWAGGER["paths"][path]["get"]["responses"]["200"]["examples"]["application/json"]


def known_fields(*models: type[Any], examples: tuple[dict[str, Any], ...] = ()) -> set[str]:
    names = set(UNDOCUMENTED)
    for m in models:
        names |= {f.alias or name for name, f in m.model_fields.items()}
    for example in examples:
        names |= set(example)
    return names


def status_of(failure: exc.Fault) -> int:
    assert failure.response is not None
    return int(failure.response.status_code)


def errors_of(failure: exc.Fault) -> list[dict[str, str]]:
    assert failure.response is not None
    errors: list[dict[str, str]] = failure.response.json()["errors"]
    return errors


# JSON shapes, validated against stravalib's models


def test_summary_activities_validate_against_the_generated_and_the_extended_models(
    strava: StravaStandIn,
) -> None:
    for sport in ("Run", "TrailRun", "VirtualRun", "Walk", "Hike", "Ride", "Swim", "Pickleball"):
        strava.add_activity(
            ATHLETE, start=START, distance_m=6000, moving_s=2000, sport_type=sport, name=sport
        )
    strava.add_activity(
        ATHLETE, start=START, distance_m=0, moving_s=1800, sport_type="Yoga", with_gps=False
    )
    token = strava.grant_token(ATHLETE)["access_token"]
    page = raw_get(strava, token, "/athlete/activities", per_page=50).json()

    assert len(page) == 9
    allowed = known_fields(
        model.SummaryActivity, examples=tuple(swagger_example("/athlete/activities"))
    )
    for raw in page:
        # the generated enums have no "Workout" fallback: every value must be a real one
        assert strava_model.SportType.model_validate(raw["sport_type"]).root == raw["sport_type"]
        strava_model.ActivityType.model_validate(raw["type"])
        parsed = model.SummaryActivity.model_validate(raw)
        if raw["start_latlng"]:
            strava_model.SummaryActivity.model_validate(raw)
        else:  # Strava's quirk without GPS: [], which only stravalib's own model accepts
            assert raw["start_latlng"] == raw["end_latlng"] == []
            assert parsed.start_latlng is None
        assert set(raw) <= allowed, set(raw) - allowed
        assert raw["resource_state"] == 2
        assert "description" not in raw
    legacy = {raw["sport_type"]: raw["type"] for raw in page}
    assert legacy["TrailRun"] == "Run"
    assert legacy["Pickleball"] == "Workout"
    assert legacy["VirtualRun"] == "VirtualRun"


def test_detailed_activity_validates_and_carries_description_gear_and_calories(
    strava: StravaStandIn,
) -> None:
    activity_id = strava.add_activity(
        ATHLETE,
        start=START,
        distance_m=8000,
        moving_s=2700,
        description="Easy, heel fine",
        gear_id="g100101",
    )
    token = strava.grant_token(ATHLETE)["access_token"]
    raw = raw_get(strava, token, f"/activities/{activity_id}").json()

    detailed = model.DetailedActivity.model_validate(raw)
    strava_model.DetailedActivity.model_validate(raw)
    allowed = known_fields(
        model.DetailedActivity,
        examples=(swagger_example("/activities/{id}"),),
    )
    assert set(raw) <= allowed, set(raw) - allowed
    assert raw["resource_state"] == 3
    assert detailed.description == "Easy, heel fine"
    assert detailed.gear is not None
    assert detailed.gear.id == "g100101"
    assert raw["gear"]["nickname"] == "Daily trainer"
    assert detailed.calories is not None
    assert detailed.calories > 0
    assert detailed.device_name
    assert [split.split for split in detailed.splits_metric or []] == list(range(1, 9))
    assert raw["map"]["polyline"]
    assert raw["map"]["summary_polyline"]


def test_datetimes_are_written_as_strava_writes_them(strava: StravaStandIn) -> None:
    winter = strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1600)
    summer = strava.add_activity(
        ATHLETE, start=datetime(2026, 7, 1, 5, 0, tzinfo=UTC), distance_m=5000, moving_s=1600
    )
    winter_json, summer_json = strava.activity(winter), strava.activity(summer)

    assert winter_json["start_date"] == "2026-03-02T06:30:00Z"
    assert winter_json["start_date_local"] == "2026-03-02T07:30:00Z"  # local wall clock
    assert winter_json["utc_offset"] == 3600.0
    assert summer_json["start_date_local"] == "2026-07-01T07:00:00Z"
    assert summer_json["utc_offset"] == 7200.0
    assert summer_json["timezone"] == "(GMT+01:00) Europe/Copenhagen"
    parsed = model.DetailedActivity.model_validate(summer_json)
    assert parsed.start_date_local is not None
    assert parsed.start_date_local.isoformat() == "2026-07-01T07:00:00"  # stravalib: naive
    assert parsed.timezone is not None
    assert parsed.timezone.timezone() is not None


def test_athlete_json_validates_and_keeps_the_shoe_fields_stravalib_drops(
    strava: StravaStandIn,
) -> None:
    token = strava.grant_token(ATHLETE)["access_token"]
    raw = raw_get(strava, token, "/athlete").json()

    athlete = model.DetailedAthlete.model_validate(raw)
    allowed = known_fields(model.DetailedAthlete, examples=(swagger_example("/athlete"),))
    assert set(raw) <= allowed, set(raw) - allowed
    assert athlete.id == ATHLETE
    assert athlete.athlete_type == "runner"
    assert raw["bikes"] == []
    shoes = {shoe["id"]: shoe for shoe in raw["shoes"]}
    assert set(shoes) == {"g100101", "g100102"}
    assert shoes["g100102"]["retired"] is True
    assert shoes["g100101"]["retired"] is False
    assert shoes["g100101"]["nickname"] == "Daily trainer"
    assert shoes["g100101"]["converted_distance"] == round(shoes["g100101"]["distance"] / 1000, 1)
    for shoe in raw["shoes"]:
        strava_model.SummaryGear.model_validate(shoe)


def test_gear_json_validates_and_its_distance_includes_the_activities(
    strava: StravaStandIn,
) -> None:
    token = strava.grant_token(ATHLETE)["access_token"]
    before = raw_get(strava, token, "/gear/g100101").json()
    strava.add_activity(ATHLETE, start=START, distance_m=10000, moving_s=3300, gear_id="g100101")
    after = raw_get(strava, token, "/gear/g100101").json()

    gear = strava_model.DetailedGear.model_validate(after)
    assert set(after) <= known_fields(strava_model.DetailedGear), after
    assert gear.brand_name == "Nike"
    assert after["resource_state"] == 3
    assert after["distance"] == pytest.approx(before["distance"] + 10000)
    missing = raw_get(strava, token, "/gear/g999")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["resource"] == "Gear"


def test_stream_json_validates_as_a_stream_set(strava: StravaStandIn) -> None:
    activity_id = strava.add_activity(ATHLETE, start=START, distance_m=6000, moving_s=2000)
    token = strava.grant_token(ATHLETE)["access_token"]
    keys = "time,latlng,distance,velocity_smooth,cadence,heartrate,altitude"
    raw = raw_get(
        strava, token, f"/activities/{activity_id}/streams", keys=keys, key_by_type="true"
    ).json()

    streams = strava_model.StreamSet.model_validate(raw)
    assert set(raw) == set(keys.split(","))
    assert streams.cadence is not None
    assert streams.cadence.data is not None
    assert streams.latlng is not None
    assert streams.latlng.data is not None
    for key, stream in raw.items():
        assert stream["type"] == key
        assert stream["series_type"] == "distance"
        assert stream["resolution"] == "high"
        assert stream["original_size"] == len(stream["data"]) == len(raw["time"]["data"])
        model.Stream.model_validate(stream)
    cadence = streams.cadence.data
    assert 78 <= sum(cadence) / len(cadence) <= 88  # strides per minute, as Strava has runs
    assert raw["distance"]["data"][-1] == pytest.approx(6000, abs=0.2)
    assert all(len(point.root) == 2 for point in streams.latlng.data)


# OAuth, end to end through stravalib


class _FormReader(HTMLParser):
    """What a browser would submit for the first form, given the clicked button."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.buttons: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        elif tag == "input" and (a.get("type") == "hidden" or "checked" in a):
            self.fields[a["name"]] = a.get("value", "on")
        elif tag == "button":
            self.buttons.append((a["name"], a["value"]))


def submit_authorize_page(
    strava: StravaStandIn, authorize_url: str, button: str
) -> requests.Response:
    page = requests.get(RewritingSession(strava.base_url).rewrite(authorize_url), timeout=5)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    form = _FormReader()
    form.feed(page.text)
    assert ("action", button) in form.buttons
    return requests.post(
        f"{strava.base_url}{form.action}",
        data={**form.fields, "action": button},
        allow_redirects=False,
        timeout=5,
    )


def test_the_authorize_page_redirects_with_a_code_that_stravalib_exchanges_once(
    strava: StravaStandIn,
) -> None:
    client = client_for(strava)
    url = client.authorization_url(
        client_id=1234,
        redirect_uri="http://127.0.0.1:9/callback",
        scope=["read", "activity:read_all", "profile:read_all"],
        state="xyz",
    )
    answer = submit_authorize_page(strava, url, "authorize")

    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    query = dict(parse_qsl(location.query))
    assert (location.netloc, location.path) == ("127.0.0.1:9", "/callback")
    assert query["state"] == "xyz"
    assert query["scope"] == "read,profile:read_all,activity:read_all"
    answer_: Any = client.exchange_code_for_token(
        client_id=1234, client_secret="s3cret", code=query["code"], return_athlete=True
    )
    tokens, athlete = answer_
    assert isinstance(athlete, model.SummaryAthlete)
    assert (athlete.id, athlete.firstname) == (ATHLETE, "Anna")
    assert tokens["expires_at"] > datetime.now(UTC).timestamp()
    assert client.get_athlete().id == ATHLETE
    with pytest.raises(exc.Fault) as reused:
        client.exchange_code_for_token(client_id=1234, client_secret="s3cret", code=query["code"])
    assert status_of(reused.value) == 400
    assert errors_of(reused.value)[0]["resource"] == "AuthorizationCode"


def test_cancel_on_the_authorize_page_redirects_with_access_denied(strava: StravaStandIn) -> None:
    url = client_for(strava).authorization_url(
        client_id=1234, redirect_uri="http://localhost:8000/cb", state="s1"
    )
    answer = submit_authorize_page(strava, url, "cancel")

    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query == {"state": ["s1"], "error": ["access_denied"]}
    assert strava.deny_url(url) == answer.headers["Location"]


def test_an_unknown_client_id_gets_a_400_authorize_page(strava: StravaStandIn) -> None:
    url = client_for(strava).authorization_url(client_id=999, redirect_uri="http://localhost/cb")
    answer = requests.get(RewritingSession(strava.base_url).rewrite(url), timeout=5)

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "client_id"
    with pytest.raises(ValueError, match="client_id"):
        strava.approve_url(url, ATHLETE)


def test_without_profile_read_all_the_athlete_is_a_summary_without_shoes(
    strava: StravaStandIn,
) -> None:
    client = client_for(strava)
    url = client.authorization_url(client_id=1234, redirect_uri="http://localhost/cb")
    code = dict(parse_qsl(urlsplit(strava.approve_url(url, ATHLETE)).query))["code"]
    raw = requests.post(
        f"{strava.base_url}/oauth/token",
        data={"client_id": 1234, "client_secret": "s3cret", "code": code},
        timeout=5,
    )
    assert raw.status_code == 400  # no grant_type
    raw = requests.post(
        f"{strava.base_url}/oauth/token",
        data={
            "client_id": 1234,
            "client_secret": "s3cret",
            "code": code,
            "grant_type": "authorization_code",
        },
        timeout=5,
    )
    body = raw.json()
    assert set(body) == {
        "token_type",
        "access_token",
        "expires_at",
        "expires_in",
        "refresh_token",
        "athlete",
    }
    assert body["token_type"] == "Bearer"
    summary_fields = known_fields(model.DetailedAthlete, examples=(swagger_example("/athlete"),))
    assert set(body["athlete"]) <= summary_fields
    assert model.SummaryAthlete.model_validate(body["athlete"]).resource_state == 2
    client.access_token = body["access_token"]

    athlete = client.get_athlete()
    assert athlete.resource_state == 2
    assert athlete.shoes is None
    assert len(list(client.get_activities())) == 0  # activity:read granted: allowed, empty


def test_refresh_rotates_both_tokens_and_rejects_the_old_refresh_token(
    strava: StravaStandIn,
) -> None:
    first = strava.grant_token(ATHLETE)
    client = client_for(strava, first)
    second = client.refresh_access_token(1234, "s3cret", first["refresh_token"])

    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get_athlete().id == ATHLETE  # the client now uses the new access token
    with pytest.raises(exc.Fault) as old:
        client.refresh_access_token(1234, "s3cret", first["refresh_token"])
    assert status_of(old.value) == 400
    assert errors_of(old.value) == [
        {"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}
    ]
    third = client.refresh_access_token(1234, "s3cret", second["refresh_token"])
    assert third["refresh_token"] not in {first["refresh_token"], second["refresh_token"]}


def test_a_wrong_client_secret_is_refused_with_401(strava: StravaStandIn) -> None:
    tokens = strava.grant_token(ATHLETE)
    with pytest.raises(exc.AccessUnauthorized) as refused:
        client_for(strava).refresh_access_token(1234, "wrong", tokens["refresh_token"])
    assert errors_of(refused.value) == [
        {"resource": "Application", "field": "client_id", "code": "invalid"}
    ]


def test_an_expired_token_is_401_until_refreshed(strava: StravaStandIn) -> None:
    tokens = strava.grant_token(ATHLETE)
    client = client_for(strava, tokens)
    strava.expire_tokens(ATHLETE)

    with pytest.raises(exc.AccessUnauthorized) as expired:
        client.get_athlete()
    assert errors_of(expired.value)[0] == {
        "resource": "Athlete",
        "field": "access_token",
        "code": "invalid",
    }
    client.refresh_access_token(1234, "s3cret", tokens["refresh_token"])
    assert client.get_athlete().id == ATHLETE


def test_revoked_tokens_are_401_and_cannot_be_refreshed(strava: StravaStandIn) -> None:
    tokens = strava.grant_token(ATHLETE)
    client = client_for(strava, tokens)
    strava.revoke(ATHLETE)

    with pytest.raises(exc.AccessUnauthorized):
        client.get_athlete()
    with pytest.raises(exc.Fault) as refused:
        client.refresh_access_token(1234, "s3cret", tokens["refresh_token"])
    assert status_of(refused.value) == 400
    assert errors_of(refused.value)[0]["resource"] == "RefreshToken"


# Activities, streams and gear, end to end through stravalib


def test_get_activities_pages_450_activities_in_three_requests_oldest_first(
    strava: StravaStandIn,
) -> None:
    strava.add_athlete(OTHER, firstname="Bo")
    strava.add_activities(OTHER, 5, first=START)
    ids = strava.add_activities(ATHLETE, 450, first=START, every=timedelta(hours=20))
    client = client_for(strava, strava.grant_token(ATHLETE))
    strava.clear_log()

    activities = list(client.get_activities(after=START - timedelta(days=1)))

    assert [a.id for a in activities] == ids
    assert strava.count("GET", "/api/v3/athlete/activities") == 3
    pages = [r.query for r in strava.requests if r.path == "/api/v3/athlete/activities"]
    assert [p["page"] for p in pages] == ["1", "2", "3"]
    assert {p["per_page"] for p in pages} == {"200"}
    assert all(isinstance(a, model.SummaryActivity) for a in activities)


def test_activity_lists_filter_by_time_and_default_to_newest_first(strava: StravaStandIn) -> None:
    ids = strava.add_activities(ATHLETE, 10, first=START)
    client = client_for(strava, strava.grant_token(ATHLETE))

    newest_first = list(client.get_activities(before=START + timedelta(days=5)))
    window = list(
        client.get_activities(after=START + timedelta(days=2), before=START + timedelta(days=6))
    )

    assert [a.id for a in newest_first] == ids[4::-1]
    assert [a.id for a in window] == ids[3:6]  # strictly after 2 days, strictly before 6
    assert len(list(client.get_activities(limit=3))) == 3


def test_private_deleted_and_foreign_activities_are_hidden_as_strava_hides_them(
    strava: StravaStandIn,
) -> None:
    strava.add_athlete(OTHER)
    public = strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1500)
    private = strava.add_activity(
        ATHLETE, start=START + timedelta(hours=1), distance_m=5000, moving_s=1500, private=True
    )
    deleted = strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1500)
    foreign_private = strava.add_activity(
        OTHER, start=START, distance_m=5000, moving_s=1500, private=True
    )
    foreign_public = strava.add_activity(OTHER, start=START, distance_m=5000, moving_s=1500)
    strava.delete_activity(deleted)
    everything = client_for(strava, strava.grant_token(ATHLETE))
    public_only = client_for(strava, strava.grant_token(ATHLETE, scope="read,activity:read"))

    assert {a.id for a in everything.get_activities()} == {public, private}
    assert {a.id for a in public_only.get_activities()} == {public}
    assert everything.get_activity(private).private is True
    for client, hidden in [
        (public_only, private),
        (everything, deleted),
        (everything, foreign_private),
        (everything, 99),
    ]:
        with pytest.raises(exc.ObjectNotFound) as missing:
            client.get_activity(hidden)
        assert errors_of(missing.value) == [
            {"resource": "Activity", "field": "id", "code": "not found"}
        ]
    token = everything.access_token or ""
    foreign = raw_get(strava, token, f"/activities/{foreign_public}").json()
    assert foreign["resource_state"] == 2
    assert "description" not in foreign


def test_activity_endpoints_need_an_activity_scope(strava: StravaStandIn) -> None:
    activity_id = strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1500)
    client = client_for(strava, strava.grant_token(ATHLETE, scope="read,profile:read_all"))

    with pytest.raises(exc.AccessUnauthorized) as refused:
        client.get_activity(activity_id)
    assert errors_of(refused.value)[0]["field"] == "activity:read_permission"


def test_get_activity_and_gear_through_stravalib(strava: StravaStandIn) -> None:
    activity_id = strava.add_activity(
        ATHLETE,
        start=START,
        distance_m=12000,
        moving_s=4300,
        sport_type="TrailRun",
        name="Forest loop",
        description="Roots",
        gear_id="g100101",
    )
    client = client_for(strava, strava.grant_token(ATHLETE))

    activity = client.get_activity(activity_id)
    gear = client.get_gear("g100101")

    assert (activity.name, activity.description) == ("Forest loop", "Roots")
    assert activity.sport_type == "TrailRun"
    assert activity.type == "Run"
    assert float(activity.distance or 0) == 12000
    assert activity.moving_time == 4300
    assert activity.elapsed_time is not None
    assert activity.elapsed_time >= 4300
    assert activity.total_elevation_gain is not None
    assert activity.total_elevation_gain > 0
    assert activity.gear_id == "g100101"
    assert activity.gear is not None
    assert isinstance(gear, strava_model.DetailedGear)
    assert gear.model_name == "Pegasus 40"


def test_get_activity_streams_returns_only_requested_streams_that_exist(
    strava: StravaStandIn,
) -> None:
    outdoor = strava.add_activity(ATHLETE, start=START, distance_m=7000, moving_s=2400)
    treadmill = strava.add_activity(
        ATHLETE,
        start=START,
        distance_m=7000,
        moving_s=2400,
        sport_type="VirtualRun",
        with_gps=False,
    )
    client = client_for(strava, strava.grant_token(ATHLETE))
    wanted: list[Any] = ["time", "latlng", "distance", "heartrate", "cadence", "altitude"]

    some = client.get_activity_streams(outdoor, types=["time", "heartrate"])
    full = client.get_activity_streams(outdoor, types=wanted)
    indoor = client.get_activity_streams(treadmill, types=wanted)

    assert set(some) == {"time", "heartrate"}
    assert set(full) == set(wanted)
    assert set(indoor) == {"time", "distance", "heartrate", "cadence"}
    latlng = full["latlng"].data
    assert latlng is not None
    assert len(latlng[0]) == 2
    assert abs(latlng[0][0] - 55.68) < 0.05  # starts at the athlete's home, Copenhagen
    request = strava.requests[-1]
    assert request.query["key_by_type"] == "True"
    assert request.query["keys"] == ",".join(wanted)


def test_update_activity_changes_what_the_api_returns(strava: StravaStandIn) -> None:
    activity_id = strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1500)
    client = client_for(
        strava, strava.grant_token(ATHLETE, scope="read,activity:read_all,activity:write")
    )

    strava.update_activity(activity_id, title="Renamed", type="Walk", gear_id="g100102")
    updated = client.get_activity(activity_id)
    via_api = client.update_activity(activity_id, sport_type="TrailRun", description="new")

    assert updated.sport_type is not None
    assert (updated.name, updated.sport_type.root, updated.gear_id) == (
        "Renamed",
        "Walk",
        "g100102",
    )
    assert via_api.sport_type is not None
    assert via_api.type is not None
    assert (via_api.sport_type.root, via_api.type.root) == ("TrailRun", "Run")
    assert via_api.description == "new"


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


# Webhooks


class _Receiver:
    """A tiny webhook endpoint: answers the handshake as told and records event POSTs."""

    def __init__(self, mode: str = "echo") -> None:
        self.mode = mode
        self.challenges: list[dict[str, str]] = []
        self.events: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = dict(parse_qsl(urlsplit(self.path).query))
                receiver.challenges.append(query)
                if receiver.mode == "error":
                    self._answer(500, {})
                elif receiver.mode == "wrong":
                    self._answer(200, {"hub.challenge": "not-it"})
                else:
                    self._answer(200, {"hub.challenge": query.get("hub.challenge")})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.events.append(json.loads(self.rfile.read(length)))
                self._answer(200, {})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/strava/webhook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    endpoint = _Receiver()
    yield endpoint
    endpoint.close()


def subscribe(strava: StravaStandIn, receiver: _Receiver) -> int:
    created = client_for(strava).create_subscription(1234, "s3cret", receiver.url, "tok3n")
    assert created.id is not None
    return created.id


def test_subscribing_does_strava_s_handshake_and_lists_and_deletes(
    strava: StravaStandIn, receiver: _Receiver
) -> None:
    client = client_for(strava)
    subscription_id = subscribe(strava, receiver)

    (challenge,) = receiver.challenges
    assert challenge["hub.mode"] == "subscribe"
    assert challenge["hub.verify_token"] == "tok3n"
    assert len(challenge["hub.challenge"]) >= 16
    (listed,) = client.list_subscriptions(1234, "s3cret")
    assert (listed.id, listed.callback_url, listed.application_id) == (
        subscription_id,
        receiver.url,
        1234,
    )
    with pytest.raises(exc.Fault) as second:
        client.create_subscription(1234, "s3cret", receiver.url, "tok3n")
    assert errors_of(second.value)[0]["code"] == "already exists"
    client.delete_subscription(subscription_id, 1234, "s3cret")
    assert list(client.list_subscriptions(1234, "s3cret")) == []


@pytest.mark.parametrize("mode", ["wrong", "error"])
def test_a_callback_that_fails_the_handshake_gets_400_and_no_subscription(
    strava: StravaStandIn, receiver: _Receiver, mode: str
) -> None:
    receiver.mode = mode
    client = client_for(strava)

    with pytest.raises(exc.Fault) as refused:
        client.create_subscription(1234, "s3cret", receiver.url, "tok3n")
    assert status_of(refused.value) == 400
    assert errors_of(refused.value)[0]["resource"] == "PushSubscription"
    assert list(client.list_subscriptions(1234, "s3cret")) == []


def test_wrong_app_credentials_cannot_subscribe(strava: StravaStandIn, receiver: _Receiver) -> None:
    with pytest.raises(exc.AccessUnauthorized):
        client_for(strava).create_subscription(1234, "nope", receiver.url)
    assert receiver.challenges == []


def test_delivered_events_have_strava_s_shape(strava: StravaStandIn, receiver: _Receiver) -> None:
    subscription_id = subscribe(strava, receiver)
    event = strava.event("activity", 42, "create", ATHLETE, event_time=1_790_000_000)

    status, seconds = strava.deliver(event)

    assert status == 200
    assert seconds >= 0
    assert receiver.events == [
        {
            "aspect_type": "create",
            "event_time": 1_790_000_000,
            "object_id": 42,
            "object_type": "activity",
            "owner_id": ATHLETE,
            "subscription_id": subscription_id,
            "updates": {},
        }
    ]
    update = client_for(strava).handle_subscription_update(receiver.events[0])
    assert update.event_time == datetime.fromtimestamp(1_790_000_000, UTC)
    assert strava.deliveries[0].status == 200


def test_data_changes_push_the_events_strava_pushes(
    strava: StravaStandIn, receiver: _Receiver
) -> None:
    subscribe(strava, receiver)
    strava.grant_token(ATHLETE)  # the athlete authorized the app
    activity_id = strava.add_activity(
        ATHLETE, start=START, distance_m=5000, moving_s=1500, deliver=True
    )
    strava.update_activity(activity_id, name="Evening", private=True, deliver=True)
    strava.update_activity(activity_id, sport_type="TrailRun", deliver=True)
    strava.update_activity(activity_id, description="no event for this", deliver=True)
    strava.delete_activity(activity_id, deliver=True)

    shapes = [(e["object_id"], e["aspect_type"], e["updates"]) for e in receiver.events]
    assert shapes == [
        (activity_id, "create", {}),
        (activity_id, "update", {"title": "Evening", "private": "true"}),
        (activity_id, "update", {"type": "TrailRun"}),
        (activity_id, "delete", {}),
    ]


def test_stravalib_deauthorize_revokes_and_pushes_the_athlete_event(
    strava: StravaStandIn, receiver: _Receiver
) -> None:
    subscribe(strava, receiver)
    tokens = strava.grant_token(ATHLETE)
    client = client_for(strava, tokens)

    client.deauthorize()
    (delivery,) = strava.wait_for_deliveries(1)

    assert delivery.status == 200
    assert receiver.events[0]["object_type"] == "athlete"
    assert receiver.events[0]["aspect_type"] == "update"
    assert receiver.events[0]["object_id"] == receiver.events[0]["owner_id"] == ATHLETE
    assert receiver.events[0]["updates"] == {"authorized": "false"}
    assert strava.count("POST", "/api/v3/oauth/deauthorize") == 1
    with pytest.raises(exc.AccessUnauthorized):
        client.get_athlete()
    with pytest.raises(exc.Fault):
        client.refresh_access_token(1234, "s3cret", tokens["refresh_token"])


def test_no_events_are_pushed_for_athletes_who_never_authorized(
    strava: StravaStandIn, receiver: _Receiver
) -> None:
    subscribe(strava, receiver)
    strava.add_activity(ATHLETE, start=START, distance_m=5000, moving_s=1500, deliver=True)

    assert receiver.events == []
    with pytest.raises(LookupError):
        StravaStandIn().deliver(strava.event("activity", 1, "create", ATHLETE))


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
