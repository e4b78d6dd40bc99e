"""Where a store lives and one connection to it: a SQLite file (the embedded default) or
a PostgreSQL database, chosen by what ``--db`` / ``LOADGUARD_DB`` says.

SQLAlchemy makes the connections (URLs, drivers, PostgreSQL's pool, errors that are the
same classes on both). The store's SQL is written once, in what both databases speak
(``ON CONFLICT``, ``RETURNING``, ``?`` parameters); :class:`Connection` hands it to the
driver in its own parameter style. What differs is kept here and in
:mod:`loadguard.store.migrations` (the schema's PostgreSQL spelling).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection as SAConnection
    from sqlalchemy.engine import CursorResult, Engine

Params = Sequence[Any]


class Cursor(Protocol):
    """What a statement gives back (sqlite3's cursor, SQLAlchemy's result)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class TargetError(ValueError):
    """A database address that names no database this version can open."""


@dataclass(frozen=True)
class Target:
    """One database: ``path`` for a SQLite file, ``url`` for PostgreSQL."""

    path: Path | None = None
    url: str | None = None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.path is not None else "postgresql"

    @property
    def address(self) -> str:
        """What :func:`target` reads back as this database (a job's argument)."""
        return str(self.path) if self.path is not None else str(self.url)

    @property
    def sqlalchemy_url(self) -> str:
        return f"sqlite:///{self.path}" if self.path is not None else str(self.url)

    def __str__(self) -> str:
        """How messages name it: the file, or the URL without its password."""
        if self.path is not None:
            return str(self.path)
        from sqlalchemy.engine import make_url

        shown = make_url(self.url or "").set(drivername="postgresql")
        return shown.render_as_string(hide_password=True)


def target(given: str | Path | Target) -> Target:
    """The database ``given`` names: a path or ``sqlite:///path``, or a
    ``postgresql://user:password@host:port/name`` URL (``postgres://`` too)."""
    if isinstance(given, Target):
        return given
    text = str(given).strip()
    if not text:
        raise TargetError("the database address is empty: give a file path or a URL")
    if text.startswith("sqlite:///"):
        return Target(path=Path(text.removeprefix("sqlite:///")))
    scheme, sep, rest = text.partition("://")
    if not sep or not scheme.replace("+", "").isalnum():
        return Target(path=Path(text))
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        if not rest.partition("?")[0].strip("/"):
            raise TargetError(f"{text!r} names no server or database")
        return Target(url=f"postgresql+psycopg://{rest}")
    raise TargetError(
        f"{scheme}:// databases are not supported: give a SQLite file (a path, or"
        " sqlite:///path) or postgresql://user@host/database"
    )


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(where: Target) -> Engine:
    """PostgreSQL's engine, one per URL per process (it holds the connection pool)."""
    url = where.url or ""
    with _engines_lock:
        found = _engines.get(url)
        if found is None:
            from sqlalchemy import create_engine, event

            # The web app keeps a store per worker thread (40 in its pool), the daemon
            # and a worker's tasks a few more: room for all, idle ones kept to 5.
            found = create_engine(url, pool_size=5, max_overflow=50, pool_pre_ping=True)
            event.listen(found, "connect", _postgres_connected)
            _engines[url] = found
        return found


def _postgres_connected(dbapi_connection: Any, record: object) -> None:
    # Sums and averages of integers come back as numeric: read them as floats, the type
    # SQLite gives (the guard's frames and figures expect it).
    from psycopg.types.numeric import FloatLoader

    dbapi_connection.adapters.register_loader("numeric", FloatLoader)


def dispose_engines() -> None:
    """Close every pooled PostgreSQL connection (tests stopping a server, forked workers)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@lru_cache(maxsize=2048)
def _pyformat(sql: str) -> str:
    """``?`` parameters as psycopg's ``%s`` (a literal ``%`` doubled), outside quotes."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


def private_file(path: Path) -> None:
    """A new store is health data (GPS tracks, pain): its folders are made 0700 and the file
    0600 before SQLite opens it (its journal takes the file's mode)."""
    private_folder(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def private_folder(folder: Path) -> None:
    """``folder`` and every missing folder above it, made 0700 (what is there stays)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for made in reversed(missing):
        made.mkdir(mode=0o700, exist_ok=True)


def readable_by_others(path: Path) -> bool:
    """Whether users other than the owner may read the store file (mode 0644 and the like)."""
    try:
        return bool(path.stat().st_mode & 0o077)
    except OSError:
        return False


BLOB_CHUNK = 1 << 20

# How long a write waits for another process's write lock (an import commits every 0.5 s,
# a daemon's job in seconds) before giving up with StoreBusy: SQLite's busy timeout waits
# 10 s a try; the tries go on until this.
LOCK_WAIT_S = 600.0
# Told once when a write starts waiting (the CLI prints it), so a wait is never silent.
wait_notice: Callable[[str], None] | None = None


class StoreBusy(Exception):
    """Another process held the store's write lock for LOCK_WAIT_S: nothing was written."""


class Connection:
    """One open connection, in autocommit mode: transactions are explicit statements
    (``BEGIN``, savepoints), see :meth:`loadguard.store.db.Store.atomic`."""

    def __init__(self, where: Target) -> None:
        self.target = where
        self.dialect = where.dialect
        self._sa: SAConnection
        if where.path is not None:
            import sqlite3

            # SQLite: a plain driver connection per store (cheap to open; a file replaced
            # at the same path is never served from a pool's stale handle).
            private_file(where.path)
            self._sqlite: Any = sqlite3.connect(where.path, isolation_level=None)
            self._sqlite_error: type[Exception] = sqlite3.OperationalError
        else:
            self._sqlite = None
            self._sa = _engine(where).connect().execution_options(isolation_level="AUTOCOMMIT")

    def begin(self, statement: str) -> None:
        """Start a transaction; on SQLite, wait for another process's write lock (saying so
        once through :data:`wait_notice`) up to LOCK_WAIT_S, then StoreBusy."""
        if self._sqlite is None:
            self.execute(statement)
            return
        deadline, told = time.monotonic() + LOCK_WAIT_S, False
        while True:
            try:
                self._sqlite.execute(statement)
                return
            except self._sqlite_error as err:
                if "locked" not in str(err) and "busy" not in str(err):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"{self.target} stayed locked by another process for"
                        f" {LOCK_WAIT_S:.0f} s (an import?); nothing was written: try again"
                    ) from None
                if not told and wait_notice is not None:
                    wait_notice(f"waiting for {self.target}: another process is writing to it")
                    told = True

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Run one statement; the result has ``fetchone``, ``fetchall``, ``rowcount`` and
        iterates over rows (tuples)."""
        if self._sqlite is not None:
            found: Cursor = self._sqlite.execute(sql, params)
            return found
        result: CursorResult[Any] = self._live().exec_driver_sql(_pyformat(sql), tuple(params))
        return result  # type: ignore[return-value]

    def executemany(self, sql: str, rows: Sequence[Params] | Iterator[Params]) -> None:
        listed = [tuple(r) for r in rows]
        if self._sqlite is not None:
            self._sqlite.executemany(sql, listed)
        elif listed:
            self._live().exec_driver_sql(_pyformat(sql), listed)

    def insert_blob(
        self, table: str, values: Mapping[str, object], column: str, blob: bytes
    ) -> int:
        """Insert a row of ``values`` with ``blob`` in ``column``; the new row's id. SQLite
        gets a zeroblob filled in place a MB at a time, not the bytes as one value: a 65 MB
        file then costs no copies in memory (measured: +2 MB against +138 MB)."""
        names = [*values, column]
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        if self._sqlite is None or len(blob) <= BLOB_CHUNK:
            found = self.execute(f"{sql} RETURNING id", (*values.values(), blob)).fetchone()
            return int(found[0])
        sql = sql[: -len("?)")] + "zeroblob(?)) RETURNING id"
        rowid = int(self._sqlite.execute(sql, (*values.values(), len(blob))).fetchone()[0])
        view = memoryview(blob)
        with self._sqlite.blobopen(table, column, rowid) as out:
            for at in range(0, len(blob), BLOB_CHUNK):
                out.write(view[at : at + BLOB_CHUNK])
        return rowid

    def _live(self) -> SAConnection:
        """PostgreSQL's connection; after the server went away (a restart, a failover)
        a new one: the statement that failed was reported to its caller."""
        if self._sa.invalidated:
            self._sa.rollback()
        return self._sa

    @property
    def in_transaction(self) -> bool:
        if self._sqlite is not None:
            return bool(self._sqlite.in_transaction)
        from psycopg.pq import TransactionStatus

        if self._sa.invalidated:
            return False
        raw: Any = self._sa.connection.dbapi_connection
        return bool(raw.info.transaction_status != TransactionStatus.IDLE)

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        else:
            with contextlib.suppress(*database_errors(self.dialect)):
                if self.in_transaction:
                    self._sa.exec_driver_sql("ROLLBACK")
            self._sa.close()


def integrity_errors(dialect: str) -> tuple[type[Exception], ...]:
    """What a broken UNIQUE or CHECK constraint raises on this database (SQLAlchemy,
    600 ms to import, only for PostgreSQL: a SQLite command never loads it)."""
    if dialect == "sqlite":
        import sqlite3

        return (sqlite3.IntegrityError,)
    from sqlalchemy.exc import IntegrityError

    return (IntegrityError,)


def database_errors(dialect: str) -> tuple[type[Exception], ...]:
    """What a database that can't be reached or read raises on this database."""
    if dialect == "sqlite":
        import sqlite3

        return (sqlite3.DatabaseError,)
    from sqlalchemy.exc import DBAPIError

    return (DBAPIError,)


def chunks(ids: Sequence[str], size: int = 5000) -> list[list[str]]:
    """Ids in pieces one query's parameters can hold (SQLite allows 32,766)."""
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def connection_lost(dialect: str, exc: BaseException) -> bool:
    """Whether ``exc`` says the database went away mid-work (a restart, a dropped
    connection): the work is to be tried again, not failed. SQLite's file never does."""
    if dialect == "sqlite":
        return False
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def json_field(dialect: str, column: str) -> str:
    """SQL for the field of a JSON text ``column`` named by the next parameter."""
    if dialect == "sqlite":
        return f"json_extract({column}, '$.' || ?)"
    return f"({column}::jsonb ->> CAST(? AS TEXT))"
