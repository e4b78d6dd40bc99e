"""The one contract between loadguard's core and its connectors.

A connector turns *somewhere runs live* (a watch folder, a zip, an API) into
:class:`RawRecord` objects, exactly as the source gave them, and turns one raw
record into zero or more normalised :class:`Activity` objects. The core stores
both, so normalisation can be re-run later without touching the source again.

Connectors are registered under the ``loadguard.connectors`` entry-point group
(see :mod:`loadguard.sources.registry`); the core never imports one by name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

# Stream columns a connector may fill; every array has the same length.
#   t            float64  seconds since the activity's start_utc
#   lat, lon     float64  degrees (NaN where the device had no fix)
#   distance_m   float64  cumulative metres
#   speed_mps    float32  metres per second
#   cadence_spm  float32  steps per minute (FIT strides/min are doubled by the connector)
#   heart_rate   float32  beats per minute
STREAM_COLUMNS: tuple[str, ...] = (
    "t",
    "lat",
    "lon",
    "distance_m",
    "speed_mps",
    "cadence_spm",
    "heart_rate",
)

FloatArray = npt.NDArray[np.floating]


class ConnectorError(Exception):
    """A source item could not be read or normalised; the message names the reason."""


@dataclass(frozen=True)
class RawRecord:
    """One item exactly as a source delivered it.

    ``key`` identifies the content within its source: a SHA-256 of the bytes for
    files, the provider's id for API objects. ``origin`` says where it came from
    in words a user recognises (a path, ``archive.zip!member.fit``, a URL).
    """

    source: str
    key: str
    payload: bytes
    media_type: str
    origin: str


@dataclass(frozen=True)
class FetchFailure:
    """An item a connector found but could not even read (unreadable file, bad zip)."""

    source: str
    origin: str
    reason: str


@dataclass(frozen=True)
class Streams:
    """Per-second (or per-record) samples of one activity, columns as in STREAM_COLUMNS."""

    columns: Mapping[str, FloatArray]

    def __post_init__(self) -> None:
        lengths = {len(v) for v in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"stream columns differ in length: {sorted(lengths)}")
        unknown = set(self.columns) - set(STREAM_COLUMNS)
        if unknown:
            raise ValueError(f"unknown stream columns: {sorted(unknown)}")

    def __len__(self) -> int:
        return next((len(v) for v in self.columns.values()), 0)

    def get(self, name: str) -> FloatArray | None:
        return self.columns.get(name)


@dataclass(frozen=True)
class Activity:
    """One normalised activity; the core's only view of a run.

    ``sport`` uses FIT's names (running, walking, cycling, ...); ``sub_sport``
    too (generic, street, trail, track, treadmill, ...). ``utc_offset`` is the
    athlete's local offset at the start when the source knows it, else None and
    the core falls back to the athlete's configured time zone.
    """

    source: str
    source_id: str
    sport: str
    sub_sport: str
    start_utc: datetime
    distance_m: float
    timer_s: float
    elapsed_s: float
    utc_offset: timedelta | None = None
    name: str = ""
    description: str = ""
    device: str = ""
    gear_id: str | None = None
    extras: Mapping[str, float | int | str] = field(default_factory=dict)
    streams: Streams | None = None

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None:
            raise ValueError(f"{self.source}:{self.source_id}: start_utc must be timezone-aware")


@runtime_checkable
class Connector(Protocol):
    """What every connector provides.

    ``fetch`` may yield failures instead of raising so a batch goes on past one
    bad item; ``normalise`` is pure (bytes in, activities out) and raises
    :class:`ConnectorError` with a reason a user can act on.
    """

    name: str

    def fetch(self, target: str) -> Iterator[RawRecord | FetchFailure]: ...

    def normalise(self, raw: RawRecord) -> list[Activity]: ...


@runtime_checkable
class SampleWriter(Protocol):
    """Optional capability: write activities in the connector's own format (demo data)."""

    def write_samples(self, activities: list[Activity], folder: Path) -> list[Path]: ...


@dataclass(frozen=True)
class WebhookEvent:
    """One pushed event, accepted: ``key`` is the same however often it is delivered."""

    key: str
    payload: Mapping[str, object]


@runtime_checkable
class WebhookReceiver(Protocol):
    """Optional capability: a provider that pushes events (served by ``loadguard serve``).

    ``challenge`` answers the provider's subscription handshake (a GET);
    ``accept`` validates a POSTed body quickly, raising ValueError with the
    reason for a bad one; ``process`` does the slow work later, outside the
    request, and returns the ids of the athletes whose data changed.
    """

    name: str

    def challenge(self, query: Mapping[str, str]) -> tuple[int, dict[str, str]]: ...

    def accept(self, body: bytes) -> WebhookEvent: ...

    def process(self, store: object, payload: Mapping[str, object]) -> list[str]: ...
