"""Strava webhooks: the subscription handshake, accepting events, processing them later.

- ``challenge``: Strava's GET with ``hub.challenge``; the verify token is compared
  in constant time (stravalib's helper uses a bare ``assert``, gone under ``-O``).
- ``accept``: validates an event in microseconds and gives it a key, so an event
  Strava sends twice is queued once. The HTTP answer goes out before any work.
- ``process`` (in the server's worker): activity create -> fetch it (the
  detailed activity: 1 read) and its streams if it is a run (1 read); update ->
  read it again (streams only if it became a run without them); delete ->
  removed from every metric; athlete deauthorisation -> tokens and every
  Strava-sourced record of that athlete deleted, syncing stops.

Strava does not sign its events, so nothing destructive is done on an event's word:
a delete is carried out only once Strava answers 404 for that activity (1 read), a
deauthorisation only once Strava refuses the athlete's token (1 read, or a refresh);
create and update fetch from Strava anyway. An event for another push subscription
than ours, or for an athlete who is not connected, is dropped. Each ignored event is
logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from stravalib import exc

from loadguard.contract import Athlete, Host, WebhookEvent

from . import config as strava_config
from .api import Budget, ReconnectNeeded, StravaApi
from .normalise import SOURCE, STREAM_TYPES, is_run, raw_record
from .sync import api_for
from .tokens import TokenBox

log = logging.getLogger("loadguard.strava")

_FIELDS = {
    "object_type": str,
    "aspect_type": str,
    "object_id": int,
    "owner_id": int,
    "event_time": int,
}


class StravaWebhooks:
    name = SOURCE

    def __init__(self) -> None:
        self.budget = Budget()
        self._app: tuple[strava_config.StravaConfig, TokenBox] | None = None

    def app(self, host: Host) -> tuple[strava_config.StravaConfig, TokenBox]:
        """The API application's settings and the token box, read once."""
        if self._app is None:
            config = strava_config.load(host.connector_settings(SOURCE))
            self._app = config, TokenBox(config)
        return self._app

    def challenge(self, query: Mapping[str, str]) -> tuple[int, dict[str, str]]:
        expected = strava_config.load({}, need_app=False).verify_token  # from the environment
        given = query.get("hub.verify_token", "")
        if not expected:
            return 503, {"error": "no verify token configured (LOADGUARD_STRAVA_VERIFY_TOKEN)"}
        if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
            return 400, {"error": "not a subscription handshake"}
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return 403, {"error": "verify token does not match"}
        return 200, {"hub.challenge": query["hub.challenge"]}

    def accept(self, body: bytes) -> WebhookEvent:
        try:
            event = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"event body is not JSON: {err}") from None
        if not isinstance(event, dict):
            raise ValueError("event body is not a JSON object")
        for name, kind in _FIELDS.items():
            if not isinstance(event.get(name), kind) or isinstance(event.get(name), bool):
                raise ValueError(f"event field {name} is missing or not a {kind.__name__}")
        if event["object_type"] not in {"activity", "athlete"}:
            raise ValueError(f"unknown object_type {event['object_type']!r}")
        if event["aspect_type"] not in {"create", "update", "delete"}:
            raise ValueError(f"unknown aspect_type {event['aspect_type']!r}")
        updates = event.get("updates") or {}
        if not isinstance(updates, dict):
            raise ValueError("event field updates is not an object")
        key = (
            ":".join(
                str(event[k]) for k in ("object_type", "object_id", "aspect_type", "event_time")
            )
            + ":"
            + json.dumps(updates, sort_keys=True)
        )
        return WebhookEvent(key, event)

    def ours(self, host: Host, payload: Mapping[str, object]) -> bool:
        """Whether the event names our push subscription (set in the settings, else stored
        by `strava subscribe`); with no subscription known, every event is ours."""
        config, _ = self.app(host)
        expected = config.subscription_id or host.connector_state(SOURCE).get("subscription_id")
        return expected is None or payload.get("subscription_id") == expected

    def process(self, host: Host, payload: Mapping[str, object]) -> list[str]:
        if not self.ours(host, payload):
            log.info(
                "dropped an event for subscription %s, not ours", payload.get("subscription_id")
            )
            return []
        account = host.account_by_external(SOURCE, str(payload["owner_id"]))
        if account is None or account.status == "deauthorized":
            log.info("dropped an event for Strava athlete %s, not connected", payload["owner_id"])
            return []  # not (or no longer) one of ours: nothing to do
        athlete = host.athlete(account.athlete_id)
        updates = payload.get("updates") or {}
        assert isinstance(updates, Mapping)
        config, box = self.app(host)
        if payload["object_type"] == "athlete":
            if str(updates.get("authorized", "")).lower() != "false":
                return []
            try:  # still authorised? then the event is not Strava's: keep everything
                api_for(host, athlete, config, box, self.budget).get("/athlete")
            except ReconnectNeeded:
                forget(host, athlete)
                return [athlete.id]
            log.warning("ignored a deauthorisation of %s that Strava does not confirm", athlete.id)
            return []
        key = str(payload["object_id"])
        api = api_for(host, athlete, config, box, self.budget)
        if payload["aspect_type"] == "delete":
            try:
                api.get(f"/activities/{key}")
            except exc.ObjectNotFound:
                host.delete_raw(athlete.id, SOURCE, key)
                return [athlete.id]
            log.warning("ignored a delete of activity %s that Strava still has", key)
            return []
        _fetch_and_store(host, athlete, api, key)
        return [athlete.id]


def _fetch_and_store(host: Host, athlete: Athlete, api: StravaApi, key: str) -> None:
    try:
        activity = api.get(f"/activities/{key}")
    except exc.ObjectNotFound:
        host.delete_raw(athlete.id, SOURCE, key)  # gone (or private to us now)
        return
    streams: Any = None
    if is_run(activity):
        previous = host.raw_payload(athlete.id, SOURCE, key)
        kept = json.loads(previous).get("streams") if previous else None
        streams = kept or api.get(
            f"/activities/{key}/streams", keys=",".join(STREAM_TYPES), key_by_type=True
        )
    host.ingest(athlete, raw_record(activity, streams, detailed=True))


def forget(host: Host, athlete: Athlete) -> None:
    """Deauthorised: delete the tokens and every Strava-sourced record (Strava's terms)."""
    host.delete_source(athlete.id, SOURCE)
    host.delete_provider_shoes(athlete.id)
    host.update_account(
        athlete.id,
        SOURCE,
        clear_secret=True,
        state={},
        status="deauthorized",
        note="the athlete revoked loadguard's access on Strava; their Strava data was deleted",
    )


def receiver() -> StravaWebhooks:
    return StravaWebhooks()
