"""Shared set-up for the Strava stand-in tests: the stand-in with one athlete, a stravalib
Client pointed at it, raw requests, and the models and Swagger examples its JSON must fit.

The fixtures themselves are declared in each test module (tests/conftest.py is not ours);
they delegate to `quiet_stravalib_env` and `running_standin` here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import stravalib
from stravalib import Client, exc

from loadguard_strava.http import RewritingSession
from loadguard_strava.standin import StravaStandIn

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


def quiet_stravalib_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No automatic refresh (as in production without env credentials) and no env warnings."""
    monkeypatch.delenv("STRAVA_CLIENT_ID", raising=False)
    monkeypatch.delenv("STRAVA_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("SILENCE_TOKEN_WARNINGS", "true")


def running_standin() -> Iterator[StravaStandIn]:
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
