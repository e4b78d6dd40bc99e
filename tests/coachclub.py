"""A coach and five runners on a real server, for the coach's tests (the list, notes,
consent, the digest)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from loadguard import settings
from loadguard.app import athlete_list, service
from loadguard.store.db import Store
from loadguard.store.users import User
from receivers import drop_fit, paved_run
from webapp import Browser, add_coach, add_runner, grant, served

PLAN_START = date(2026, 3, 2)


@dataclass
class Club:
    db: Path
    url: str
    coach: Browser
    mette: User
    runners: dict[str, User]

    def browser(self, name: str) -> Browser:
        b = Browser(self.url)
        assert b.login(self.runners[name].email).status_code == 200
        return b

    def athlete_id(self, name: str) -> str:
        found = self.runners[name].athlete_id
        assert found is not None
        return found


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str = "") -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(path))
    settings.current.cache_clear()


def run_days_ago(store: Store, athlete_id: str, days: int, tmp: Path) -> None:
    """A real FIT run ``days`` ago, imported."""
    start = datetime.now(UTC).replace(microsecond=0, hour=7) - timedelta(days=days)
    path = drop_fit(paved_run(start, 25.0), tmp / f"in-{athlete_id}-{days}", tmp / "staging")
    service.import_from(store, store.athlete(athlete_id), str(path))


def make_club(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Club]:
    """Mette coaches five runners: Anna (pain 8 today and a red flag: two critical
    findings), Bo (a shoe at 815 km), Cai (ran yesterday, nothing wrong), Dag (last run 20
    days ago, nothing else), Eva (never ran)."""
    configure(tmp_path, monkeypatch, '[web]\nbase_url = "https://lg.example"\n')
    db = tmp_path / "lg.sqlite"
    mette = add_coach(db, "mette@example.org")
    runners = {
        n: add_runner(db, f"{n}@example.org", plan_start=PLAN_START)
        for n in ("anna", "bo", "cai", "dag", "eva")
    }
    for runner in runners.values():
        grant(db, mette, runner)
    with Store(db) as store:
        anna = store.athlete(str(runners["anna"].athlete_id))
        service.log_pain(store, anna, 8, "after", service.today(anna))
        service.log_symptom(store, anna, "night_pain", service.today(anna))
        bo = str(runners["bo"].athlete_id)
        store.add_shoe(bo, "Clifton", initial_km=815.0)
        run_days_ago(store, bo, 2, tmp_path)
        run_days_ago(store, str(runners["cai"].athlete_id), 1, tmp_path)
        run_days_ago(store, str(runners["dag"].athlete_id), 20, tmp_path)
    athlete_list.forget()
    with served(db) as server:
        coach = Browser(server.url)
        assert coach.login(mette.email).status_code == 200
        yield Club(db, server.url, coach, mette, runners)


def rows_of(answer_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer_text)))
