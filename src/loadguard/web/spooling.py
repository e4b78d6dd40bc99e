"""Group commit for pushed events: each webhook POST waits until its event is on disk in
the spool (:mod:`loadguard.store.spool`), and the events that arrive while one batch is
being synced go together in the next. A flood of posts costs a few file syncs, not one
store transaction each, and never waits on the store's write lock."""

from __future__ import annotations

import asyncio
import threading

from loadguard.store.spool import Spool, Spooled


class Intake:
    def __init__(self, spool: Spool, written: threading.Event) -> None:
        self.spool = spool
        self.written = written  # set after each batch: the drainer's cue
        self._waiting: list[tuple[Spooled, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def put(self, event: Spooled) -> None:
        """Returns once the event is durably spooled; OSError if the spool cannot be
        written (the provider is then answered 503 and sends it again)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self.spool.put, [event for event, _ in batch])
            except OSError as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)
            self.written.set()
