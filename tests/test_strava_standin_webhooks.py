"""The Strava stand-in's webhooks: subscription handshake, listing and deletion, and the
events it pushes, in Strava's shape, when data changes or an athlete deauthorizes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from stravalib import exc

from loadguard_strava.standin import StravaStandIn
from standin_helpers import (
    ATHLETE,
    START,
    client_for,
    errors_of,
    status_of,
)

# the stand-in fixtures (strava, quiet_stravalib) live in conftest.py
pytestmark = pytest.mark.usefixtures("quiet_stravalib")


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
