"""Pushed events from the spool into the store's queue (see :mod:`loadguard.store.spool`).

The web app only spools (so its answer never waits on the store); :func:`drain` moves
what is spooled into the ``events`` table in one transaction a batch, queues a task for
each new event, then deletes the batch. It runs in the server's drainer thread, and once
at start for whatever a stopped server left.
"""

from __future__ import annotations

import logging

from loadguard.app.tasks import TaskQueue
from loadguard.store.accounts import queue_event, still_pending
from loadguard.store.db import Store
from loadguard.store.spool import Spool, Spooled

log = logging.getLogger("loadguard.intake")


def lock_for(event: Spooled) -> str | None:
    """One provider athlete's events run in order, whichever worker takes them."""
    owner = event.payload.get("owner_id")
    return f"{event.source}:{owner}" if owner is not None else None


def drain(store: Store, spool: Spool, tasks: TaskQueue) -> int:
    """Move every whole spooled batch into the store; how many events were new."""
    new = 0
    for path in spool.pending():
        events = spool.read(path)
        again = spool.was_stored(path)  # a drain before stored it, then failed to queue
        queued: list[tuple[int, str | None]] = []
        with store.atomic():  # waits for the store's write lock as long as it must
            for event in events:
                event_id = queue_event(store, event.source, event.key, dict(event.payload))
                if event_id is not None:
                    queued.append((event_id, lock_for(event)))
                    new += 1
                elif again and (waiting := still_pending(store, event.source, event.key)):
                    # its queueing failed (the database restarting): queued again now
                    # rather than by the sweep a minute later; a provider's second delivery
                    # of an event already queued is not (it would run twice)
                    queued.append((waiting, lock_for(event)))
        spool.stored(path)
        for event_id, lock in queued:
            tasks.defer("process_event", lock=lock, event_id=event_id)
        spool.done(path)
    if new:
        log.info("%d pushed event(s) queued from the spool", new)
    return new
