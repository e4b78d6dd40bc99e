"""What is kept beside a store, made again from it whenever it is missing or stale: the
folder for it, and each athlete's *version* that says whether it is stale.

Beside a SQLite file (``<db>.<kind>/``), else in the user's state folder per database.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from loadguard.store.sql import Target, chunks

if TYPE_CHECKING:
    from loadguard.store.db import Store


def folder_beside(db: Target, kind: str) -> Path:
    """The folder for ``kind`` (frames, spool, reports) of the store ``db``."""
    if db.path is not None:
        return db.path.with_name(f"{db.path.name}.{kind}")
    digest = hashlib.sha256(str(db).encode()).hexdigest()[:16]
    return Path(platformdirs.user_state_dir("loadguard")) / kind / digest


def versions(store: Store, athlete_ids: Sequence[str]) -> dict[str, int]:
    """Each athlete's version: its revision, and when it was made (in one 56-bit int): an
    athlete deleted and made again counts its revisions anew, only the second differs."""
    rows = []
    for chunk in chunks(athlete_ids):
        marks = ",".join("?" * len(chunk))
        rows += store.conn.execute(
            f"SELECT id, revision, created_at FROM athletes WHERE id IN ({marks})", chunk
        ).fetchall()
    made = {str(r[0]): (int(r[1]), str(r[2])) for r in rows}
    return {
        a: ((zlib.crc32(created.encode()) & 0xFFFFFF) << 32) | (revision & 0xFFFFFFFF)
        for a, (revision, created) in made.items()
    }
