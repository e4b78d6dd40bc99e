"""loadguard connector for Strava.

Pull (`loadguard strava sync`) and push (webhooks served by `loadguard serve`)
both end in the same raw records: one activity's JSON with its streams. The
connector contract's ``fetch`` reads such records back from files (a backup
folder of ``*.json`` bundles); ``normalise`` turns one into an Activity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from loadguard.contract import Activity, FetchFailure, RawRecord

from .normalise import MEDIA_TYPE, SOURCE, normalise


class StravaConnector:
    name = SOURCE

    def fetch(self, target: str) -> Iterator[RawRecord | FetchFailure]:
        root = Path(target)
        if not root.exists():
            yield FetchFailure(SOURCE, target, "no such file or folder")
            return
        paths = [root] if root.is_file() else sorted(root.rglob("*.json"))
        for path in paths:
            try:
                payload = path.read_bytes()
            except OSError as err:
                yield FetchFailure(SOURCE, str(path), f"cannot read: {err.strerror}")
                continue
            key = path.stem if path.stem.isdigit() else hashlib.sha256(payload).hexdigest()
            yield RawRecord(SOURCE, key, payload, MEDIA_TYPE, str(path))

    def normalise(self, raw: RawRecord) -> list[Activity]:
        return normalise(raw)


__all__ = ["StravaConnector"]
