"""``loadguard import`` without ``--source``: every file goes to the connector that reads
its kind, known by its suffix (``run.gpx.gz`` -> ``gpx``) or, for a file named otherwise,
by its first bytes; an export archive goes to the reader that claims it (Strava's bulk
export). Connectors stay unnamed here: a reader is the connector registered under the
suffix, loaded when the first such file turns up.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from loadguard import files
from loadguard.contract import FetchFailure, RawRecord
from loadguard.files import ArchiveReader, FileReader
from loadguard.sources import registry

AUTO = "auto"


@cache
def reader(suffix: str) -> FileReader | None:
    """The installed connector that reads files of this suffix, if any."""
    if not suffix or suffix not in registry.available():
        return None
    found = registry.connector(suffix)
    return found if isinstance(found, FileReader) else None


def read_file(suffix: str, payload: bytes, origin: str) -> RawRecord | None:
    """A file's raw record by the connector for its suffix or, failing that, its bytes."""
    found = reader(suffix) or reader(files.sniff(payload))
    return None if found is None else found.record(payload, origin)


def fetch(target: str) -> Iterator[RawRecord | FetchFailure]:
    """Every activity file under ``target``, each read by the connector for its kind."""
    path = Path(target).expanduser()
    archive = _claimed(path) if path.is_file() and files.is_zip(path) else None
    if archive is not None:
        yield from archive.fetch(target, read_file)
        return
    suffixes = set(registry.available())
    single = path.is_file()
    for item in files.find(target, suffixes, AUTO):
        if isinstance(item, FetchFailure):
            yield item
            continue
        raw = read_file(item.suffix, item.payload, item.origin)
        if raw is not None:
            yield raw
        elif single:  # a file the user named, of a kind nothing here reads
            yield FetchFailure(AUTO, item.origin, _unknown_kind(item.origin))


def _claimed(path: Path) -> ArchiveReader | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except files.ZIP_ERRORS:
        return None  # reported as an unreadable zip by the walk
    return next((r for r in registry.archive_readers() if r.claims(names)), None)


def _unknown_kind(origin: str) -> str:
    kinds = ", ".join(f".{name}" for name in registry.available() if reader(name)) or "none"
    return f"{origin}: not a kind of file loadguard reads (it reads {kinds}, plain or .gz)"
