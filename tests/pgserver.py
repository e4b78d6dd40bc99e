"""A real PostgreSQL server for the tests, the benchmarks and `make cluster`: Debian's
``postgresql`` binaries, a cluster made in a temporary folder (or a kept one), listening
on 127.0.0.1, stopped at the end. Each test gets a database of its own, cloned from a
migrated template.

As root (CI) the server runs as the ``postgres`` user, as PostgreSQL insists.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
SKIP_ENV = "LOADGUARD_SKIP_POSTGRES"


def _binary(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed: `apt install postgresql` (the tests start"
            f" their own server), or set {SKIP_ENV}=1 to leave its tests out"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ToolFailed(subprocess.CalledProcessError):
    """A PostgreSQL tool that failed, its message and the server log's tail shown."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.stderr}"


class PostgresServer:
    """``start()``, then :meth:`new_database` for each test, then ``stop()``."""

    def __init__(self, folder: Path | None = None, port: int | None = None) -> None:
        """In a new temporary folder, or in ``folder`` (kept, made once: `make cluster`)."""
        self.keep = folder is not None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="loadguard-pg-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data = self.folder / "data"
        self.port = port or _free_port()
        self.as_postgres = os.geteuid() == 0
        self._count = 0
        self._lock = threading.Lock()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:  # the tool's own words in the failure, not only its exit status
            raise ToolFailed(
                done.returncode, command, done.stdout, f"{done.stderr}\n{self._log_tail()}"
            )
        return done

    def _log_tail(self) -> str:
        log = self.folder / "log"
        lines = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
        return "server log:\n" + "\n".join(lines)

    def start(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        if self.keep and (self.data / "postmaster.pid").exists():
            try:
                self.ctl("status")
                return  # a kept cluster left running: use it
            except subprocess.CalledProcessError:
                pass
        if not (self.data / "PG_VERSION").exists():
            self._run(
                _binary("initdb"), "-D", str(self.data), "-U", "loadguard", "-A", "trust",
                "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync",
            )  # fmt: skip
        self._start()

    def _options(self) -> str:
        # sockets in its own folder, enough connections for the web tests' pools and
        # workers; a throw-away test server skips fsync, a kept one does not
        fast = (
            "" if self.keep else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        return (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
            f" -c max_connections=300{fast}"
        )

    def ctl(self, *args: str) -> None:
        self._run(_binary("pg_ctl"), "-D", str(self.data), *args)

    def restart(self) -> None:
        """Stop (every connection cut, what was committed kept: "fast", as a service
        restart does) and start again on the same port. On a busy machine a fast stop can
        outlast pg_ctl's wait: then it is stopped "immediate" if it still runs (crash
        recovery on start keeps what was committed all the same)."""
        try:
            self.ctl("stop", "-m", "fast", "-w", "-t", "60")
        except subprocess.CalledProcessError:
            if self.running():
                self.ctl("stop", "-m", "immediate", "-w", "-t", "60")
        self._start()

    def running(self) -> bool:
        try:
            self.ctl("status")
        except subprocess.CalledProcessError:
            return False
        return True

    def _start(self) -> None:
        self.ctl("start", "-w", "-t", "60", "-l", str(self.folder / "log"), "-o", self._options())

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://loadguard@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = self._run(
            _binary("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "loadguard",
            "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement,
        )  # fmt: skip
        return done.stdout.strip()

    def database(self, name: str) -> str:
        """The URL of database ``name``, made if missing (migrated when first opened)."""
        if not self.sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            self.sql(f"CREATE DATABASE {name}")
        return self.url(name)

    def new_database(self) -> str:
        """A new, empty (migrated) database's URL."""
        with self._lock:
            self._count += 1
            name = f"t{self._count}"
            if self._count == 1:
                self._make_template()
            if not self.running():  # a test that stopped it and failed: start it again
                self._start()
            self.sql(f"CREATE DATABASE {name} TEMPLATE lg_template")
        # its own identity, as a new store has (caches key on it)
        self.sql("UPDATE store_meta SET value = md5(random()::text) WHERE key = 'id'", name)
        return self.url(name)

    def _make_template(self) -> None:
        from loadguard.store.db import Store

        self.sql("CREATE DATABASE lg_template")
        Store(self.url("lg_template")).close()
        from loadguard.store.sql import dispose_engines

        dispose_engines()  # no connection may stay open to a template

    def stop(self) -> None:
        from loadguard.store.sql import dispose_engines

        dispose_engines()
        try:
            self.ctl("stop", "-m", "fast" if self.keep else "immediate", "-w")
        finally:
            if not self.keep:
                shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
