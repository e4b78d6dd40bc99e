"""loadguard connector for GPX and TCX files: the exports of Coros, Suunto, Polar, Apple
Watch (through apps), older Garmins and Strava, plain or gzipped, in folders and zips."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from loadguard import files
from loadguard.contract import Activity, FetchFailure, RawRecord

from . import gpx, tcx

__all__ = ["GpxConnector", "TcxConnector"]


class _TrackFiles:
    name: str
    media_type: str

    def fetch(self, target: str) -> Iterator[RawRecord | FetchFailure]:
        for item in files.find(target, {self.name}, self.name):
            yield item if isinstance(item, FetchFailure) else self.record(item.payload, item.origin)

    def record(self, payload: bytes, origin: str) -> RawRecord:
        return RawRecord(
            self.name, hashlib.sha256(payload).hexdigest(), payload, self.media_type, origin
        )


class GpxConnector(_TrackFiles):
    """Reads .gpx files: every track with times is an activity."""

    name = gpx.SOURCE
    media_type = gpx.MEDIA_TYPE

    def normalise(self, raw: RawRecord) -> list[Activity]:
        return gpx.activities(raw.payload, raw.key)


class TcxConnector(_TrackFiles):
    """Reads .tcx files: every <Activity> is an activity."""

    name = tcx.SOURCE
    media_type = tcx.MEDIA_TYPE

    def normalise(self, raw: RawRecord) -> list[Activity]:
        return tcx.activities(raw.payload, raw.key)
