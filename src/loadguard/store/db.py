"""The store: where it lives (a SQLite file or PostgreSQL), opening it, athletes, shoes and
import failures. Raw records and activities live in :mod:`loadguard.store.activities`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import platformdirs

from loadguard import settings
from loadguard.contract import Athlete, HostError, Shoe
from loadguard.store.migrations import SchemaTooNew, migrate
from loadguard.store.sql import (
    Connection,
    Target,
    TargetError,
    chunks,
    database_errors,
    integrity_errors,
    target,
)

BATCH_BYTES = 64 * 1024 * 1024


class StoreError(HostError):
    """A request the store cannot honour (unknown athlete, duplicate shoe, ...)."""


def db_target(given: str | Path | Target) -> Target:
    """The database a ``--db`` or ``LOADGUARD_DB`` names: a SQLite file (a path, or
    ``sqlite:///path``) or ``postgresql://...``; anything else is refused by name."""
    try:
        return target(given)
    except TargetError as exc:
        raise StoreError(str(exc)) from None


def default_db() -> Target:
    """``LOADGUARD_DB`` if set, else the settings' store.path, else the user's data folder."""
    env = os.environ.get("LOADGUARD_DB")
    if env:
        return db_target(env)
    configured = settings.current().store.path
    if configured:
        return Target(path=configured.expanduser())
    return Target(path=Path(platformdirs.user_data_dir("loadguard")) / "loadguard.sqlite")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Failure:
    source: str
    origin: str
    reason: str
    attempts: int
    last_tried: str


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Store:
    """One open database (a SQLite file or PostgreSQL). Use as a context manager or call
    :meth:`close`."""

    def __init__(self, where: str | Path | Target) -> None:
        self.target = db_target(where)
        self._depth = 0
        known: tuple[type[Exception], ...] = (
            *database_errors(self.target.dialect),
            OSError,
            SchemaTooNew,
        )
        try:
            # Autocommit mode: transactions are explicit, see atomic() and batch().
            self.conn = Connection(self.target)
            if self.target.dialect == "sqlite":
                self._configure_sqlite()
            migrate(self.conn)
        except known as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(f"cannot open the database {self.target}: {reason}") from None

    @property
    def path(self) -> Path:
        """The SQLite file, or for PostgreSQL the user's data folder's stand-in name (files
        kept beside the store, such as map indexes, go in its folder)."""
        if self.target.path is not None:
            return self.target.path
        return Path(platformdirs.user_data_dir("loadguard")) / "postgresql"

    @property
    def dialect(self) -> str:
        return self.conn.dialect

    def _configure_sqlite(self) -> None:
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA page_size = 65536")  # large blobs, few overflow pages
        # A rollback journal, not WAL: an import appends megabytes of raw bytes, which
        # WAL writes twice (log, then checkpoint). Measured on 1,001 real FIT files:
        # 57 MB/s end to end against 47 MB/s with WAL. Readers wait out a batch's
        # commit (busy timeout) instead; the platform scale-out is PostgreSQL anyway.
        self.conn.execute("PRAGMA journal_mode = TRUNCATE")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA busy_timeout = 10000")

    def close(self) -> None:
        self.conn.close()

    @property
    def identity(self) -> str:
        """This database's own random id (made with it): the same file under another
        path keeps it, a new file at the same path has another."""
        found: str | None = getattr(self, "_identity", None)
        if found is None:
            row = self.conn.execute("SELECT value FROM store_meta WHERE key = 'id'").fetchone()
            found = self._identity = str(row[0])
        return found

    def revision(self, athlete_id: str) -> int:
        """How often what the guard reads of this athlete has changed (triggers count every
        write to runs, surfaces, corrections, shoes, pain, symptoms, conditions, plan)."""
        row = self.conn.execute(
            "SELECT revision FROM athletes WHERE id = ?", (athlete_id,)
        ).fetchone()
        return int(row[0]) if row else -1

    def revisions(self, athlete_ids: list[str]) -> dict[str, int]:
        """:meth:`revision` of many athletes in one query (a coach's list)."""
        marks = ",".join("?" * len(athlete_ids))
        rows = self.conn.execute(
            f"SELECT id, revision FROM athletes WHERE id IN ({marks})", athlete_ids
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    @property
    def _begin(self) -> str:
        # SQLite: take the write lock at once (no deadlock upgrading a read lock);
        # PostgreSQL locks rows, not the database.
        return "BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN"

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """All or nothing: a savepoint inside a batch, else a transaction of its own.

        An outermost one starts with BEGIN IMMEDIATE: it takes the write lock first
        (waiting out the busy timeout), so two threads or processes (the daemon's jobs,
        the webhook worker, the CLI) never deadlock upgrading a read lock to a write.
        """
        if not self.conn.in_transaction:
            self.conn.begin(self._begin)
            try:
                with self.atomic():
                    yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            return
        name = f"lg{self._depth}"
        self._depth += 1
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        else:
            self.conn.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1

    @contextmanager
    def batch(self, max_bytes: int = BATCH_BYTES) -> Iterator[Callable[[int], None]]:
        """Group many atomic writes into few commits (an import writes megabytes per file).

        Yields ``wrote(n)``: report bytes written; the batch commits once it holds
        ``max_bytes``. Each write inside stays atomic on its own (a savepoint), and
        what completed is committed even when the loop stops with an error.
        """
        if self._depth:
            yield lambda n: None  # already inside a batch or an atomic write
            return
        held = 0

        def wrote(n: int) -> None:
            nonlocal held
            held += n
            if held >= max_bytes:
                self.conn.execute("COMMIT")
                self.conn.begin(self._begin)
                held = 0

        self.conn.begin(self._begin)
        self._depth += 1
        try:
            yield wrote
        finally:
            self._depth -= 1
            self.conn.execute("COMMIT")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- athletes -------------------------------------------------------------
    def add_athlete(
        self,
        athlete_id: str,
        name: str,
        plan_id: str,
        plan_start: date,
        timezone: str,
        language: str = "",
    ) -> Athlete:
        from loadguard.store.fields import check_athlete  # it imports StoreError from here

        check_athlete(athlete_id, name, timezone)
        with self.atomic():
            self.conn.execute(
                "INSERT INTO athletes (id, name, plan_id, plan_start, timezone, language,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " name = excluded.name, plan_id = excluded.plan_id,"
                " plan_start = excluded.plan_start, timezone = excluded.timezone,"
                " language = excluded.language",
                (athlete_id, name, plan_id, plan_start.isoformat(), timezone, language, now_iso()),
            )
        return self.athlete(athlete_id)

    def athletes(self, ids: list[str] | None = None) -> list[Athlete]:
        """Every athlete, or those of ``ids`` (in id order)."""
        where = f" WHERE id IN ({','.join('?' * len(ids))})" if ids is not None else ""
        rows = self.conn.execute(
            "SELECT id, name, plan_id, plan_start, timezone, language FROM athletes"
            f"{where} ORDER BY id",
            ids or [],
        ).fetchall()
        return [Athlete(r[0], r[1], r[2], date.fromisoformat(r[3]), r[4], r[5]) for r in rows]

    def athlete(self, athlete_id: str | None = None) -> Athlete:
        """The named athlete, or the only one when no name is given."""
        if athlete_id is not None:
            found = self.athletes([athlete_id])
            if found:
                return found[0]
            raise StoreError(f"no athlete {athlete_id!r} in {self.target}")
        everyone = self.athletes()
        if athlete_id is None:
            if len(everyone) == 1:
                return everyone[0]
            if not everyone:
                raise StoreError("no athlete yet: run `loadguard athlete add` first")
            names = ", ".join(a.id for a in everyone)
            raise StoreError(f"several athletes in this store ({names}): name one with --athlete")
        for a in everyone:
            if a.id == athlete_id:
                return a
        raise StoreError(f"no athlete {athlete_id!r} in {self.target}")

    # -- shoes ----------------------------------------------------------------
    def add_shoe(
        self,
        athlete_id: str,
        name: str,
        *,
        initial_km: float = 0.0,
        heel_stack_mm: float | None = None,
        drop_mm: float | None = None,
        minimalist: bool | None = None,
        default_from: date | None = None,
        gear_id: str | None = None,
    ) -> Shoe:
        if initial_km < 0:
            raise StoreError(f"shoe {name!r}: initial km must be 0 or more, got {initial_km}")
        for label, value in (("heel stack", heel_stack_mm), ("drop", drop_mm)):
            if value is not None and not 0 <= value <= 60:
                raise StoreError(f"shoe {name!r}: {label} {value} mm is outside 0-60 mm")
        try:
            with self.atomic():
                cur = self.conn.execute(
                    "INSERT INTO shoes (athlete_id, name, initial_km, heel_stack_mm, drop_mm,"
                    " minimalist, default_from, gear_id, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        athlete_id,
                        name,
                        initial_km,
                        heel_stack_mm,
                        drop_mm,
                        None if minimalist is None else int(minimalist),
                        default_from.isoformat() if default_from else None,
                        gear_id,
                        now_iso(),
                    ),
                )
                shoe_id = cur.fetchone()[0]
        except integrity_errors(self.dialect):
            raise StoreError(f"athlete {athlete_id!r} already has a shoe named {name!r}") from None
        return self.shoe(athlete_id, str(shoe_id))

    def shoes(self, athlete_id: str) -> list[Shoe]:
        return self.shoes_of([athlete_id])

    def shoes_of(self, athlete_ids: list[str]) -> list[Shoe]:
        """Every shoe of these athletes, by athlete and id."""
        return [
            Shoe(r[0], r[1], r[2], r[3], r[4], r[5], _flag(r[6]), _date(r[7]), _date(r[8]), r[9])
            for r in self.shoe_rows(athlete_ids)
        ]

    def shoe_rows(self, athlete_ids: list[str]) -> list[tuple[Any, ...]]:
        """:meth:`shoes_of` as stored (minimalist 0/1, ISO dates), a query per 5,000."""
        rows = []
        for chunk in chunks(athlete_ids):
            rows += self.conn.execute(
                "SELECT id, athlete_id, name, initial_km, heel_stack_mm, drop_mm, minimalist,"
                " default_from, retired_on, gear_id FROM shoes WHERE athlete_id IN"
                f" ({','.join('?' * len(chunk))}) ORDER BY athlete_id, id",
                chunk,
            ).fetchall()
        return rows

    def shoe(self, athlete_id: str, ref: str) -> Shoe:
        """A shoe by id or by name."""
        for s in self.shoes(athlete_id):
            if str(s.id) == ref or s.name == ref:
                return s
        raise StoreError(f"athlete {athlete_id!r} has no shoe {ref!r} (see `loadguard shoe list`)")

    def set_initial_km(self, shoe_id: int, km: float, gear_id: str | None = None) -> None:
        """Reconcile a provider's shoe: the km it had before its first synced activity
        (``gear_id``: the provider's id for a shoe the runner already had by name)."""
        with self.atomic():
            self.conn.execute(
                "UPDATE shoes SET initial_km = ?, gear_id = COALESCE(?, gear_id) WHERE id = ?",
                (max(0.0, km), gear_id, shoe_id),
            )

    def delete_provider_shoes(self, athlete_id: str) -> int:
        """Remove the shoes a provider supplied (they carry its gear id)."""
        with self.atomic():
            cur = self.conn.execute(
                "DELETE FROM shoes WHERE athlete_id = ? AND gear_id IS NOT NULL", (athlete_id,)
            )
        return cur.rowcount

    def retire_shoe(self, athlete_id: str, ref: str, on: date) -> Shoe:
        shoe = self.shoe(athlete_id, ref)
        with self.atomic():
            self.conn.execute(
                "UPDATE shoes SET retired_on = ? WHERE id = ?", (on.isoformat(), shoe.id)
            )
        return self.shoe(athlete_id, str(shoe.id))

    # -- import failures ------------------------------------------------------
    def record_failure(
        self, athlete_id: str, source: str, origin: str, reason: str, key: str | None
    ) -> None:
        stamp = now_iso()
        self.conn.execute(
            "INSERT INTO import_failures (athlete_id, source, origin, key, reason, first_seen,"
            " last_tried) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(athlete_id, source, origin) DO UPDATE SET reason = excluded.reason,"
            " key = excluded.key, last_tried = excluded.last_tried,"
            " attempts = import_failures.attempts + 1",
            (athlete_id, source, origin, key, reason, stamp, stamp),
        )

    def clear_failure(self, athlete_id: str, source: str, origin: str) -> None:
        self.conn.execute(
            "DELETE FROM import_failures WHERE athlete_id = ? AND source = ? AND origin = ?",
            (athlete_id, source, origin),
        )

    def failures(self, athlete_id: str) -> list[Failure]:
        rows = self.conn.execute(
            "SELECT source, origin, reason, attempts, last_tried FROM import_failures"
            " WHERE athlete_id = ? ORDER BY origin",
            (athlete_id,),
        ).fetchall()
        return [Failure(*r) for r in rows]
