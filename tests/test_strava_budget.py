"""Strava's request budget is the application's: every process on one store spends the
same one. What one learns from Strava's rate-limit headers, the next one knows."""

from __future__ import annotations

from pathlib import Path

from loadguard.app.host import StoreHost
from loadguard.store.db import Store
from loadguard_strava.api import Budget

QUARTER_START = 1_796_000_400.0  # a moment on a quarter hour (UTC)


def test_a_limit_reached_in_one_process_stops_the_next_one_on_the_same_store(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lg.sqlite"
    with Store(db) as one, Store(db) as other:  # two connections, as two processes have
        daemon = Budget().share(StoreHost(one))
        worker = Budget().share(StoreHost(other))
        assert worker.spent(now=QUARTER_START + 60) is None
        headers = {"X-RateLimit-Usage": "197,912", "X-RateLimit-Limit": "200,2000"}
        daemon.record(headers, now=QUARTER_START + 60)
        said = worker.spent(now=QUARTER_START + 61)
        assert said == "Strava's limit of 200 requests this quarter hour is reached (197 used)"
        # the next quarter hour: Strava's short counter starts again, the day's goes on
        assert worker.spent(now=QUARTER_START + 900) is None
        assert worker.usage == (0, 912)
        # the next day: both start again
        assert Budget().share(StoreHost(one)).spent(now=QUARTER_START + 86_400) is None


def test_a_budget_without_a_store_keeps_to_itself(tmp_path: Path) -> None:
    alone = Budget()
    alone.record({"X-RateLimit-Usage": "199,10", "X-RateLimit-Limit": "200,2000"}, now=10.0)
    assert alone.spent(now=11.0) is not None
    with Store(tmp_path / "lg.sqlite") as store:
        assert Budget().share(StoreHost(store)).spent(now=11.0) is None
