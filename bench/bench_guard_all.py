"""Benchmark: the guard over every athlete through the product's own command,
`loadguard guard --all`, on a real SQLite store of 10,000 athletes x 3 years of runs.

Run by hand: `.venv/bin/python bench/bench_guard_all.py [--athletes 10000] [--years 3]
[--store PATH]` (with --store the populated store is kept there and used again: filling
it takes about 3 minutes).

Measured in the same run, each a whole process unless said:
- the command's first pass, which also writes the store's columnar copy of the runs;
- the command again, best of --repeat (nothing changed: what the daemon's hourly guard
  meets most hours); target: under 3 s;
- the command after 1 % of the athletes got a new run (their rows read from SQL again);
- the command the next day: every athlete's window moves a day, so many findings and
  guard runs change (what the daemon's first pass of a day meets);
- the baseline: the per-athlete loop the daemon and alerts ran before (one runner's check
  and its guard run kept, in-process), timed on a sample and scaled to every athlete;
- the floor: `loadguard --help`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench_scale import TODAY, populate
from loadguard.app import service
from loadguard.guard import verdict
from loadguard.store import findings as findings_store
from loadguard.store import snapshot
from loadguard.store.db import Store
from loadguard.store.sql import Target

LOADGUARD = str(Path(sys.executable).with_name("loadguard"))


PEAK: dict[str, float] = {}  # per command line: its largest resident memory, GB


def command(db: Path, *args: str) -> float:
    """Seconds the command takes as a whole process; its peak memory goes to PEAK."""
    with tempfile.TemporaryFile("w+") as errors:
        began = time.perf_counter()
        child = subprocess.Popen(
            [LOADGUARD, "--db", str(db), *args], stdout=subprocess.DEVNULL, stderr=errors
        )
        _, status, usage = os.wait4(child.pid, 0)
        took = time.perf_counter() - began
        if os.waitstatus_to_exitcode(status) not in (0, 3, 4):
            errors.seek(0)
            sys.exit(f"loadguard {' '.join(args)} failed: {errors.read()[-800:]}")
    key = " ".join(args)
    PEAK[key] = max(PEAK.get(key, 0.0), usage.ru_maxrss / 1024**2)
    return took


def guard_all(db: Path, day: date) -> float:
    return command(db, "guard", "--all", "--as-of", day.isoformat())


def per_athlete(db: Path, day: date, sample: int) -> tuple[float, int]:
    """Seconds per athlete of the loop run before: a check and its guard run kept."""
    with Store(db) as store:
        people = random.Random(7).sample(store.athletes(), sample)
        began = time.perf_counter()
        for a in people:
            report = service.check(store, a, day)
            since = verdict.alert_window(day, 7)
            run = findings_store.NewRun(a.id, day, since, report.status, report.findings)
            findings_store.save_run(store, run, "bench")
        return (time.perf_counter() - began) / sample, len(store.athletes())


def touch(db: Path, share: float, day: date) -> int:
    """A new run for ``share`` of the athletes (as an import would store it)."""
    with Store(db) as store:
        ids = [a.id for a in store.athletes()]
        chosen = random.Random(11).sample(ids, max(1, int(len(ids) * share)))
        start = int(datetime(day.year, day.month, day.day, 6, tzinfo=UTC).timestamp())
        with store.atomic():
            for who in chosen:
                raw = store.conn.execute(
                    "SELECT id FROM raw_records WHERE athlete_id = ? LIMIT 1", (who,)
                ).fetchone()[0]
                store.conn.execute(
                    "INSERT INTO activities (athlete_id, raw_id, source, source_id, sport,"
                    " sub_sport, start_utc, utc_offset_s, offset_from, distance_m, timer_s,"
                    " elapsed_s, longest_run_s) VALUES (?, ?, 'bench', ?, 'running', 'generic',"
                    " ?, 0, 'source', 6000, 2100, 2100, 2100)",
                    (who, raw, f"{who}-new-{os.urandom(3).hex()}", start),
                )
    return len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--store", type=Path, help="keep the populated store here")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.store or Path(tmp) / "guard.sqlite"
        if not db.exists():
            began = time.perf_counter()
            runs = populate(str(db), args.athletes, int(52 * args.years))
            print(
                f"store: {args.athletes:,} athletes, {runs:,} runs ({time.perf_counter() - began:.0f} s to fill)"
            )
        else:
            print(f"store: {db} as it was filled before")
        day = TODAY
        floor = min(command(db, "--help") for _ in range(args.repeat))
        shutil.rmtree(snapshot.folder_for(Target(path=db)), ignore_errors=True)  # a cold copy
        first = guard_all(db, day)
        first_peak = PEAK.pop(f"guard --all --as-of {day.isoformat()}")
        warm = min(guard_all(db, day) for _ in range(args.repeat))
        touched = touch(db, 0.01, day)
        after = guard_all(db, day)
        next_day = guard_all(db, day + timedelta(days=1))
        peak = max(PEAK.values())
        each, athletes = per_athlete(db, day, args.sample)
    loop = each * athletes
    print(f"`loadguard guard --all` over {athletes:,} athletes, whole processes:")
    print(f"  first pass (writes the columnar copy)      {first:7.2f} s")
    print(f"  again, nothing changed (best of {args.repeat})        {warm:7.2f} s   target < 3 s")
    print(f"  after {touched:,} athletes got a new run         {after:7.2f} s")
    print(f"  the next day (every window moves a day)    {next_day:7.2f} s")
    print(f"  peak memory: the first pass {first_peak:.2f} GB, the others {peak:.2f} GB")
    print(f"  floor: `loadguard --help`                  {floor:7.2f} s")
    print(
        f"baseline: one athlete at a time (check + guard run kept), {each * 1000:.1f} ms each"
        f" on {args.sample} athletes, scaled: {loop:7.1f} s"
    )
    print(
        f"  ratio: the pass is {loop / warm:,.0f}x the loop ({loop / after:,.0f}x after the change)"
    )
    print(f"  the first pass is {loop / first:,.1f}x the loop")


if __name__ == "__main__":
    main()
