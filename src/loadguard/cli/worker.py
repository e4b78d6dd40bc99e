"""`loadguard worker`: run queued tasks (webhook events and their guard passes, deliveries)
and the scheduled jobs, beside any number of other workers on a PostgreSQL store."""

from __future__ import annotations

import logging
import os
import socket
from typing import Annotated

import typer

from loadguard import settings
from loadguard.cli.common import State, fail, out
from loadguard.store.db import Store, StoreError, default_db


def worker_command(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Tasks this worker runs at once.")
    ] = 2,
    scheduler: Annotated[
        bool,
        typer.Option(help="Run the scheduled jobs too (each runs once among all workers)."),
    ] = True,
    verbose: Annotated[bool, typer.Option(help="Log every task.")] = False,
) -> None:
    """Work through the task queue of a PostgreSQL store until stopped.

    Start as many as the load needs, on any machines that reach the database; a task
    whose worker dies is run again by another. A SQLite store needs no workers:
    `loadguard serve` or `loadguard daemon` does the work in one process."""
    db = State.db or default_db()
    if db.dialect != "postgresql":
        raise fail(
            f"{db} is a SQLite file: its work runs inside `loadguard serve` or"
            " `loadguard daemon`. Workers share a PostgreSQL store"
            " (--db postgresql://user@host/name)."
        )
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from loadguard.app.daemon import Daemon
    from loadguard.app.pgqueue import run_worker

    name = f"{socket.gethostname()}:{os.getpid()}"
    daemon = None
    try:
        Store(db).close()  # reachable, and at the current schema
        if scheduler:
            daemon = Daemon(db)
            daemon.start()
    except (StoreError, settings.SettingsError) as exc:
        raise fail(str(exc)) from None
    out.print(f"loadguard worker {name} running; Ctrl-C stops", highlight=False)
    out.print(f"  store: {db}", highlight=False, soft_wrap=True)
    try:
        run_worker(db, concurrency, name)
    except KeyboardInterrupt:
        pass
    finally:
        if daemon is not None:
            daemon.stop()
    out.print("stopped")
