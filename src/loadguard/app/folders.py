"""Watched folders: which activity files (.fit, .gpx, .tcx) are new or changed since the last look.

A synced watch folder (``[watch] anna = "/media/GARMIN/Activity"``) is scanned on a
schedule; a file is taken once it has not been written to for ``SETTLE_S`` (a
watch still copying it is left for the next scan). Each file's size and mtime
are remembered in the store, so a restart does not import everything again
(it would be a no-op anyway: imports skip known content) and a file rewritten
later (a half-written one completed) is taken again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from loadguard import files
from loadguard.store.db import Store, now_iso

SETTLE_S = 0.2
# What a watch or a synced app folder holds: activity files, plain or gzipped, and zips.
SUFFIXES = frozenset({"fit", "gpx", "tcx", "zip"})


@dataclass(frozen=True)
class Seen:
    path: Path
    size: int
    mtime_ns: int


class WatchError(Exception):
    """A watched folder that cannot be read; names it and why."""


def scan(folder: Path, now_ns: int) -> list[Seen]:
    """The settled activity files and zips under ``folder`` (recursively)."""
    if not folder.is_dir():
        raise WatchError(f"watched folder {folder} does not exist or is not a folder")
    found: list[Seen] = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if files.suffix_of(name) not in SUFFIXES:
                continue
            path = Path(root, name)
            try:
                st = path.stat()
            except OSError:
                continue  # gone between listing and looking
            if now_ns - st.st_mtime_ns >= SETTLE_S * 1e9:
                found.append(Seen(path, st.st_size, st.st_mtime_ns))
    return sorted(found, key=lambda s: (s.mtime_ns, str(s.path)))


def changed(store: Store, athlete_id: str, found: list[Seen]) -> list[Seen]:
    known = {
        row[0]: (row[1], row[2])
        for row in store.conn.execute(
            "SELECT path, size, mtime_ns FROM watched_files WHERE athlete_id = ?", (athlete_id,)
        )
    }
    return [f for f in found if known.get(str(f.path)) != (f.size, f.mtime_ns)]


def remember(store: Store, athlete_id: str, seen: Seen) -> None:
    store.conn.execute(
        "INSERT INTO watched_files (athlete_id, path, size, mtime_ns, seen_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(athlete_id, path) DO UPDATE SET"
        " size = excluded.size, mtime_ns = excluded.mtime_ns, seen_at = excluded.seen_at",
        (athlete_id, str(seen.path), seen.size, seen.mtime_ns, now_iso()),
    )
