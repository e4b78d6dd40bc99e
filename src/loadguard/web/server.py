"""`loadguard serve`: the web app and the webhook endpoints on uvicorn, a worker thread
for queued events, and (optionally) the scheduler.

A webhook POST is validated, spooled to disk and answered at once; the drainer thread
moves spooled events into the store's queue (:mod:`loadguard.app.intake`), and the worker
does the slow part (fetching, storing, the guard) through
:func:`loadguard.app.service.process_events`, with its own SQLite connection. Connections
are read under timeouts and client faults logged quietly (:mod:`loadguard.web.protocol`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from pathlib import Path

import uvicorn

from loadguard.app import intake, service
from loadguard.app.daemon import Daemon
from loadguard.app.tasks import queue_for
from loadguard.store.db import Store
from loadguard.store.spool import Spool, folder_for
from loadguard.store.sql import Target, target
from loadguard.web.app import create_app
from loadguard.web.protocol import GuardedH11, quiet_client_faults

log = logging.getLogger("loadguard.serve")


def connection_limit() -> int:
    """As many open connections as the process may hold files, less some for the store and
    logs: the soft limit is raised to the hard one first (Debian's soft 1,024 would refuse
    a burst of webhooks a server can answer). Past it, 503 (the provider retries)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return max(64, min(soft, 65536) - 128)


class GuardServer:
    """Listens as soon as it is made (so the port is known, 0 picks a free one)."""

    def __init__(
        self,
        db: str | Path | Target,
        host: str = "127.0.0.1",
        port: int = 8080,
        verbose: bool = False,
        *,
        scheduler: bool = False,
        work: bool = True,
    ) -> None:
        self.db = target(db)
        self.daemon: Daemon | None = Daemon(self.db) if scheduler else None
        self.wake = threading.Event()
        self.spooled = threading.Event()
        self.errors: list[str] = []
        self._stopping = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it, Nagle's algorithm against the
        # client's delayed ACK held every keep-alive response ~40 ms (measured: 48 ms
        # against 9 ms per request with requests.Session on loopback).
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self._socket.listen(2048)
        self.address = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            create_app(self.db, self.wake, self.spooled),
            log_level="info" if verbose else "warning",
            access_log=verbose,
            timeout_keep_alive=5,
            limit_concurrency=connection_limit(),
            proxy_headers=True,
            http=GuardedH11,
        )
        quiet_client_faults()
        self._uvicorn = uvicorn.Server(config)
        # the worker for queued tasks: the embedded engine's thread on SQLite; on PostgreSQL
        # a Procrastinate worker in this process, unless ``work`` is off (the scaled
        # set-up, where `loadguard worker` processes do it)
        embedded = self.db.dialect == "sqlite"
        self._worker = threading.Thread(
            target=self._work if embedded else self._work_queue, name="loadguard-tasks", daemon=True
        )
        self._works = embedded or work
        self._drainer = threading.Thread(target=self._drain, name="loadguard-spool", daemon=True)
        self._http: threading.Thread | None = None

    def __enter__(self) -> GuardServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> GuardServer:
        """Serve and work in background threads (tests, embedding); see run."""
        if self.daemon:
            self.daemon.start()
        self._start_worker()
        self._http = threading.Thread(
            target=self._uvicorn.run,
            kwargs={"sockets": [self._socket]},
            name="loadguard-http",
            daemon=True,
        )
        self._http.start()
        while not self._uvicorn.started and self._http.is_alive():
            self._stopping.wait(0.01)
        return self

    def _start_worker(self) -> None:
        self._drainer.start()
        if self._works:
            self._worker.start()

    def _work_queue(self) -> None:
        from loadguard.app.pgqueue import run_worker

        run_worker(self.db, 2, f"serve:{os.getpid()}", self._stopping)

    def run(self) -> None:
        """Serve in this thread until interrupted (the CLI; Ctrl-C stops)."""
        if self.daemon:
            self.daemon.start()
        self._start_worker()
        try:
            self._uvicorn.run(sockets=[self._socket])
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()
        if self.daemon:
            self.daemon.stop()
        self._uvicorn.should_exit = True
        if self._worker.is_alive():
            self._worker.join(timeout=20)
        if self._drainer.is_alive():
            self._drainer.join(timeout=20)
        if self._http is not None:
            self._http.join(timeout=10)
        self._socket.close()

    def _drain(self) -> None:
        """Spooled events into the store's queue: at start (what a stopped server left),
        then whenever a batch is spooled (or every second). A store held by an import
        makes it wait; the events are safe on disk meanwhile."""
        spool = Spool(folder_for(self.db))
        tasks = queue_for(self.db, self.wake)
        store: Store | None = None
        while not self._stopping.is_set():
            try:
                store = store or Store(self.db)
                intake.drain(store, spool, tasks)
            except Exception as exc:  # kept in the spool; tried again on a new connection
                log.warning("spool drainer: %s: %s", type(exc).__name__, exc)
                self.errors.append(f"{type(exc).__name__}: {exc}")
                if store is not None:
                    with contextlib.suppress(Exception):
                        store.close()
                    store = None
            self.spooled.wait(timeout=1.0)
            self.spooled.clear()
        if store is not None:
            store.close()

    def _work(self) -> None:
        with Store(self.db) as store:
            while not self._stopping.is_set():
                self.wake.wait(timeout=1.0)
                self.wake.clear()
                try:
                    while service.process_events(store):
                        pass
                except Exception as exc:  # keep serving; the event stays listed as failed
                    log.warning("event worker: %s: %s", type(exc).__name__, exc)
                    self.errors.append(f"{type(exc).__name__}: {exc}")
