"""Find FIT files: a single file, a folder (e.g. a watch's GARMIN/Activity), or a zip.

Garmin Connect exports are zips holding .fit files, sometimes inside further zips,
sometimes gzipped; the core's :mod:`loadguard.files` walks them all, in a sorted
order, and anything that cannot be read becomes a :class:`FetchFailure`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from loadguard import files
from loadguard.contract import FetchFailure, RawRecord

SOURCE = "fit"
MEDIA_TYPE = "application/vnd.ant.fit"


def fetch(target: str) -> Iterator[RawRecord | FetchFailure]:
    """Yield every .fit file under ``target`` as a RawRecord, or a FetchFailure."""
    for item in files.find(target, {SOURCE}, SOURCE):
        yield item if isinstance(item, FetchFailure) else record(item.payload, item.origin)


def record(payload: bytes, origin: str) -> RawRecord:
    key = hashlib.sha256(payload).hexdigest()
    return RawRecord(SOURCE, key, payload, MEDIA_TYPE, origin)
