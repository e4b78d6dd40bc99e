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
- A bucket's base has a *recent* file beside it: a copy of its rows from a cut some
  months before its newest run, written with the base. A scheduled pass needs every
  column only for the weeks its rules look at, so it reads a few columns of the base
  (shoe mileage and the last run add up every run) and the recent file whole
  (:meth:`Snapshot.windowed`). A recent file that does not go with its base (other
  rows, other versions) is written again from the base.
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
from datetime import date, timedelta
from pathlib import Path

import platformdirs
import polars as pl

from loadguard.store import frames
from loadguard.store.db import Store
from loadguard.store.sql import Target, chunks, private_folder

BUCKETS = 16
VERSION = "_version"
FORMAT = 2  # a bucket's rows sorted by athlete and start
MERGE_AT = 4  # a delta is merged into its base once it holds 1/MERGE_AT of the base's rows
# The recent file starts this long before the base's newest run: a scheduled pass looks
# back 7 weeks (the alert window and the rules' look-back), so 13 weeks leave 6 weeks of
# new runs before a pass falls back to reading the base whole; it holds 8 % of 3 years.
RECENT = timedelta(days=91)


def folder_for(db: Target) -> Path:
    if db.path is not None:
        return db.path.with_name(db.path.name + ".frames")
    digest = hashlib.sha256(str(db).encode()).hexdigest()[:16]
    return Path(platformdirs.user_state_dir("loadguard")) / "frames" / digest


def _fingerprint() -> str:
    described = ";".join(f"{n}:{t}" for n, t in frames.empty_activities().schema.items())
    return hashlib.sha256(described.encode()).hexdigest()[:12]


def bucket_of(athlete_id: str) -> int:
    return zlib.crc32(athlete_id.encode()) % BUCKETS


def versions(store: Store, athlete_ids: Sequence[str]) -> dict[str, int]:
    """Each athlete's version: its revision, and when it was made (in one 56-bit int): an
    athlete deleted and made again counts its revisions anew, only the second differs."""
    rows = []
    for chunk in chunks(athlete_ids):
        marks = ",".join("?" * len(chunk))
        rows += store.conn.execute(
            f"SELECT id, revision, created_at FROM athletes WHERE id IN ({marks})", chunk
        ).fetchall()
    made = {str(r[0]): (int(r[1]), str(r[2])) for r in rows}
    return {
        a: ((zlib.crc32(created.encode()) & 0xFFFFFF) << 32) | (revision & 0xFFFFFFFF)
        for a, (revision, created) in made.items()
    }


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
        wanted = versions(self.store, athlete_ids)
        by_bucket: dict[int, list[str]] = {}
        for athlete_id in wanted:
            by_bucket.setdefault(bucket_of(athlete_id), []).append(athlete_id)
        self.read_from_sql, self.order = 0, []
        only = None if columns is None else list(dict.fromkeys(["athlete_id", *columns]))
        parts = [self._bucket(b, ids, wanted, only) for b, ids in sorted(by_bucket.items())]
        if not parts:
            empty = frames.empty_activities()
            return empty if only is None else empty.select(only)
        return pl.concat(parts)

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
            fresh = self._fresh(stale, wanted)
            if fresh.height or not renewed.isdisjoint(held):
                base = _without(base, renewed)
                delta = pl.concat([delta.filter(~pl.col("athlete_id").is_in(stale)), fresh])
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

    def _add_order(
        self, held: dict[str, int], in_delta: set[str], asked: set[str], renewed: set[str]
    ) -> None:
        # each part's rows are sorted by athlete: base, delta, then the fresh ones
        for part in (set(held) - in_delta, in_delta):
            self.order += [a for a in sorted(part) if a in asked and a not in renewed]
        self.order += sorted(renewed)

    def windowed(
        self,
        athlete_ids: Sequence[str],
        columns: Sequence[str],
        history_columns: Sequence[str],
        first: date,
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """For a pass that wants findings from a window: (every row of these athletes with
        ``history_columns``, their rows from ``first`` on with ``columns``), both in the
        order :meth:`activities` gives. The second comes from the recent files, so the
        columns only the window needs are not read for 3 years of runs."""
        wanted = versions(self.store, athlete_ids)
        by_bucket: dict[int, list[str]] = {}
        for athlete_id in wanted:
            by_bucket.setdefault(bucket_of(athlete_id), []).append(athlete_id)
        self.read_from_sql, self.order = 0, []
        history = list(dict.fromkeys(["athlete_id", "start_local", *history_columns]))
        window = list(dict.fromkeys(["athlete_id", "start_local", *columns]))
        parts = [
            self._window(b, ids, wanted, history, window, first)
            for b, ids in sorted(by_bucket.items())
        ]
        if not parts:
            empty = frames.empty_activities()
            return empty.select(history), empty.select(window)
        return pl.concat([h for h, _ in parts]), pl.concat([w for _, w in parts])

    def _window(
        self,
        bucket: int,
        ids: list[str],
        wanted: dict[str, int],
        history: list[str],
        window: list[str],
        first: date,
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        first_moment = pl.lit(first).cast(pl.Datetime("us"))
        since_first = pl.col("start_local") >= first_moment
        base = self._read(self._path(bucket), [*history, VERSION])
        delta = self._read(self._path(bucket, "delta"))  # small: read whole
        in_delta = set(delta.get_column("athlete_id").unique().to_list())
        spans = _spans(base)
        own = spans.select("athlete_id", VERSION)
        held = {a: v for a, v in own.iter_rows() if a not in in_delta}
        held |= dict(delta.select("athlete_id", VERSION).unique("athlete_id").iter_rows())
        stale = [a for a in ids if held.get(a) != wanted[a]]
        renewed = set(stale)
        if stale:  # read again into the delta; the base is written again only to merge
            fresh = self._fresh(stale, wanted)
            changed = pl.concat([delta.filter(~pl.col("athlete_id").is_in(stale)), fresh])
            if changed.height * MERGE_AT > _without(base, in_delta | renewed, spans).height:
                whole = self._bucket(bucket, ids, wanted, None)  # merged, every column
                return whole.select(history), whole.filter(since_first).select(window)
            self.read_from_sql += len(stale)
            if fresh.height or not renewed.isdisjoint(held):
                self._write(self._path(bucket, "delta"), changed)
            delta = changed
        recent = self._recent(bucket, base, own, window)
        covers = recent is not None and (
            recent.is_empty() or recent.select(pl.col("start_local").min() <= first_moment).item()
        )
        if recent is None or not covers:  # the window starts before the recent file
            recent = self._read(self._path(bucket), [*window, VERSION])
        asked, gone = set(ids), in_delta | renewed  # whose rows in the base are superseded
        self._add_order(held, in_delta, asked, renewed)
        parts = [
            pl.concat([_without(base, gone, spans), delta.select(base.columns)]),
            pl.concat([_without(recent, gone), delta.select(recent.columns)]).filter(since_first),
        ]
        if not asked.issuperset(held):  # the bucket holds athletes not asked for
            parts = [p.filter(pl.col("athlete_id").is_in(ids)) for p in parts]
        return parts[0].select(history), parts[1].select(window)

    def _recent(
        self, bucket: int, base: pl.DataFrame, own: pl.DataFrame, columns: list[str]
    ) -> pl.DataFrame | None:
        """The bucket's recent rows with ``columns``; written again from the base when it
        does not go with it (missing, damaged, or from another base: its rows are not the
        base's rows from its first day on, or carry other versions). None: no base."""
        path = self._path(bucket, "recent")
        try:
            recent: pl.DataFrame | None = pl.read_ipc(path, columns=[*columns, VERSION])
        except (OSError, pl.exceptions.ComputeError):
            recent = None
        if recent is not None and recent.height:
            starts = base.get_column("start_local")
            same_rows = int((starts >= recent["start_local"].min()).sum()) == recent.height
            pairs = recent.select("athlete_id", VERSION).unique()
            if same_rows and pairs.join(own, on=["athlete_id", VERSION], how="anti").is_empty():
                return recent
        whole = self._read(self._path(bucket))
        if whole.is_empty():
            return None
        recent = _recent_rows(whole)
        self._write(path, recent)
        return recent.select(*columns, VERSION)

    def _store(self, bucket: int, base: pl.DataFrame, delta: pl.DataFrame) -> None:
        if delta.height * MERGE_AT > base.height:  # merge: the base holds everything again
            merged = pl.concat([base, delta])
            self._write(self._path(bucket), merged)
            self._write(self._path(bucket, "recent"), _recent_rows(merged))
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

    def _write(self, path: Path, frame: pl.DataFrame) -> None:
        private_folder(self.folder)
        temporary = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}")
        try:
            # each athlete's rows together, in start order; zstd reads fastest here (0.27 s
            # for 4.7 M runs, lz4 0.47, none 0.46) and is the smallest (145 MB)
            frame.sort("athlete_id", "start_utc").write_ipc(temporary, compression="zstd")
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


def _without(
    frame: pl.DataFrame, athletes: set[str], spans: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``frame`` without these athletes' rows: the rest is kept as slices, not copied (a
    filter would copy every column of the bucket). ``spans``: the frame's, if known."""
    if not athletes or frame.is_empty():
        return frame
    spans = _spans(frame) if spans is None else spans
    cut = spans.filter(pl.col("athlete_id").is_in(sorted(athletes))).sort("start")
    if cut.is_empty():
        return frame
    pieces, kept_from = [], 0
    for start, end in cut.select("start", "end").iter_rows():
        pieces.append(frame.slice(kept_from, start - kept_from))
        kept_from = end
    pieces.append(frame.slice(kept_from))
    return pl.concat(pieces)


def _recent_rows(base: pl.DataFrame) -> pl.DataFrame:
    """A base's rows from :data:`RECENT` before its newest run on (its recent file)."""
    newest = base.get_column("start_local").max()
    if newest is None:
        return base.clear()
    return base.filter(pl.col("start_local") >= newest - RECENT)  # type: ignore[operator]
