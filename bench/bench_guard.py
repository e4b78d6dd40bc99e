"""Benchmark: the guard over a synthetic 10,000 athletes x 3 years of runs.

Run by hand: `uv run python bench/bench_guard.py [--athletes N] [--years Y]`.
Prints the time for metrics + all rules over every athlete at once, and, as a
baseline measured in the same run, the same work done one athlete at a time
(on a sample, scaled up). Target: 10k athletes in under 2 s.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

import numpy as np
import polars as pl

from loadguard import guard, metrics
from loadguard.plan import load_plan
from loadguard.store.activities import ACTIVITY_SCHEMA, with_time_columns

AS_OF = date(2026, 11, 22)


def synthetic(athletes: int, years: float, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    days = int(365 * years)
    per_athlete = int(days / 7 * 3.5)
    n = athletes * per_athlete
    athlete_idx = np.repeat(np.arange(athletes), per_athlete)
    first_day = (AS_OF - timedelta(days=days)).toordinal()
    day = np.sort(rng.integers(0, days, size=(athletes, per_athlete)), axis=1).ravel()
    epoch0 = (date.fromordinal(first_day) - date(1970, 1, 1)).days * 86400
    start = epoch0 + day * 86400 + 6 * 3600 + rng.integers(0, 12 * 3600, n)
    # Each runner has a usual run length; a week holds easy runs and one longer run,
    # with day-to-day noise: realistic enough that most runs raise no finding.
    usual = np.repeat(rng.uniform(3.0, 10.0, athletes), per_athlete)
    long_run = rng.random(n) < 0.28
    km = np.clip(usual * np.where(long_run, 1.5, 1.0) * rng.normal(1.0, 0.08, n), 1.0, 40.0)
    minutes = km * rng.uniform(5.0, 7.0, n)
    ids = np.array([f"a{i:05d}" for i in range(athletes)])
    acts = pl.DataFrame(
        {
            "athlete_id": ids[athlete_idx],
            "activity_id": np.arange(n, dtype=np.int64),
            "source": "fit",
            "sport": "running",
            "sub_sport": rng.choice(["trail", "street", "generic", "track"], n),
            "name": "",
            "description": "",
            "gear_id": None,
            "start_utc": start.astype(np.int64),
            "utc_offset_s": 3600,
            "distance_m": km * 1000,
            "timer_s": minutes * 60,
            "elapsed_s": minutes * 60,
            "run_s": None,
            "walk_s": None,
            "run_bouts": None,
            "walk_bouts": None,
            "longest_run_s": minutes * 60 * rng.uniform(0.2, 1.0, n),
            "shoe_id": None,
        },
        schema=ACTIVITY_SCHEMA,
    )
    starts = [AS_OF - timedelta(days=int(d)) for d in rng.integers(0, days, athletes)]
    people = pl.DataFrame({"athlete_id": ids, "plan_start": starts})
    shoes = pl.DataFrame(
        {
            "shoe_id": np.arange(athletes, dtype=np.int64),
            "athlete_id": ids,
            "name": "daily",
            "initial_km": rng.uniform(0, 600, athletes),
            "heel_stack_mm": 30.0,
            "drop_mm": 10.0,
            "minimalist": False,
            "default_from": [AS_OF - timedelta(days=days)] * athletes,
            "retired_on": None,
            "gear_id": None,
        },
        schema=metrics.SHOE_SCHEMA,
    )
    return with_time_columns(acts), people, shoes


def run_guard(acts: pl.DataFrame, people: pl.DataFrame, shoes: pl.DataFrame) -> int:
    plan = load_plan("heel-fat-pad")
    m = metrics.compute(acts, people, shoes, plan, AS_OF)
    found = guard.evaluate(m, plan, AS_OF)
    guard.status(found, people["athlete_id"].to_list(), AS_OF)
    return found.height


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--baseline-sample", type=int, default=50)
    args = parser.parse_args()

    acts, people, shoes = synthetic(args.athletes, args.years)
    print(f"{people.height:,} athletes, {acts.height:,} runs over {args.years:g} years")
    run_guard(acts.head(1000), people.head(10), shoes.head(10))  # warm-up

    began = time.perf_counter()
    n_found = run_guard(acts, people, shoes)
    batch = time.perf_counter() - began
    print(f"all at once:        {batch:6.2f} s  ({n_found:,} findings)  target < 2 s")

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
        f"one athlete a time: {baseline:6.2f} s  (measured on {len(sample)}, scaled)"
        f"  -> batch is {baseline / batch:,.0f}x faster"
    )


if __name__ == "__main__":
    main()
