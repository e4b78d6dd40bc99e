"""A loadguard store wired to the Strava stand-in: environment, athlete, connection."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from loadguard.app.host import StoreHost
from loadguard.contract import Athlete
from loadguard.sources import registry
from loadguard.store import accounts as acc
from loadguard.store.db import Store
from loadguard_strava import config as strava_config
from loadguard_strava.api import BUDGET_STATE, Budget, StravaApi
from loadguard_strava.connect import connect
from loadguard_strava.standin import StravaStandIn
from loadguard_strava.sync import api_for
from loadguard_strava.tokens import TokenBox

CLIENT_ID, CLIENT_SECRET, VERIFY = "1234", "s3cret", "a-verify-word"
STRAVA_ATHLETE = 1001


@dataclass
class World:
    standin: StravaStandIn
    db: str
    store: Store
    athlete: Athlete

    @property
    def host(self) -> StoreHost:
        return StoreHost(self.store)

    @property
    def config(self) -> strava_config.StravaConfig:
        return strava_config.load(self.host.connector_settings("strava"))

    @property
    def box(self) -> TokenBox:
        return TokenBox(self.config)

    def new_rate_window(self, *, daily: bool = False) -> None:
        """A new quarter hour (or day) without waiting for one: Strava's counters start
        again, and so does the store's record of them (kept in wall-clock windows)."""
        self.standin.reset_rate_window(daily=daily)
        self.host.save_connector_state(BUDGET_STATE, {})

    def api(self, budget: Budget | None = None) -> StravaApi:
        return api_for(self.host, self.athlete, self.config, self.box, budget or Budget())

    def browser(self, athlete_id: int = STRAVA_ATHLETE) -> Callable[[str], None]:
        """Plays the athlete's browser: opens Strava's page, approves, follows the redirect."""

        def open_url(url: str) -> None:
            page = requests.get(url, timeout=5)
            assert page.status_code == 200
            assert "Authorize" in page.text
            redirect = self.standin.approve_url(url, athlete_id)
            requests.get(redirect, timeout=5)

        return open_url

    def connect(self) -> str:
        return connect(self.host, self.athlete, self.config, self.box, self.browser(), timeout=10)

    def account(self) -> acc.Account:
        found = acc.account(self.store, self.athlete.id, "strava")
        assert found is not None
        return found


def make_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, standin: StravaStandIn, db: str = ""
) -> World:
    """A connected runner's world; the store at ``db`` (a PostgreSQL URL), else a file."""
    monkeypatch.setenv("STRAVA_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("STRAVA_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("LOADGUARD_STRAVA_API", standin.base_url)
    monkeypatch.setenv("LOADGUARD_STRAVA_VERIFY_TOKEN", VERIFY)
    monkeypatch.setenv("LOADGUARD_TOKEN_KEY", Fernet.generate_key().decode())
    registry.webhook.cache_clear()
    standin.add_athlete(STRAVA_ATHLETE)
    store = Store(db or tmp_path / "lg.sqlite")
    athlete = store.add_athlete(
        "anna", "Anna", "heel-fat-pad", date(2026, 3, 2), "Europe/Copenhagen"
    )
    return World(standin, store.target.address, store, athlete)


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@contextmanager
def standin_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str = "") -> Iterator[World]:
    """A runner's world on a running Strava stand-in, its store closed afterwards."""
    with StravaStandIn(CLIENT_ID, CLIENT_SECRET) as standin:
        world = make_world(tmp_path, monkeypatch, standin, db)
        try:
            yield world
        finally:
            world.store.close()
