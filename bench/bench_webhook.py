"""Benchmark: from Strava's webhook POST to the guard's findings stored, over loopback.

Run by hand: `.venv/bin/python bench/bench_webhook.py [--events 200]`.

A stand-in Strava and `loadguard serve` run on 127.0.0.1; an athlete with a
season of history is connected. For each event a new run is created on the
stand-in and its create event POSTed to the server; the clock stops when the
guard run for it is in the store. Printed: p50/p95 of the POST's answer and of
the whole path, and as a baseline measured in the same run the same work
called directly (fetch, store, guard: no HTTP front, no queue).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from loadguard.app import service
from loadguard.app.host import StoreHost
from loadguard.sources import registry
from loadguard.store.db import Store
from loadguard.web.server import GuardServer
from loadguard_strava import config as strava_config
from loadguard_strava.api import Budget, StravaApi
from loadguard_strava.connect import connect
from loadguard_strava.standin import StravaStandIn
from loadguard_strava.sync import api_for, sync_athlete
from loadguard_strava.tokens import TokenBox
from loadguard_strava.webhook import _fetch_and_store

ATHLETE = 1001


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def runs(db: Path) -> int:
    with Store(db) as store:
        return int(store.conn.execute("SELECT COUNT(*) FROM guard_runs").fetchone()[0])


def strava_environment() -> None:
    """The stand-in app's credentials and a fresh token key, as a deployment sets them."""
    os.environ.update(
        STRAVA_CLIENT_ID="1234",
        STRAVA_CLIENT_SECRET="s3cret",
        LOADGUARD_STRAVA_VERIFY_TOKEN="bench",
        LOADGUARD_TOKEN_KEY=Fernet.generate_key().decode(),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    strava_environment()
    limits = (10**6, 10**7)
    with (
        StravaStandIn(rate_limit=limits, read_rate_limit=limits) as standin,
        tempfile.TemporaryDirectory() as tmp,
    ):
        os.environ["LOADGUARD_STRAVA_API"] = standin.base_url
        standin.add_athlete(ATHLETE)
        start = date(2026, 9, 7)
        first = datetime(2026, 9, 7, 6, 30, tzinfo=UTC)
        standin.add_activities(
            ATHLETE, 60, first=first, every=timedelta(days=2), distance_m=5000, moving_s=1800
        )
        db = Path(tmp) / "bench.sqlite"
        config = strava_config.load({})  # from the environment set above
        box = TokenBox(config)
        with Store(db) as store:
            athlete = store.add_athlete("anna", "Anna", "heel-fat-pad", start, "Europe/Copenhagen")

            def browser(url: str) -> None:
                requests.get(standin.approve_url(url, ATHLETE), timeout=5)

            connect(StoreHost(store), athlete, config, box, browser, timeout=10)
            sync_athlete(
                StoreHost(store), athlete, api_for(StoreHost(store), athlete, config, box, Budget())
            )
        print(f"history: 60 activities synced; {args.events} create events follow")

        server = GuardServer(db, port=0).start()
        registry.webhook.cache_clear()
        # subscribe as `loadguard strava subscribe` does (Strava then checks the handshake)
        StravaApi(config, None).client.create_subscription(
            client_id=1234,
            client_secret="s3cret",
            callback_url=f"{server.url}/webhooks/strava",
            verify_token="bench",
        )
        answers, totals = [], []
        day = first + timedelta(days=121)
        for i in range(args.events):
            activity = standin.add_activity(
                ATHLETE, start=day + timedelta(hours=6 * i), distance_m=5200, moving_s=1900
            )
            before = runs(db)
            began = time.perf_counter()
            status, answered = standin.deliver(
                standin.event("activity", activity, "create", ATHLETE)
            )
            assert status == 200
            while runs(db) == before:
                time.sleep(0.001)
            totals.append(time.perf_counter() - began)
            answers.append(answered)
        server.stop()

        direct = []
        with Store(db) as store:
            athlete = store.athlete("anna")
            api_client = api_for(StoreHost(store), athlete, config, box, Budget())
            for i in range(min(50, args.events)):
                activity = standin.add_activity(
                    ATHLETE,
                    start=day + timedelta(days=80, hours=6 * i),
                    distance_m=5200,
                    moving_s=1900,
                )
                began = time.perf_counter()
                _fetch_and_store(StoreHost(store), athlete, api_client, str(activity))
                service.run_guard(store, athlete, "bench")
                direct.append(time.perf_counter() - began)

    ms = 1000.0
    print(
        f"webhook POST answered:      p50 {pct(answers, 50) * ms:6.1f} ms  p95 {pct(answers, 95) * ms:6.1f} ms"
    )
    print(
        f"POST -> findings stored:    p50 {pct(totals, 50) * ms:6.1f} ms  p95 {pct(totals, 95) * ms:6.1f} ms  (target p95 < 1000 ms)"
    )
    print(
        f"baseline, direct call:      p50 {pct(direct, 50) * ms:6.1f} ms  p95 {pct(direct, 95) * ms:6.1f} ms  (fetch + store + guard, no HTTP front or queue)"
    )
    print(
        f"ratio: the served path takes {statistics.median(totals) / statistics.median(direct):.2f}x the direct call (p50)"
    )


if __name__ == "__main__":
    main()
