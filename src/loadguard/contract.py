"""The one contract between loadguard's core and its connectors.

A connector turns *somewhere runs live* (a watch folder, a zip, an API) into
:class:`RawRecord` objects, exactly as the source gave them, and turns one raw
record into zero or more normalised :class:`Activity` objects. The core stores
both, so normalisation can be re-run later without touching the source again.

Connectors are registered under the ``loadguard.connectors`` entry-point group
(see :mod:`loadguard.sources.registry`); the core never imports one by name.

A connector with a service side (scheduled pulls, webhooks, its own commands, such
as Strava's) gets a :class:`Host` from the core: the athletes, accounts, raw
records and shoes of one open store, and the pipeline (ingest, guard). With it,
this module is all a connector imports from loadguard.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # numpy costs a command 0.1-0.2 s to start; streams are made by those who have it
    import numpy as np
    import numpy.typing as npt

# Stream columns a connector may fill; every array has the same length.
#   t            float64  seconds since the activity's start_utc
#   lat, lon     float64  degrees (NaN where the device had no fix)
#   altitude_m   float32  metres above sea level
#   distance_m   float64  cumulative metres
#   speed_mps    float32  metres per second
#   cadence_spm  float32  steps per minute (FIT strides/min are doubled by the connector)
#   heart_rate   float32  beats per minute
STREAM_COLUMNS: tuple[str, ...] = (
    "t",
    "lat",
    "lon",
    "altitude_m",
    "distance_m",
    "speed_mps",
    "cadence_spm",
    "heart_rate",
)

FloatArray: TypeAlias = "npt.NDArray[np.floating]"


class ConnectorError(Exception):
    """A source item could not be read or normalised; the message names the reason."""


class NotAnActivity(ConnectorError):
    """A readable record that holds no activity (a watch's settings, monitoring, weight or
    workout file): skipped and counted, not a failure, never retried."""


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


RUNNING = "running"  # the sport (FIT's name) the guard counts


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


# The extras key for an activity's id at the service it lives at ("strava:123"); two
# activities with the same one are the same run, whichever way each arrived.
EXTERNAL_ID = "external_id"
# A run's gear_id when an export named its shoe rather than numbering it ("named:" and
# the shoe's name): it counts on the athlete's shoe of that name.
NAMED_GEAR = "named:"
# The extras key for what a connector left out of a damaged file it kept the intact part
# of ("12 bytes from byte 8,201 dropped: ..."): the import reports it.
DROPPED = "dropped"


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

    def process(self, host: Host, payload: Mapping[str, object]) -> list[str]: ...


@runtime_checkable
class Disconnectable(Protocol):
    """Optional capability: a provider a runner can leave (account deletion, the web
    app's "disconnect"): ``disconnect`` revokes loadguard's access at the provider and
    forgets everything it delivered; True when the provider confirmed the revocation."""

    name: str

    def disconnect(self, host: Host, athlete: Athlete) -> bool: ...


@runtime_checkable
class WebLinkable(Protocol):
    """Optional capability: a provider a runner connects from the web app by OAuth.

    ``authorize_url`` is where the browser goes (``state`` travels with it and comes
    back); ``complete`` exchanges the code the provider sent back to ``redirect_uri``
    and remembers the account, returning the provider's id for the athlete. Both raise
    HostError with the reason (settings missing, access not granted)."""

    name: str

    def authorize_url(self, host: Host, redirect_uri: str, state: str) -> str: ...

    def complete(self, host: Host, athlete: Athlete, code: str, scope: str) -> str: ...


# -- what the core lends a connector's service side ------------------------------------


class Explained(Exception):
    """An error whose message is for logs and the command line, and whose ``key`` names
    the catalogue's words for it (``web.errors.<key>``, filled with ``values``) where a
    page shows it in the reader's language."""

    def __init__(self, message: str, *, key: str = "", **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class HostError(Explained):
    """A request the core cannot honour (unknown athlete, duplicate shoe...); the message
    says which and why."""


@dataclass(frozen=True)
class Athlete:
    """A runner on a plan: plan week 1 starts on ``plan_start`` in their time zone."""

    id: str
    name: str
    plan_id: str
    plan_start: date
    timezone: str  # IANA name
    language: str = ""  # "en" or "da"; "" for the settings' or the environment's

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Shoe:
    id: int
    athlete_id: str
    name: str
    initial_km: float
    heel_stack_mm: float | None
    drop_mm: float | None
    minimalist: bool | None
    default_from: date | None
    retired_on: date | None
    gear_id: str | None  # the provider's id for it, for shoes a connector brought


@dataclass(frozen=True)
class Account:
    """An athlete's account at a provider: its id there, the sealed secret the connector
    handed over, and the connector's own state (a sync cursor...)."""

    athlete_id: str
    source: str
    external_id: str
    secret: bytes | None
    state: dict[str, Any]
    status: str  # active, reconnect, deauthorized
    status_note: str


class Host(Protocol):
    """One open store and the pipeline, as a connector's sync, webhooks and commands see
    them. Every write is its own transaction unless it happens inside :meth:`batch`."""

    def athlete(self, athlete_id: str | None = None) -> Athlete:
        """The athlete with this id (None: the only one); raises HostError."""
        ...

    def connector_settings(self, name: str) -> Mapping[str, object]:
        """The settings file's ``[connectors.<name>]`` table (empty when absent)."""
        ...

    def batch(self) -> AbstractContextManager[object]:
        """Group many writes into few commits (a long sync)."""
        ...

    def connector_state(self, name: str) -> dict[str, Any]:
        """What the connector keeps for itself, not for one athlete (a subscription id)."""
        ...

    def save_connector_state(self, name: str, state: dict[str, Any]) -> None: ...

    # accounts
    def account(self, athlete_id: str, source: str) -> Account | None: ...

    def account_by_external(self, source: str, external_id: str) -> Account | None: ...

    def accounts(self, source: str, status: str | None = None) -> list[Account]: ...

    def save_account(self, athlete_id: str, source: str, external_id: str, secret: bytes) -> None:
        """Link (or re-link) an account; it becomes active."""
        ...

    def update_account(
        self,
        athlete_id: str,
        source: str,
        *,
        secret: bytes | None = None,
        clear_secret: bool = False,
        state: dict[str, Any] | None = None,
        status: str | None = None,
        note: str | None = None,
    ) -> None: ...

    # raw records and what came of them
    def has_raw(self, athlete_id: str, source: str, key: str) -> bool: ...

    def raw_payload(self, athlete_id: str, source: str, key: str) -> bytes | None: ...

    def ingest(self, athlete: Athlete, raw: RawRecord) -> None:
        """Store a record (new or edited) with its activities; ConnectorError if it cannot
        be normalised (nothing is stored)."""
        ...

    def delete_raw(self, athlete_id: str, source: str, key: str) -> None: ...

    def delete_source(self, athlete_id: str, source: str) -> None:
        """Every record and activity from this source, for this athlete."""
        ...

    def record_failure(
        self, athlete_id: str, source: str, origin: str, reason: str, key: str | None
    ) -> None:
        """An item that could not be read: listed by `loadguard failures`."""
        ...

    # shoes
    def shoes(self, athlete_id: str) -> list[Shoe]: ...

    def add_shoe(self, athlete_id: str, name: str, *, initial_km: float, gear_id: str) -> Shoe: ...

    def set_initial_km(self, shoe_id: int, km: float, gear_id: str | None = None) -> None:
        """The km a provider's shoe had before its first synced activity; ``gear_id`` links
        the provider's id to a shoe the runner already had by that name."""
        ...

    def retire_shoe(self, athlete_id: str, ref: str, on: date) -> Shoe: ...

    def gear_distance_m(self, athlete_id: str, gear_id: str) -> float:
        """Metres of stored runs in the provider's shoe ``gear_id``."""
        ...

    def delete_provider_shoes(self, athlete_id: str) -> int: ...

    # the plan and the guard
    def soft_ground_day(self, athlete: Athlete, day: date) -> bool:
        """Whether the plan keeps the athlete off hard ground on this (local) day."""
        ...

    def run_guard(self, athlete: Athlete, trigger: str) -> tuple[str, int]:
        """Check the athlete now, keep the findings, alert; (status light, findings)."""
        ...


class HostOpener(Protocol):
    """How a connector's commands reach the store the user chose: the core puts one in
    the typer context (``ctx.obj``) of every command."""

    def __call__(self) -> AbstractContextManager[Host]: ...
