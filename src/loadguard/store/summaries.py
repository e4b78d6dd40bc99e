"""What a bucket of the columnar copy's runs before its recent file add up to, so a
scheduled pass reads only the recent ones (:meth:`loadguard.store.snapshot.Snapshot.windowed`).

Made with the recent file from the bucket's base, by the metrics' own functions: per
athlete the rows in the base and from the cut on (to check the recent file against),
and the last run's day; per shoe its km, first and last use and runs in the plan
(:func:`loadguard.guard.footwear.shoe_use`). A row carries the athlete's version: where
it is not the version wanted, the athlete is read again like any stale one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

import polars as pl

from loadguard.guard import footwear, metrics
from loadguard.store import frames
from loadguard.store.db import Store
from loadguard.store.sql import chunks

VERSION = "_version"
# The recent file starts this long before the base's newest run: a scheduled pass looks
# back 7 weeks (the alert window and the rules' look-back), so 13 weeks leave 6 weeks of
# new runs before a pass falls back to reading the base whole; it holds 8 % of 3 years.
RECENT = timedelta(days=91)
LAST_DAY = date(2099, 12, 31)  # runs_frame's as_of: every run counts


def cut_of(base: pl.DataFrame) -> datetime | None:
    """Where a base's recent file starts; None for an empty base."""
    newest = base.get_column("start_local").max()
    return newest - RECENT if isinstance(newest, datetime) else None


def summarise(
    store: Store,
    base: pl.DataFrame,
    cut: datetime,
    versions: Callable[[Store, Sequence[str]], dict[str, int]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per athlete: athlete_id, version, rows, recent_rows, last, cut; per shoe:
    athlete_id, shoe and :func:`~loadguard.guard.footwear.shoe_use`'s sums) of ``base``'s
    rows before ``cut``. Only athletes whose version is the rows' before and after their
    shoes are read are kept: the sums must be those of that version."""
    held = base.group_by("athlete_id").agg(
        pl.col(VERSION).first(),
        rows=pl.len().cast(pl.Int64),
        recent_rows=(pl.col("start_local") >= cut).sum().cast(pl.Int64),
    )
    ids = held.get_column("athlete_id").to_list()
    now = versions(store, ids)
    starts = _plan_starts(store, ids)
    shoes = frames.shoes_frame(store, ids)
    after = versions(store, ids)  # who was written to meanwhile
    keep = [
        a
        for a, v in held.select("athlete_id", VERSION).iter_rows()
        if now.get(a) == after.get(a) == v
    ]
    athletes = pl.DataFrame(
        {"athlete_id": keep, "plan_start": [starts[a] for a in keep]},
        schema={"athlete_id": pl.String, "plan_start": pl.Date},
    )
    older = base.filter((pl.col("start_local") < cut) & pl.col("athlete_id").is_in(keep))
    runs = footwear.with_shoes(metrics.runs_frame(older, athletes, LAST_DAY), shoes)
    last = runs.group_by(pl.col("athlete_id").cast(pl.String)).agg(last=pl.col("local_date").max())
    summary = (
        held.filter(pl.col("athlete_id").is_in(keep))
        .join(last, on="athlete_id", how="left")
        .with_columns(cut=pl.lit(cut, dtype=pl.Datetime("us")))
        .sort("athlete_id")
    )
    return summary, footwear.shoe_use(runs)


def _plan_starts(store: Store, ids: list[str]) -> dict[str, date]:
    found: dict[str, date] = {}
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        for who, start in store.conn.execute(
            f"SELECT id, plan_start FROM athletes WHERE id IN ({marks})", chunk
        ):
            found[str(who)] = date.fromisoformat(str(start))
    return found
