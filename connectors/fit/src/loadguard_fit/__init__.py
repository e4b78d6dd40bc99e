"""loadguard connector for Garmin/ANT FIT files: a watch folder, a file, or an export zip."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from loadguard.contract import Activity, FetchFailure, RawRecord
from loadguard.workouts import Workout

from .discover import MEDIA_TYPE, SOURCE, fetch, record
from .normalise import normalise_payload

__all__ = ["MEDIA_TYPE", "FitConnector"]

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class FitConnector:
    """Reads .fit files from a file, a folder (walked recursively) or a zip; writes
    activities (demo data) and planned sessions (workouts for a watch) as FIT files."""

    name = SOURCE
    workout_suffix = ".fit"

    def fetch(self, target: str) -> Iterator[RawRecord | FetchFailure]:
        return fetch(target)

    def record(self, payload: bytes, origin: str) -> RawRecord:
        return record(payload, origin)

    def normalise(self, raw: RawRecord) -> list[Activity]:
        # fetch keys a file by the SHA-256 of its bytes; reuse it rather than hash again
        known = raw.key if raw.source == SOURCE and _SHA256_HEX.fullmatch(raw.key) else ""
        return normalise_payload(raw.payload, known)

    def write_samples(self, activities: list[Activity], folder: Path) -> list[Path]:
        from .writer import write_samples

        return write_samples(activities, folder)

    def encode_workout(self, workout: Workout) -> bytes:
        from .workout import encode_workout

        return encode_workout(workout)
