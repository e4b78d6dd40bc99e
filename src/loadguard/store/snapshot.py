"""A columnar copy of every athlete's counted activities, for a guard pass over many.

Reading 10,000 athletes x 3 years (4.7 M runs) through SQL takes SQLite 48 s (9 s in
the engine alone: the joins with surfaces and corrections); the same frame read from
Arrow IPC files takes a fraction of a second. So a pass over many athletes reads the
copy, and from SQL only the athletes whose data changed since it was written.

- Each athlete's rows carry the *version* they were read at: the athlete's revision
  (counted up by triggers on every write to what the guard reads) with the day and time
  the athlete was made, so an athlete deleted and made again never matches old rows.
- The copy is split in buckets by athlete, each a base file and a delta of the athletes
  read again since, so a change rewrites one small file. A file is written to a
  temporary one and renamed into place: a reader sees a whole file, old or new; two
  writers at once leave one of them, and a base and a delta that do not go together
  only cost a read from SQL, since each row is still right for its version.
- A bucket's base has a *recent* file and summaries beside it, written with it: its
  rows from a cut 13 weeks before its newest run, and what the rows before the cut add
  up to (shoe mileage, the last run: :mod:`loadguard.store.summaries`). A scheduled
  pass looks back 7 weeks, so it reads those and never the base
  (:meth:`Snapshot.windowed`): 8 % of the rows. Summaries and a recent file that do
  not go together (another base's, damaged) are made again from the base.
- Athletes without rows in a bucket (no runs yet, or new) are read from SQL each time.
- The file names hold a fingerprint of the frame's columns: an upgrade that changes them
  starts a new copy; nothing else ever needs to be deleted by hand.

Beside a SQLite file (``<db>.frames/``), else in the user's state folder per database.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl

from loadguard.guard import footwear
from loadguard.store import frames, summaries
from loadguard.store.beside import folder_beside, versions
from loadguard.store.db import Store
from loadguard.store.sql import Target, private_folder

BUCKETS = 16
VERSION = summaries.VERSION
FORMAT = 2  # a bucket's rows sorted by athlete and start
MERGE_AT = 4  # a delta is merged into its base once it holds 1/MERGE_AT of the base's rows


def folder_for(db: Target) -> Path:
    return folder_beside(db, "frames")


def _fingerprint() -> str:
    described = ";".join(f"{n}:{t}" for n, t in frames.empty_activities().schema.items())
    return hashlib.sha256(described.encode()).hexdigest()[:12]


def bucket_of(athlete_id: str) -> int:
    return zlib.crc32(athlete_id.encode()) % BUCKETS


def forget_athlete(store: Store, athlete_id: str) -> None:
    """Delete the files of the bucket that holds ``athlete_id``'s rows, of any format (an
    athlete erased: nothing of theirs stays on disk); the bucket is read again from SQL
    when next asked for."""
    bucket = bucket_of(athlete_id)
    for path in folder_for(store.target).glob(f"activities-v*-{bucket:02d}-*.arrow"):
        path.unlink(missing_ok=True)


class Snapshot:
    """The activities of a store's athletes, kept in Arrow IPC buckets by version."""

    def __init__(self, store: Store, folder: Path | None = None) -> None:
        self.store = store
        self.folder = folder or folder_for(store.target)
        self.prefix = f"activities-v{FORMAT}-{store.identity[:12]}-{_fingerprint()}"
        self.read_from_sql = 0  # athletes read from SQL by the last call (a bench's figure)
        self.order: list[str] = []  # the athletes in the order the last call gave their rows

    def _path(self, bucket: int, part: str = "base") -> Path:
        return self.folder / f"{self.prefix}-{bucket:02d}-{part}.arrow"

    def activities(
        self, athlete_ids: Sequence[str], columns: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """The rows of :func:`loadguard.store.frames.activities_frame` for these athletes:
        each athlete's together, in start order, the athletes in the order of
        :attr:`order` (sorting 4.7 M rows by athlete id costs 2 s); buckets with a stale
        athlete are brought up to date first. ``columns``: only these (and athlete_id):
        each column read costs 15-50 ms for 4.7 M runs."""
        wanted, by_bucket = self._start(athlete_ids)
        only = None if columns is None else list(dict.fromkeys(["athlete_id", *columns]))
        parts = [self._bucket(b, ids, wanted, only) for b, ids in by_bucket]
        if not parts:
            empty = frames.empty_activities()
            return empty if only is None else empty.select(only)
        return pl.concat(parts)

    def _start(
        self, athlete_ids: Sequence[str]
    ) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
        """A read begins: the athletes' versions, and the athletes by bucket."""
        wanted = versions(self.store, athlete_ids)
        by_bucket: dict[int, list[str]] = {}
        for athlete_id in wanted:
            by_bucket.setdefault(bucket_of(athlete_id), []).append(athlete_id)
        self.read_from_sql, self.order = 0, []
        return wanted, sorted(by_bucket.items())

    def _bucket(
        self, bucket: int, ids: list[str], wanted: dict[str, int], only: list[str] | None
    ) -> pl.DataFrame:
        """One bucket's rows for ``ids``. A bucket is a base file and a small delta file
        of the athletes read again since the base was written: a change rewrites only the
        delta, until it holds a quarter of the base's rows and the two are merged. Only
        the ``only`` columns are read while the bucket is up to date (every column to
        write it again)."""
        columns = None if only is None else [*only, VERSION]
        base = self._read(self._path(bucket), columns)
        delta = self._read(self._path(bucket, "delta"), columns)
        in_delta = set(delta.get_column("athlete_id").unique().to_list())
        base = _without(base, in_delta)
        both = pl.concat([base, delta]).select("athlete_id", VERSION)
        held = dict(both.unique("athlete_id").iter_rows())  # 3.5x a group_by here
        stale = [a for a in ids if held.get(a) != wanted[a]]
        if stale and only is not None:  # written again with every column, then projected
            return self._bucket(bucket, ids, wanted, None).select(only)
        asked, renewed = set(ids), set(stale)
        self._add_order(held, in_delta, asked, renewed)
        if stale:
            self.read_from_sql += len(stale)
            changed = self._renewed(delta, stale, wanted, held)
            if changed is not None:
                base, delta = _without(base, renewed), changed
                self._store(bucket, base, delta)
        kept = pl.concat([base, delta])
        if not asked.issuperset(held):  # the bucket holds athletes not asked for
            kept = kept.filter(pl.col("athlete_id").is_in(ids))
        return kept.drop(VERSION)

    def _fresh(self, stale: list[str], wanted: dict[str, int]) -> pl.DataFrame:
        """These athletes' rows read from SQL, with their versions."""
        return frames.activities_frame(self.store, stale).with_columns(
            pl.col("athlete_id").replace_strict(wanted, return_dtype=pl.Int64).alias(VERSION)
        )

    def _renewed(
        self, delta: pl.DataFrame, stale: list[str], wanted: dict[str, int], held: dict[str, int]
    ) -> pl.DataFrame | None:
        """The delta with the stale athletes read again from SQL; None when there is
        nothing to write (none of them has rows, here or now)."""
        fresh = self._fresh(stale, wanted)
        if not fresh.height and held.keys().isdisjoint(stale):
            return None
        return pl.concat([delta.filter(~pl.col("athlete_id").is_in(stale)), fresh])

    def _add_order(
        self, held: dict[str, int], in_delta: set[str], asked: set[str], renewed: set[str]
    ) -> None:
        # each part's rows are sorted by athlete: base, delta, then the fresh ones
        for part in (set(held) - in_delta, in_delta):
            self.order += [a for a in sorted(part) if a in asked and a not in renewed]
        self.order += sorted(renewed)

    def windowed(
        self, athlete_ids: Sequence[str], columns: Sequence[str], first: date
    ) -> tuple[pl.DataFrame, footwear.Before]:
        """For a pass that wants findings from ``first`` on: (the athletes' rows with
        ``columns``, what their rows left out add up to), in the order :meth:`activities`
        gives. Where a bucket's recent file starts by ``first``, its athletes' rows come
        from it and the rest is summed (:mod:`loadguard.store.summaries`); else, and for
        athletes read again since, every row comes."""
        wanted, by_bucket = self._start(athlete_ids)
        window = list(dict.fromkeys(["athlete_id", "start_local", *columns]))
        parts = [self._window(b, ids, wanted, window, first) for b, ids in by_bucket]
        if not parts:
            return frames.empty_activities().select(window), footwear.Before.nothing()
        return pl.concat([p[0] for p in parts]), footwear.Before(
            pl.concat([p[1].shoes for p in parts]), pl.concat([p[1].last for p in parts])
        )

    def _window(
        self,
        bucket: int,
        ids: list[str],
        wanted: dict[str, int],
        window: list[str],
        first: date,
        again: bool = True,
    ) -> tuple[pl.DataFrame, footwear.Before]:
        summary = self._summary(bucket)
        late = pl.col("cut").first() > pl.lit(first).cast(pl.Datetime("us"))
        if summary is None or summary[0].select(late).item():  # the window starts earlier
            return self._bucket(bucket, ids, wanted, window), footwear.Before.nothing()
        athletes, shoes = summary
        delta = self._read(self._path(bucket, "delta"))  # small: read whole
        in_delta = set(delta.get_column("athlete_id").unique().to_list())
        own = athletes.select("athlete_id", VERSION)
        held = {a: v for a, v in own.iter_rows() if a not in in_delta}
        held |= dict(delta.select("athlete_id", VERSION).unique("athlete_id").iter_rows())
        stale = [a for a in ids if held.get(a) != wanted[a]]
        renewed = set(stale)
        gone = in_delta | renewed  # whose rows in the base are superseded
        used = athletes.filter(~pl.col("athlete_id").is_in(sorted(gone)))
        if stale:  # read again into the delta; the base is written again only to merge
            changed = self._renewed(delta, stale, wanted, held)
            if changed is not None and changed.height * MERGE_AT > used["rows"].sum():
                return self._bucket(bucket, ids, wanted, window), footwear.Before.nothing()
            self.read_from_sql += len(stale)
            if changed is not None:
                self._write(self._path(bucket, "delta"), changed)
                delta = changed
        recent = self._read(self._path(bucket, "recent"), [*window, VERSION]).filter(
            pl.col("athlete_id").is_in(used["athlete_id"].implode())
        )
        if not _goes_with(recent, used):  # another base's, or damaged: made again
            if again and self._rebuild(bucket):
                return self._window(bucket, ids, wanted, window, first, again=False)
            return self._bucket(bucket, ids, wanted, window), footwear.Before.nothing()
        asked = set(ids)
        self._add_order(held, in_delta, asked, renewed)
        rows = pl.concat([recent, delta.select(recent.columns)])
        mine = pl.col("athlete_id").is_in(ids)
        before = footwear.Before(
            shoes.filter(pl.col("athlete_id").is_in(used["athlete_id"].implode()) & mine),
            used.filter(mine).select("athlete_id", "last"),
        )
        if not asked.issuperset(held):  # the bucket holds athletes not asked for
            rows = rows.filter(mine)
        return rows.select(window), before

    def _summary(self, bucket: int) -> tuple[pl.DataFrame, pl.DataFrame] | None:
        """The bucket's summaries (athletes, shoes), made from its base if there are none."""
        found = self._summaries(bucket)
        if found is None and self._rebuild(bucket):
            found = self._summaries(bucket)
        return found if found is not None and found[0].height else None

    def _summaries(self, bucket: int) -> tuple[pl.DataFrame, pl.DataFrame] | None:
        try:
            athletes = pl.read_ipc(self._path(bucket, "summary"))
            return athletes, pl.read_ipc(self._path(bucket, "summary-shoes"))
        except (OSError, pl.exceptions.ComputeError):  # none yet, or damaged
            return None

    def _rebuild(self, bucket: int) -> bool:
        """The recent file and summaries made again from the bucket's base; False: no base."""
        base = self._read(self._path(bucket))
        if base.is_empty():
            return False
        self._write_recent(bucket, base)
        return True

    def _write_recent(self, bucket: int, base: pl.DataFrame) -> None:
        cut = summaries.cut_of(base)
        if cut is None:
            return
        self._write(self._path(bucket, "recent"), base.filter(pl.col("start_local") >= cut))
        athletes, shoes = summaries.summarise(self.store, base, cut, versions)
        self._write(self._path(bucket, "summary-shoes"), shoes, sort=False)
        self._write(self._path(bucket, "summary"), athletes, sort=False)

    def _store(self, bucket: int, base: pl.DataFrame, delta: pl.DataFrame) -> None:
        if delta.height * MERGE_AT > base.height:  # merge: the base holds everything again
            merged = pl.concat([base, delta])
            self._write(self._path(bucket), merged)
            self._write_recent(bucket, merged)
            self._write(self._path(bucket, "delta"), delta.clear())
        else:
            self._write(self._path(bucket, "delta"), delta)

    def _read(self, path: Path, columns: list[str] | None = None) -> pl.DataFrame:
        try:
            return pl.read_ipc(path, columns=columns)
        except (OSError, pl.exceptions.ComputeError):  # none yet, or a damaged copy
            empty = frames.empty_activities()
            empty = empty.with_columns(pl.lit(None, dtype=pl.Int64).alias(VERSION))
            return empty if columns is None else empty.select(columns)

    def _write(self, path: Path, frame: pl.DataFrame, *, sort: bool = True) -> None:
        private_folder(self.folder)
        temporary = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}")
        try:
            # each athlete's rows together, in start order; zstd reads fastest here (0.27 s
            # for 4.7 M runs, lz4 0.47, none 0.46) and is the smallest (145 MB)
            if sort:
                frame = frame.sort("athlete_id", "start_utc")
            frame.write_ipc(temporary, compression="zstd")
            os.replace(temporary, path)
        except OSError:  # a full disk or a read-only folder: the pass reads SQL next time
            temporary.unlink(missing_ok=True)


def _spans(frame: pl.DataFrame) -> pl.DataFrame:
    """Each run of one athlete's rows: athlete_id, its version, the first row and the row
    after the last. A bucket's rows are sorted by athlete, so that is one run each, found
    by comparing neighbours (3-4x cheaper than grouping 4.7 M ids)."""
    head = pl.col("athlete_id").ne_missing(pl.col("athlete_id").shift(1))
    starts = frame.select(pl.arg_where(head).alias("start")).get_column("start")
    return (
        frame.select("athlete_id", VERSION)
        .gather(starts)
        .with_columns(start=starts, end=starts.shift(-1).fill_null(frame.height))
    )


def _without(frame: pl.DataFrame, athletes: set[str]) -> pl.DataFrame:
    """``frame`` without these athletes' rows: the rest is kept as slices, not copied (a
    filter would copy every column of the bucket)."""
    if not athletes or frame.is_empty():
        return frame
    cut = _spans(frame).filter(pl.col("athlete_id").is_in(sorted(athletes))).sort("start")
    if cut.is_empty():
        return frame
    pieces, kept_from = [], 0
    for start, end in cut.select("start", "end").iter_rows():
        pieces.append(frame.slice(kept_from, start - kept_from))
        kept_from = end
    pieces.append(frame.slice(kept_from))
    return pl.concat(pieces)


def _goes_with(recent: pl.DataFrame, used: pl.DataFrame) -> bool:
    """Whether the recent rows are those the summaries were made with: for each athlete,
    as many rows as summed from the cut on, of the same version (a version is its data)."""
    counts = recent.group_by("athlete_id", VERSION).agg(n=pl.len().cast(pl.Int64))
    expected = used.filter(pl.col("recent_rows") > 0).select(
        "athlete_id", VERSION, n=pl.col("recent_rows")
    )
    return (
        counts.height == expected.height
        and counts.join(expected, on=["athlete_id", VERSION, "n"], how="anti").is_empty()
    )
