"""Benchmark: from a new run arriving to its alert delivered, over loopback.

Run by hand: `.venv/bin/python bench/bench_alerts.py [--runs 200] [--watch-s 1.0]`.

Two paths, each with ``--runs`` runners in plan week 2 (a coach's list), each with a
JSON webhook channel on a real HTTP receiver on 127.0.0.1; every new run is on
paved ground, which the plan forbids before week 5, so each one is alerted:

* **file drop**: `loadguard daemon` runs as its own process, watching one folder
  per runner (scanned every ``--watch-s``). The clock starts when the FIT file's
  bytes are written into the folder and stops when the alert reaches the receiver.
* **webhook**: a stand-in Strava and `loadguard serve` (in this process, as in
  bench_webhook.py); the clock starts at the create event's POST and stops when
  the alert reaches the receiver.

Printed: p50/p95 per path against the target (p95 < 2 s) and, as the baseline
measured in the same run, the same work called directly (import or fetch, store,
guard, deliver: no folder scan, no HTTP front, no queue), with the ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from loadguard import settings
from loadguard.app import service
from loadguard.app.host import StoreHost
from loadguard.sources import registry
from loadguard.store.db import Store
from loadguard.web.server import GuardServer
from loadguard_fit.writer import encode_activity
from loadguard_strava import config as strava_config
from loadguard_strava.api import Budget, StravaApi
from loadguard_strava.connect import connect
from loadguard_strava.standin import StravaStandIn
from loadguard_strava.sync import api_for
from loadguard_strava.tokens import TokenBox
from loadguard_strava.webhook import _fetch_and_store
from receivers import Receiver, paved_run, receiver

EXE = Path(sys.executable).with_name("loadguard")
TARGET_S = 2.0


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def midday_zone() -> str:
    """A zone where it is about noon: runs of the last hours are all 'today' there."""
    hours = 12 - datetime.now(UTC).hour
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"


def people(n: int) -> list[str]:
    return [f"r{i:03d}" for i in range(n)]


def write_settings(
    path: Path, hook: Receiver, ids: list[str], watch: Path | None, s: float
) -> None:
    lines = [f"[scheduler]\nwatch_s = {s}\nretry_s = 5\n"]
    if watch is not None:
        lines.append("[watch]\n" + "".join(f'{a} = "{watch / a}"\n' for a in ids))
    for a in ids:
        lines.append(f'[alerts.{a}]\nchannels = ["json://127.0.0.1:{hook.port}/{a}"]\n')
    path.write_text("".join(lines))
    os.environ["LOADGUARD_SETTINGS"] = str(path)
    settings.current.cache_clear()


def add_runners(db: Path, ids: list[str], zone: str) -> None:
    today = datetime.now(ZoneInfo(zone)).date()
    with Store(db) as store:
        for a in ids:
            store.add_athlete(a, a, "heel-fat-pad", today - timedelta(days=8), zone)


def arrival(hook: Receiver, path: str, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in reversed(hook.received):
            if m["path"] == path:
                return float(m["at"])
        time.sleep(0.002)
    raise TimeoutError(f"no alert reached {path} within {timeout} s")


def file_drop(tmp: Path, hook: Receiver, n: int, watch_s: float) -> tuple[list[float], list[float]]:
    ids, zone = people(n), midday_zone()
    db, watch = tmp / "drop.sqlite", tmp / "watch"
    for a in ids:
        (watch / a).mkdir(parents=True)
    add_runners(db, ids, zone)
    write_settings(tmp / "drop.toml", hook, ids, watch, watch_s)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    payload = encode_activity(paved_run(start))
    env = dict(os.environ, LOADGUARD_DB=str(db))
    proc = subprocess.Popen([str(EXE), "daemon"], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "daemon running" in line:
            break
    took = []
    rng = random.Random(7)
    try:
        for a in ids:
            time.sleep(rng.uniform(0, watch_s))  # runs land at any moment of a scan cycle
            began = time.time()
            (watch / a / "2026-run.fit").write_bytes(payload)
            took.append(arrival(hook, f"/{a}") - began)
    finally:
        proc.terminate()
        proc.wait(10)
    # baseline: the same file imported, guarded and alerted by a direct call
    direct = []
    direct_db = tmp / "drop-direct.sqlite"
    add_runners(direct_db, ids[:50], zone)
    with Store(direct_db) as store:
        for a in ids[:50]:
            (watch / a / "2026-run.fit").unlink()
            (watch / a / "direct.fit").write_bytes(payload)
            began = time.time()
            service.import_from(store, store.athlete(a), str(watch / a / "direct.fit"))
            service.run_guard(store, store.athlete(a), "bench")
            direct.append(time.time() - began)  # run_guard delivers before it returns
    return took, direct


def webhook(tmp: Path, hook: Receiver, n: int) -> tuple[list[float], list[float]]:
    os.environ.update(
        STRAVA_CLIENT_ID="1234",
        STRAVA_CLIENT_SECRET="s3cret",
        LOADGUARD_STRAVA_VERIFY_TOKEN="bench",
        LOADGUARD_TOKEN_KEY=Fernet.generate_key().decode(),
    )
    ids, zone = people(n), midday_zone()
    db = tmp / "hook.sqlite"
    add_runners(db, ids, zone)
    write_settings(tmp / "hook.toml", hook, ids, None, 1.0)
    limits = (10**6, 10**7)
    with StravaStandIn(rate_limit=limits, read_rate_limit=limits) as standin:
        os.environ["LOADGUARD_STRAVA_API"] = standin.base_url
        config = strava_config.load({})  # from the environment set above
        box = TokenBox(config)
        with Store(db) as store:
            for i, a in enumerate(ids):
                standin.add_athlete(5000 + i, tz=zone)

                def browser(url: str, who: int = 5000 + i) -> None:
                    requests.get(standin.approve_url(url, who), timeout=5)

                connect(StoreHost(store), store.athlete(a), config, box, browser, timeout=10)
        server = GuardServer(db, port=0).start()
        registry.webhook.cache_clear()
        StravaApi(config, None).client.create_subscription(
            client_id=1234,
            client_secret="s3cret",
            callback_url=f"{server.url}/webhooks/strava",
            verify_token="bench",
        )
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        took = []
        try:
            for i, a in enumerate(ids):
                activity = standin.add_activity(
                    5000 + i, start=start, distance_m=3000, moving_s=1080, name="Easy #asphalt"
                )
                began = time.time()
                status, _ = standin.deliver(standin.event("activity", activity, "create", 5000 + i))
                assert status == 200
                took.append(arrival(hook, f"/{a}") - began)
        finally:
            server.stop()
        direct = []
        with Store(db) as store:
            for i, a in enumerate(ids[:50]):
                athlete = store.athlete(a)
                activity = standin.add_activity(
                    5000 + i,
                    start=start - timedelta(days=1),
                    distance_m=3000,
                    moving_s=1080,
                    name="Easy #asphalt",
                )
                api_client = api_for(StoreHost(store), athlete, config, box, Budget())
                began = time.time()
                _fetch_and_store(StoreHost(store), athlete, api_client, str(activity))
                service.run_guard(store, athlete, "bench")
                direct.append(time.time() - began)
    return took, direct


def show(name: str, took: list[float], direct: list[float]) -> None:
    ms = 1000.0
    print(
        f"{name:<11} run -> alert delivered: p50 {pct(took, 50) * ms:7.1f} ms"
        f"  p95 {pct(took, 95) * ms:7.1f} ms  max {max(took) * ms:7.1f} ms"
        f"  (target p95 < {TARGET_S * ms:.0f} ms: {'met' if pct(took, 95) < TARGET_S else 'MISSED'})"
    )
    print(
        f"{'':<11} baseline, direct call:  p50 {pct(direct, 50) * ms:7.1f} ms"
        f"  p95 {pct(direct, 95) * ms:7.1f} ms;"
        f" ratio {statistics.median(took) / statistics.median(direct):.1f}x (p50)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--watch-s", type=float, default=1.0)
    args = parser.parse_args()
    with receiver() as hook, tempfile.TemporaryDirectory() as tmp:
        drop = file_drop(Path(tmp), hook, args.runs, args.watch_s)
        show("file drop", *drop)
        hook.received.clear()
        pushed = webhook(Path(tmp), hook, args.runs)
        show("webhook", *pushed)
    print(f"{args.runs} runners, one alert each; folder scanned every {args.watch_s:g} s")


if __name__ == "__main__":
    main()
