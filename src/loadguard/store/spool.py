"""The webhook spool: pushed events on disk before they are answered, without the store.

A provider wants its POST answered within seconds, but the store may be held by a long
import (SQLite has one writer). So the web app writes each batch of accepted events to a
file of its own here (written, synced, then renamed into place, so a file is either whole
or absent) and answers; a drainer moves the files' events into the ``events`` table when
the store is free, then deletes the files. Moving an event twice is harmless: the table
keeps one event per (source, key).

A SQLite store's spool is the folder beside it (``loadguard.sqlite.spool/``); a
PostgreSQL store's is in the user's state folder, one per database.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadguard.store.beside import folder_beside
from loadguard.store.sql import Target, private_folder

SUFFIX = ".events"
STORED = ".stored"  # beside a batch its drain stored: queueing it may have failed


@dataclass(frozen=True)
class Spooled:
    """One pushed event as it was accepted: the provider, its key, its payload."""

    source: str
    key: str
    payload: Mapping[str, Any]


def folder_for(db: Target) -> Path:
    return folder_beside(db, "spool")


class Spool:
    """Batches of events in files named so that they sort in the order written."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._count = itertools.count()
        self._made = False
        self._lock = threading.Lock()

    def put(self, events: Sequence[Spooled]) -> Path:
        """Write one batch durably (synced file, synced rename); its file."""
        with self._lock:
            if not self._made:
                private_folder(self.folder)
                self._made = True
            name = f"{os.getpid()}-{os.urandom(4).hex()}-{next(self._count):09d}"
        lines = "".join(
            json.dumps({"source": e.source, "key": e.key, "payload": e.payload}) + "\n"
            for e in events
        )
        stamp = f"{time.time_ns():020d}-{name}"
        part = self.folder / f"{stamp}.part"
        fd = os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            os.write(fd, lines.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        final = part.with_suffix(SUFFIX)
        os.replace(part, final)
        _sync_folder(self.folder)
        return final

    def pending(self) -> list[Path]:
        """The whole batches not yet moved, oldest first (a ``.part`` a crash left is not
        one: its answer was never sent, so the provider sends it again)."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob(f"*{SUFFIX}"))

    @staticmethod
    def read(path: Path) -> list[Spooled]:
        """A batch's events; a line that is not whole (a disk that lied) is skipped."""
        found: list[Spooled] = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                item = json.loads(line)
                found.append(Spooled(str(item["source"]), str(item["key"]), item["payload"]))
            except (ValueError, KeyError, TypeError):
                continue
        return found

    @staticmethod
    def stored(path: Path) -> None:
        """Mark a batch as in the store (its events may still wait to be queued)."""
        path.with_suffix(STORED).touch()

    @staticmethod
    def was_stored(path: Path) -> bool:
        """Whether a drain before stored this batch, and did not finish queueing it."""
        return path.with_suffix(STORED).exists()

    @staticmethod
    def done(path: Path) -> None:
        path.unlink(missing_ok=True)
        path.with_suffix(STORED).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
