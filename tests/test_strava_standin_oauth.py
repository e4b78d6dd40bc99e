"""The Strava stand-in's OAuth: the authorize page, code exchange, scopes, refresh,
expiry and revocation, end to end through an unmodified stravalib Client."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from stravalib import exc, model

from loadguard_strava.http import RewritingSession
from loadguard_strava.standin import StravaStandIn
from standin_helpers import (
    ATHLETE,
    client_for,
    errors_of,
    known_fields,
    status_of,
    swagger_example,
)

# the stand-in fixtures (strava, quiet_stravalib) live in conftest.py
pytestmark = pytest.mark.usefixtures("quiet_stravalib")


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
