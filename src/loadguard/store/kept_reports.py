"""Check reports kept on disk beside the store until what they were made from changes.

A report is a pure function of the athlete's data (its version: :mod:`.beside`), the
athlete's record, the plan, the day, the sources left out and the code that made it; a
report's key is a digest of all of them. So a command asked again with nothing changed
(`check`, `shoe list`, a page after a restart) shows the kept report: no guard pass, and
no polars to load for it.

One file per athlete and view (the sources left out), holding the last report made;
written to a temporary file and renamed, so a reader sees a whole one. A file that is
missing, damaged or made under another key is a miss: the report is made again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import logging
import os
import threading
import time
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import msgspec

import loadguard
from loadguard.contract import Athlete
from loadguard.guard.plan import Plan
from loadguard.guard.report import Report
from loadguard.store.beside import folder_beside
from loadguard.store.db import Store
from loadguard.store.sql import private_folder

log = logging.getLogger("loadguard.kept_reports")

FORMAT = 1  # the file's layout
_forgotten_ns = 0  # files written before this are not read (forget)


# A report on disk: its key, and the report's fields but the athlete, the plan and the
# day (the caller has those, and the key says they are the ones it was made with).
_GIVEN = ("athlete", "plan", "as_of")
_Kept = msgspec.defstruct(
    "_Kept",
    [("key", str)]
    + [(name, kind) for name, kind in typing.get_type_hints(Report).items() if name not in _GIVEN],
    frozen=True,
    kw_only=True,
)


@dataclass(frozen=True)
class Place:
    """Where one athlete's report for one view is kept, and the key it must have."""

    path: Path
    key: str


@functools.cache
def _code() -> str:
    """A digest of loadguard's own files (each one's name, size and time): an upgrade, or
    an edit in a working copy, leaves every kept report stale. About 200 files: 1-2 ms."""
    digest = hashlib.sha256()
    for folder, dirs, names in os.walk(Path(loadguard.__file__).parent):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".toml")):  # the code, the plans, the catalogues
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


def place(
    store: Store, athlete: Athlete, version: int, as_of: date, plan: Plan, hide: frozenset[str]
) -> Place:
    """Where the report is kept and its key; ``version``: the athlete's (:func:`.beside.
    versions`), read before the report is made (a write to the athlete while it is made
    leaves the report made under the old key: a miss next time)."""
    parts = (
        FORMAT,
        _code(),
        store.identity,
        repr(athlete),
        hashlib.sha256(msgspec.json.encode(plan)).hexdigest(),
        version,
        as_of.isoformat(),
        sorted(hide),
    )
    key = hashlib.sha256(repr(parts).encode()).hexdigest()
    name = f"{_digest(athlete.id)}-{_digest(repr(sorted(hide)))}.msgpack"
    return Place(folder_beside(store.target, "reports") / name, key)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def forget_athlete(store: Store, athlete_id: str) -> None:
    """Delete every report kept for ``athlete_id`` (an athlete erased: nothing of theirs
    stays on disk)."""
    folder = folder_beside(store.target, "reports")
    for path in folder.glob(f"{_digest(athlete_id)}-*.msgpack"):
        path.unlink(missing_ok=True)


def load(at: Place, athlete: Athlete, plan: Plan, as_of: date) -> Report | None:
    """The report kept at ``at`` if it has ``at``'s key, else None."""
    try:
        with open(at.path, "rb") as file:
            if os.fstat(file.fileno()).st_mtime_ns < _forgotten_ns:
                return None
            data = file.read()
    except OSError:
        return None
    try:
        kept = msgspec.msgpack.decode(data, type=_Kept)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.debug("kept report %s cannot be read (%s): made again", at.path, exc)
        return None
    fields = msgspec.structs.asdict(kept)
    if fields.pop("key") != at.key:
        return None
    return Report(athlete=athlete, plan=plan, as_of=as_of, **fields)


def save(at: Place, report: Report) -> None:
    """Keep ``report`` at ``at``; a folder that cannot be written only means no kept report."""
    fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
    kept = _Kept(key=at.key, **{k: v for k, v in fields.items() if k not in _GIVEN})
    temporary = at.path.with_name(f".{at.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        private_folder(at.path.parent)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # health data
        with open(handle, "wb") as file:
            file.write(msgspec.msgpack.encode(kept))
        os.replace(temporary, at.path)
    except OSError as exc:
        log.debug("cannot keep the report in %s: %s", at.path.parent, exc)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def forget() -> None:
    """Read no report kept before now (benchmarks of the guard pass; a test of it)."""
    global _forgotten_ns
    _forgotten_ns = time.time_ns()
