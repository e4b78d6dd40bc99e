"""Benchmark: the scaled set-up (PostgreSQL, Procrastinate, `loadguard worker`s) against
the embedded default (one SQLite file, one process), measured in the same run.

Run by hand: `.venv/bin/python bench/bench_scale.py [--part webhooks|import|guard|all]`.
Needs PostgreSQL's binaries (Debian's `postgresql`); a server is started in a temporary
folder and stopped (tests/pgserver.py).

- webhooks: Strava events for several runners POSTed in a burst, until every event's
  guard run is stored: events/s with one process on SQLite, and on PostgreSQL with 1
  and 2 worker processes (the web server only queues).
- import: the 1,000-file archive (bench_import's replicas of the shared FIT runs) into
  each store, best of --repeat.
- guard: every athlete's runs read from the store and the batched guard over them,
  10,000 athletes by default.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import requests

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from bench_guard import run_guard
from bench_import import replica, running_files
from bench_webhook import strava_environment
from loadguard.app import service
from loadguard.app.host import StoreHost
from loadguard.store import frames
from loadguard.store.db import Store
from loadguard.web.server import GuardServer
from loadguard_strava import config as strava_config
from loadguard_strava.api import StravaApi
from loadguard_strava.connect import connect
from loadguard_strava.standin import StravaStandIn
from loadguard_strava.tokens import TokenBox
from pgserver import PostgresServer

EXE = Path(sys.executable).with_name("loadguard")
TODAY = date(2026, 12, 1)
LIMITS = (10**6, 10**7)


def until(check: Callable[[], bool], timeout: float = 600.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise SystemExit("gave up waiting: the set-up is stuck")
        time.sleep(0.05)


def count(db: str, sql: str) -> int:
    with Store(db) as store:
        return int(store.conn.execute(sql).fetchone()[0])


# -- webhooks ------------------------------------------------------------------------
def webhooks(db: str, workers: int, runners: int, events: int, tmp: Path) -> float:
    """Events/s from the first POST to the last event's guard run stored."""
    with StravaStandIn("1234", "s3cret", rate_limit=LIMITS, read_rate_limit=LIMITS) as standin:
        os.environ["LOADGUARD_STRAVA_API"] = standin.base_url
        config = strava_config.load({})
        box = TokenBox(config)
        with Store(db) as store:
            for i in range(runners):
                strava_id = 2000 + i
                standin.add_athlete(strava_id)
                athlete = store.add_athlete(f"r{i}", f"R{i}", "heel-fat-pad", TODAY, "UTC")

                def browser(url: str, who: int = strava_id) -> None:
                    requests.get(standin.approve_url(url, who), timeout=5)

                connect(StoreHost(store), athlete, config, box, browser, timeout=10)
        embedded = db.endswith(".sqlite")
        server = GuardServer(db, port=0, work=embedded).start()
        StravaApi(config, None).client.create_subscription(
            client_id=1234,
            client_secret="s3cret",
            callback_url=f"{server.url}/webhooks/strava",
            verify_token="bench",
        )
        procs = [
            subprocess.Popen(
                [str(EXE), "--db", db, "worker", "--no-scheduler"],
                stdout=(tmp / f"worker{n}.log").open("w"),
                stderr=subprocess.STDOUT,
            )
            for n in range(workers)
        ]
        for n in range(workers):
            log = tmp / f"worker{n}.log"
            until(lambda log=log: "running; Ctrl-C stops" in log.read_text(), 60)  # type: ignore[misc]
        first = datetime(2026, 12, 1, 6, tzinfo=UTC)
        pushed = []
        for k in range(events):
            who = 2000 + k % runners
            activity = standin.add_activity(
                who, start=first + timedelta(hours=k), distance_m=5000, moving_s=1800
            )
            pushed.append(standin.event("activity", activity, "create", who))
        before = count(db, "SELECT COUNT(*) FROM guard_runs")
        began = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda e: standin.deliver(e, timeout=10)[0], pushed))
        assert answers == [200] * events, answers
        until(lambda: count(db, "SELECT COUNT(*) FROM events WHERE status != 'pending'") == events)
        took = time.perf_counter() - began
        assert count(db, "SELECT COUNT(*) FROM guard_runs") > before
        for proc in procs:
            proc.terminate()
            proc.wait(30)
        server.stop()
    return events / took


# -- import --------------------------------------------------------------------------
def archive(folder: Path, files: int) -> tuple[int, float]:
    found = running_files()
    copies = math.ceil(files / len(found))
    folder.mkdir(parents=True)
    for k in range(copies):
        for p in found:
            (folder / f"{k:03d}-{p.name}").write_bytes(replica(p.read_bytes(), k + 1))
    return copies * len(found), sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def import_seconds(
    db: Callable[[], str], folder: Path, files: int, repeat: int
) -> tuple[float, float]:
    """The best import time, and the store's size after it (MB)."""
    best, size = math.inf, 0.0
    for _ in range(repeat):
        with Store(db()) as store:
            athlete = store.add_athlete("a", "A", "heel-fat-pad", date(2012, 1, 2), "UTC")
            began = time.perf_counter()
            summary = service.import_from(store, athlete, str(folder))
            best = min(best, time.perf_counter() - began)
            assert summary.new == files, summary.failed
            if store.dialect == "sqlite":
                size = store.path.stat().st_size / 1e6
            else:
                query = "SELECT pg_database_size(current_database())"
                size = store.conn.execute(query).fetchone()[0] / 1e6
    return best, size


# -- guard ---------------------------------------------------------------------------
def populate(db: str, athletes: int, weeks: int, seed: int = 1) -> int:
    """Runners three times a week for ``weeks`` weeks, a shoe each (plain SQL, the same on
    both stores)."""
    rng = random.Random(seed)
    with Store(db) as store, store.atomic():
        store.conn.executemany(
            "INSERT INTO athletes (id, name, plan_id, plan_start, timezone, language,"
            " created_at) VALUES (?, ?, 'heel-fat-pad', ?, 'UTC', 'en', ?)",
            [
                (
                    f"a{i:05d}",
                    f"Runner {i}",
                    (TODAY - timedelta(days=rng.randint(20, 400))).isoformat(),
                    TODAY.isoformat(),
                )
                for i in range(athletes)
            ],
        )
        store.conn.executemany(
            "INSERT INTO raw_records (athlete_id, source, key, media_type, origin, payload,"
            " received_at) VALUES (?, 'bench', 'x', 'x', 'bench', ?, ?)",
            [(f"a{i:05d}", b"\x00", TODAY.isoformat()) for i in range(athletes)],
        )
        raws = dict(store.conn.execute("SELECT athlete_id, id FROM raw_records").fetchall())
        rows = []
        for i in range(athletes):
            who = f"a{i:05d}"
            usual = rng.uniform(4.0, 9.0)
            for day in range(weeks * 7):
                when = TODAY - timedelta(days=day)
                if when.weekday() not in (1, 3, 6):
                    continue
                km = usual * (1.4 if when.weekday() == 6 else 1.0) * rng.uniform(0.85, 1.15)
                start = int(datetime(when.year, when.month, when.day, 6, tzinfo=UTC).timestamp())
                secs = km * 1000 / rng.uniform(2.6, 3.2)
                rows.append((who, raws[who], f"{who}-{day}", start, km * 1000, secs, secs, secs))
        store.conn.executemany(
            "INSERT INTO activities (athlete_id, raw_id, source, source_id, sport, sub_sport,"
            " start_utc, utc_offset_s, offset_from, distance_m, timer_s, elapsed_s,"
            " longest_run_s) VALUES (?, ?, 'bench', ?, 'running', 'generic', ?, 0, 'source',"
            " ?, ?, ?, ?)",
            rows,
        )
        add_shoes(store, weeks, rng)
    return len(rows)


def add_shoes(store: Store, weeks: int, rng: random.Random) -> None:
    """A new shoe every 26 weeks (about 500 km at these runners' volume, within the
    plan's 500-800), by default from its first day and retired when the next comes: every
    run gets its shoe by the day, as a runner who keeps to the plan's wear rule has it."""
    ids = [r[0] for r in store.conn.execute("SELECT id FROM athletes ORDER BY id")]
    made = TODAY.isoformat()
    rows = []
    for who in ids:
        for n, start in enumerate(range(weeks, 0, -26)):
            since = TODAY - timedelta(weeks=start)
            retired = None if start <= 26 else (since + timedelta(weeks=26)).isoformat()
            km = rng.uniform(0, 60)
            rows.append((who, f"Shoe {n + 1}", km, since.isoformat(), retired, made))
    store.conn.executemany(
        "INSERT INTO shoes (athlete_id, name, initial_km, heel_stack_mm, drop_mm, minimalist,"
        " default_from, retired_on, created_at) VALUES (?, ?, ?, 30, 8, 0, ?, ?, ?)",
        rows,
    )


def guard_seconds(db: str, repeat: int) -> tuple[float, float]:
    """Seconds to read every athlete's runs and shoes, and for the batched guard on them."""
    read = guard = math.inf
    for _ in range(repeat):
        with Store(db) as store:
            began = time.perf_counter()
            people = store.athletes()
            ids = [a.id for a in people]
            acts = frames.activities_frame(store, ids)
            shoes = frames.shoes_frame(store, ids)
            frame = pl.DataFrame(
                {
                    "athlete_id": ids,
                    "plan_start": [a.plan_start for a in people],
                }
            )
            read = min(read, time.perf_counter() - began)
            began = time.perf_counter()
            run_guard(acts, frame, shoes)
            guard = min(guard, time.perf_counter() - began)
    return read, guard


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["webhooks", "import", "guard", "all"], default="all")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runners", type=int, default=8)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--athletes", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    strava_environment()
    postgres = PostgresServer()
    postgres.start()
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            if args.part in ("webhooks", "all"):
                print(f"webhooks: {args.events} events for {args.runners} runners in a burst")
                base = webhooks(str(tmp / "w.sqlite"), 0, args.runners, args.events, tmp)
                print(f"  SQLite, one process (baseline):  {base:6.1f} events/s")
                for workers in (1, 2):
                    rate = webhooks(
                        postgres.new_database(), workers, args.runners, args.events, tmp
                    )
                    print(
                        f"  PostgreSQL, {workers} worker(s):          {rate:6.1f} events/s"
                        f"  = {rate / base:.2f}x the baseline"
                    )
            if args.part in ("import", "all"):
                files, mb = archive(tmp / "archive", args.files)
                n = iter(range(1000))
                lite, lite_mb = import_seconds(
                    lambda: str(tmp / f"i{next(n)}.sqlite"), tmp / "archive", files, args.repeat
                )
                pg, pg_mb = import_seconds(
                    postgres.new_database, tmp / "archive", files, args.repeat
                )
                print(f"import: {files} files, {mb:.1f} MB (best of {args.repeat})")
                print(
                    f"  SQLite (baseline):  {lite:6.2f} s = {mb / lite:5.1f} MB/s, {files / lite:5.0f} files/s; store {lite_mb:.0f} MB"
                )
                print(f"  PostgreSQL:         {pg:6.2f} s = {mb / pg:5.1f} MB/s, {files / pg:5.0f} files/s"
                      f"  = {lite / pg:.2f}x the baseline's speed; store {pg_mb:.0f} MB")  # fmt: skip
            if args.part in ("guard", "all"):
                lite_db, pg_db = str(tmp / "g.sqlite"), postgres.new_database()
                for db in (lite_db, pg_db):
                    began = time.perf_counter()
                    runs = populate(db, args.athletes, args.weeks)
                    print(f"  (stored {runs:,} runs in {time.perf_counter() - began:.1f} s)")
                print(
                    f"guard: {args.athletes:,} athletes x {args.weeks} weeks (best of {args.repeat})"
                )
                lite_read, lite_guard = guard_seconds(lite_db, args.repeat)
                pg_read, pg_guard = guard_seconds(pg_db, args.repeat)
                print(f"  SQLite (baseline):  read {lite_read:5.2f} s + guard {lite_guard:5.2f} s")
                print(f"  PostgreSQL:         read {pg_read:5.2f} s + guard {pg_guard:5.2f} s"
                      f"  = {(lite_read + lite_guard) / (pg_read + pg_guard):.2f}x the baseline's speed")  # fmt: skip
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
