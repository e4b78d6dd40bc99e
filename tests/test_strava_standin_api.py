"""The Strava stand-in's data API: its athlete, activity, gear and stream JSON validates
against stravalib's models, and an unmodified stravalib Client (through
RewritingSession) pages, filters, hides, reads and updates activities as Strava would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from stravalib import exc, model, strava_model

from loadguard_strava.standin import StravaStandIn
from standin_helpers import (
    ATHLETE,
    OTHER,
    START,
    client_for,
    errors_of,
    known_fields,
    raw_get,
    swagger_example,
)

# the stand-in fixtures (strava, quiet_stravalib) live in conftest.py
pytestmark = pytest.mark.usefixtures("quiet_stravalib")


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
