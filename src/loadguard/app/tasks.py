"""Work as tasks, behind one API: a webhook event (and the guard pass it calls for), alert
delivery.

Two engines, chosen by the store:

- **Embedded (SQLite, one process):** today's threads. ``defer`` wakes the server's
  event worker; the daemon's scheduler runs the rest. No other server, nothing to set up.
- **At scale (PostgreSQL):** `Procrastinate <https://procrastinate.readthedocs.io>`_,
  a task queue kept in the same PostgreSQL database (:mod:`loadguard.app.pgqueue`).
  Any number of ``loadguard worker`` processes on any number of machines share it; a
  task whose worker died is run again by another.

Every task is safe to run twice: an event is processed only while it is pending, an
import stores a raw record once, an alert once per subject and severity, a send once.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from loadguard.store.sql import Target


class TaskQueue(Protocol):
    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None:
        """Run ``task`` with ``args`` soon, somewhere; tasks with the same ``lock`` run one
        at a time, in order."""
        ...


class ThreadQueue:
    """The embedded engine: events are durable in the store's ``events`` table and
    processed in order by the server's worker thread, which ``defer`` wakes."""

    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None:
        self.wake.set()


def queue_for(db: Target, wake: threading.Event) -> TaskQueue:
    """The engine for this store: Procrastinate on PostgreSQL, else this process's threads."""
    if db.dialect == "postgresql":
        from loadguard.app.pgqueue import ProcrastinateQueue

        return ProcrastinateQueue(db)
    return ThreadQueue(wake)
