"""Benchmark: the guard over a synthetic 10,000 athletes x 3 years of runs.

Run by hand: `.venv/bin/python bench/bench_guard.py [--athletes N] [--years Y]`.
Prints the time for metrics + all rules over every athlete at once, and, as a
baseline measured in the same run, the same work done one athlete at a time
(on a sample, scaled up). Target: 10k athletes in under 2 s.
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import date, timedelta

import numpy as np
import polars as pl

from loadguard.guard import footwear, metrics, verdict
from loadguard.guard.plan import load_plan
from loadguard.store.frames import ACTIVITY_SCHEMA, with_time_columns

AS_OF = date(2026, 11, 22)


def synthetic(
    athletes: int, years: float, seed: int = 1
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Runners on a regular weekly schedule (3 or 4 runs, a longer one at the weekend, a
    run skipped now and then), each somewhere in the heel fat pad plan: during weeks 1-6
    their sessions follow the stage, mostly; the guard's findings come from the rest."""
    rng = np.random.default_rng(seed)
    weeks = int(52 * years)
    days_back = weeks * 7
    first_monday = AS_OF - timedelta(days=days_back + AS_OF.weekday())
    plan = load_plan("heel-fat-pad")
    ids = np.array([f"a{i:05d}" for i in range(athletes)])
    plan_offset = rng.integers(0, days_back // 7, athletes) * 7  # plan starts on a Monday
    four = rng.random(athletes) < 0.4
    usual = rng.uniform(3.0, 10.0, athletes)

    # one row per athlete x week x slot, then drop the empty slots
    slots = np.array([0, 2, 5, 6])
    a_idx = np.repeat(np.arange(athletes), weeks * 4)
    week = np.tile(np.repeat(np.arange(weeks), 4), athletes)
    slot = np.tile(np.arange(4), athletes * weeks)
    keep = ((slot < 3) | four[a_idx]) & (rng.random(len(a_idx)) > 0.05)
    a_idx, week, slot = a_idx[keep], week[keep], slot[keep]
    n = len(a_idx)
    day = week * 7 + slots[slot]
    plan_week = (day - plan_offset[a_idx]) // 7 + 1
    long_day = slot == np.where(four[a_idx], 3, 2)
    trend = 1.0 + 0.1 * np.sin(week / 9.0 + a_idx)
    km = usual[a_idx] * np.where(long_day, 1.4, 1.0) * trend * rng.normal(1.0, 0.06, n)
    minutes = km * rng.uniform(5.5, 6.5, n)
    longest = minutes * 60.0
    for stage in plan.stages:
        if not stage.session_min or not stage.run_s:
            continue
        lo, hi = stage.session_min
        in_stage = (plan_week >= stage.weeks[0]) & (plan_week <= stage.weeks[1])
        m = rng.uniform(lo, hi + 2.0, n)  # a few run a little long
        minutes = np.where(in_stage, m, minutes)
        km = np.where(in_stage, m / 8.0, km)
        longest = np.where(in_stage, stage.run_s * rng.uniform(0.9, 1.6, n), longest)
    soft_phase = (plan_week >= 1) & (plan_week <= 4)
    surface = np.where(
        soft_phase & (rng.random(n) < 0.95),
        "trail",
        rng.choice(["trail", "street", "generic", "track"], n),
    )
    epoch0 = (first_monday - date(1970, 1, 1)).days * 86400
    start = epoch0 + day.astype(np.int64) * 86400 + 7 * 3600 + rng.integers(0, 3600, n)
    acts = pl.DataFrame(
        {
            "athlete_id": ids[a_idx],
            "activity_id": np.arange(n, dtype=np.int64),
            "source": "fit",
            "sport": "running",
            "sub_sport": surface,
            "name": "",
            "description": "",
            "gear_id": None,
            "start_utc": start,
            "utc_offset_s": 3600,
            "distance_m": km * 1000,
            "timer_s": minutes * 60,
            "elapsed_s": minutes * 60,
            "run_s": None,
            "walk_s": None,
            "run_bouts": None,
            "walk_bouts": None,
            "longest_run_s": longest,
            "shoe_id": None,
        },
        schema=ACTIVITY_SCHEMA,
    )
    starts = [first_monday + timedelta(days=int(d)) for d in plan_offset]
    people = pl.DataFrame({"athlete_id": ids, "plan_start": starts})
    shoes = pl.DataFrame(
        {
            "shoe_id": np.arange(athletes, dtype=np.int64),
            "athlete_id": ids,
            "name": "daily",
            "initial_km": rng.uniform(0, 300, athletes),
            "heel_stack_mm": 30.0,
            "drop_mm": 10.0,
            "minimalist": False,
            "default_from": [first_monday] * athletes,
            "retired_on": None,
            "gear_id": None,
        },
        schema=footwear.SHOE_SCHEMA,
    )
    return with_time_columns(acts), people, shoes


def run_guard(
    acts: pl.DataFrame, people: pl.DataFrame, shoes: pl.DataFrame, since: date | None = None
) -> int:
    plan = load_plan("heel-fat-pad")
    m = metrics.compute(acts, people, shoes, plan, AS_OF, fill_weeks=False, since=since)
    found = verdict.evaluate(m, plan, AS_OF)
    verdict.status(found, people["athlete_id"].to_list(), AS_OF)
    return found.height


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--baseline-sample", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts")
    args = parser.parse_args()

    acts, people, shoes = synthetic(args.athletes, args.years)
    print(f"{people.height:,} athletes, {acts.height:,} runs over {args.years:g} years")
    run_guard(acts.head(1000), people.head(10), shoes.head(10))  # warm-up

    batch = math.inf  # a shared machine is noisy: the best of --repeat runs counts
    for _ in range(args.repeat):
        began = time.perf_counter()
        n_found = run_guard(acts, people, shoes)
        batch = min(batch, time.perf_counter() - began)
    print(f"all at once, every finding of 3 years: {batch:6.2f} s  ({n_found:,} findings)")

    since = AS_OF - timedelta(days=verdict.STATUS_WINDOW_DAYS - 1)
    windowed = math.inf
    for _ in range(args.repeat):
        began = time.perf_counter()
        n_recent = run_guard(acts, people, shoes, since)
        windowed = min(windowed, time.perf_counter() - began)
    print(
        f"all at once, findings since {since} (the scheduled guard): {windowed:6.2f} s"
        f"  ({n_recent:,} findings)  target < 2 s"
    )

    sample = people["athlete_id"].head(args.baseline_sample).to_list()
    began = time.perf_counter()
    for a in sample:
        run_guard(
            acts.filter(pl.col("athlete_id") == a),
            people.filter(pl.col("athlete_id") == a),
            shoes.filter(pl.col("athlete_id") == a),
        )
    per_athlete = (time.perf_counter() - began) / len(sample)
    baseline = per_athlete * people.height
    print(
        f"baseline, one athlete at a time, every finding: {baseline:6.2f} s"
        f"  (measured on {len(sample)}, scaled)\n"
        f"ratios: batch {baseline / batch:,.0f}x, windowed {baseline / windowed:,.0f}x the baseline"
    )


if __name__ == "__main__":
    main()
