"""Pain and red flags alert when they are logged, not when the next run arrives: the guard
runs at once and the alert reaches a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadguard import settings
from loadguard.app import service
from loadguard.cli.main import app
from loadguard.contract import Athlete
from loadguard.store.db import Store
from receivers import Receiver, receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture
def world(tmp_path: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    """anna, three weeks into her plan today, with her alerts going to the receiver."""
    conf = tmp_path / "settings.toml"
    conf.write_text(f'[alerts.anna]\nchannels = ["json://127.0.0.1:{hook.port}/a"]\n')
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    db = tmp_path / "lg.sqlite"
    with Store(db) as store:
        start = datetime.now(UTC).date() - timedelta(days=20)
        store.add_athlete("anna", "Anna", "heel-fat-pad", start, "UTC")
    return db


def anna(store: Store) -> Athlete:
    return store.athlete("anna")


def titles(hook: Receiver) -> list[str]:
    return [m["body"]["title"] for m in hook.received]


def test_pain_above_five_alerts_as_soon_as_it_is_logged(world: Path, hook: Receiver) -> None:
    with Store(world) as store:
        service.log_pain(store, anna(store), 7, "rest", service.today(anna(store)))
    assert titles(hook) == ["loadguard - Anna: pain above 5 (critical)"]


def test_a_red_flag_symptom_alerts_as_soon_as_it_is_logged(world: Path, hook: Receiver) -> None:
    with Store(world) as store:
        service.log_symptom(store, anna(store), "numbness", service.today(anna(store)))
    assert len(titles(hook)) == 1
    assert "numbness" in hook.received[0]["body"]["message"].lower()


def test_a_morning_that_did_not_settle_alerts_when_the_morning_is_logged(
    world: Path, hook: Receiver
) -> None:
    with Store(world) as store:
        today = service.today(anna(store))
        for days_ago in range(6, 1, -1):  # a settled baseline of 1/10
            service.log_pain(store, anna(store), 1, "morning", today - timedelta(days=days_ago))
        service.log_pain(store, anna(store), 4, "after", today - timedelta(days=1))
        assert hook.received == []  # yellow pain after a run is fine ... if it settles
        service.log_pain(store, anna(store), 4, "morning", today)
    assert len(hook.received) == 1
    assert "settle" in hook.received[0]["body"]["title"].lower()


def test_logging_green_pain_sends_nothing(world: Path, hook: Receiver) -> None:
    with Store(world) as store:
        service.log_pain(store, anna(store), 2, "morning", service.today(anna(store)))
    assert hook.received == []


def test_the_pain_command_alerts_without_waiting_for_a_run(world: Path, hook: Receiver) -> None:
    result = CliRunner().invoke(app, ["--db", str(world), "pain", "8", "--rest-day"])
    assert result.exit_code == 0, result.output
    assert "pain 8/10" in result.output
    assert titles(hook) == ["loadguard - Anna: pain above 5 (critical)"]
