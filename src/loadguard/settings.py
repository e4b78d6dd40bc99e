"""User settings: a TOML file outside the repository, validated; environment variables win.

Looked up at ``$LOADGUARD_SETTINGS``, else ``settings.toml`` in the user's
config folder. Missing file = defaults. See ``config/settings.example.toml``.
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import platformdirs
from msgspec import Meta, field

from loadguard.checked import CheckError, convert, keyed


class SettingsError(Exception):
    """The settings file is wrong; the message names the file and key."""


class _Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A table of the file: unknown keys refused, not changed once read."""


class StoreSettings(_Section, frozen=True, kw_only=True):
    path: Path | None = None


class PlanSettings(_Section, frozen=True, kw_only=True):
    dir: Path | None = None


Severity = Literal["info", "warning", "critical"]
Language = Literal["en", "da"]


class AthleteSettings(_Section, frozen=True, kw_only=True):
    timezone: str = "UTC"
    language: Language | None = None  # what runners read when they chose nothing (else LANG)


_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
QUIET_HOURS = f"{_HHMM}-{_HHMM}"  # "22:00-07:00", local
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _matches(key: str, value: str, pattern: str, example: str) -> None:
    """A ValueError ``key: ...`` (:mod:`loadguard.checked` puts the key in the path)."""
    if value and not re.fullmatch(pattern, value):
        raise ValueError(f"{key}: {value!r} is not like {example!r}")


class _Recipient(_Section, frozen=True, kw_only=True):
    """What every recipient chooses: apprise URLs (``{env:NAME}`` is replaced by the
    environment variable NAME, so secrets stay out of the file), the lowest severity
    worth a message, the language, and quiet hours ("22:00-07:00", local) when
    messages are held and sent at their end."""

    channels: list[str] = []
    min_severity: Severity = "warning"
    language: Language | None = None  # None: the athlete's own choice, else [athlete], LANG
    quiet_hours: str = ""

    def __post_init__(self) -> None:
        _matches("quiet_hours", self.quiet_hours, QUIET_HOURS, "22:00-07:00")


class AlertSettings(_Recipient, frozen=True, kw_only=True):
    """A runner's own alerts (``[alerts.<athlete id>]``); the athlete's time zone applies.
    ``weekly_summary`` is "mon 08:00" style (day and local time), or "" for none."""

    weekly_summary: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _matches("weekly_summary", self.weekly_summary, f"({'|'.join(_DAYS)}) {_HHMM}", "mon 08:00")


class CoachSettings(_Recipient, frozen=True, kw_only=True):
    """A coach or physio (``[coaches.<name>]``) watching a list of athletes. With
    ``digest`` set ("07:30", local) they get one message a day listing their athletes' new
    findings; with ``digest = ""`` every alert as it happens."""

    athletes: list[str] = []
    timezone: str = "UTC"
    digest: str = "07:30"

    def __post_init__(self) -> None:
        super().__post_init__()
        _matches("digest", self.digest, _HHMM, "07:30")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: {self.timezone!r} is not a known IANA time zone") from None


class NotifySettings(_Section, frozen=True, kw_only=True):
    """How alerts behave for everyone."""

    max_age_days: Annotated[int, Meta(ge=0, le=3650)] = 7  # older findings: in `check`, not alerted
    send_timeout_s: Annotated[float, Meta(gt=0, le=600)] = 10.0


class SchedulerSettings(_Section, frozen=True, kw_only=True):
    """What `loadguard serve` / `loadguard daemon` run on a schedule."""

    # bounded: a day at most (an interval of 1e308 s would overflow the scheduler's clock)
    watch_s: Annotated[float, Meta(gt=0, le=86400)] = 1.0  # how often watched folders are scanned
    retry_s: Annotated[float, Meta(gt=0, le=86400)] = 30.0  # how often due and held alerts are sent
    sync_minutes: Annotated[int, Meta(ge=0, le=1440)] = 0  # scheduled pulls (no webhooks); 0 off
    # the guard over every athlete in one pass (a day that ends, a week without runs: no
    # run or pain entry triggers those); 0 off
    guard_minutes: Annotated[int, Meta(ge=0, le=1440)] = 60


class MapSettings(_Section, frozen=True, kw_only=True):
    """Where `loadguard osm fetch` finds region extracts: a region index in Geofabrik's
    layout (a GeoJSON FeatureCollection; each feature's properties hold an ``id``, a
    ``name`` and ``urls.pbf``, absolute or relative to the index)."""

    index_url: str = "https://download.geofabrik.de/index-v1.json"
    timeout_s: Annotated[float, Meta(gt=0)] = 30.0

    def __post_init__(self) -> None:
        if not self.index_url.startswith(("http://", "https://")):
            raise ValueError(f"index_url: {self.index_url!r} is not an http(s) URL")


class WebSettings(_Section, frozen=True, kw_only=True):
    """The web app of `loadguard serve`. ``signup``: anyone who reaches it may make an
    account (off: only `loadguard user add`). ``secure_cookies``: mark cookies Secure,
    which a browser sends over https only: turn it on behind an https proxy.
    ``base_url``: how users reach it (links in reset messages), e.g. https://lg.example.
    ``local_channels``: runners may add alert channels that name a loopback or private
    address (a self-hosted ntfy on the clinic's network); off, such a channel is refused,
    so a stranger who signs up cannot make the server send requests into its own network.
    ``coaches_see_strava``: a coach sees the runs an athlete synced from Strava and the
    figures made from them. Off by default: Strava's API agreement lets an app show a
    user's Strava data to that user only (see the README); runs from files and the
    athlete's own logs are shown to a coach the athlete granted access either way."""

    signup: bool = True
    secure_cookies: bool = False
    max_upload_mb: Annotated[int, Meta(gt=0)] = 64
    base_url: str = ""
    local_channels: bool = False
    coaches_see_strava: bool = False


class Settings(_Section, frozen=True, kw_only=True):
    store: StoreSettings = field(default_factory=StoreSettings)
    web: WebSettings = field(default_factory=WebSettings)
    maps: MapSettings = field(default_factory=MapSettings)
    plans: PlanSettings = field(default_factory=PlanSettings)
    athlete: AthleteSettings = field(default_factory=AthleteSettings)
    # one table per connector, e.g. [connectors.strava]; each connector validates its own
    connectors: dict[str, dict[str, str | int | float | bool]] = {}
    # one table per athlete id, e.g. [alerts.anna]
    alerts: dict[str, AlertSettings] = {}
    # one table per coach, e.g. [coaches.mette]
    coaches: dict[str, CoachSettings] = {}
    # athlete id -> a folder of .fit files to import as they appear, e.g. [watch] anna = "..."
    watch: dict[str, Path] = {}
    notify: NotifySettings = field(default_factory=NotifySettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)


def settings_path() -> Path:
    env = os.environ.get("LOADGUARD_SETTINGS")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir("loadguard")) / "settings.toml"


def load_settings(path: Path) -> Settings:
    if not path.exists():
        if os.environ.get("LOADGUARD_SETTINGS"):
            raise SettingsError(f"settings file {path} (from $LOADGUARD_SETTINGS) does not exist")
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return _checked(data)
    except UnicodeDecodeError as exc:
        raise SettingsError(f"settings file {path} is not UTF-8 text: byte {exc.start}") from None
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
    except CheckError as exc:
        raise SettingsError(f"settings file {path}: {exc}") from None


def _checked(data: dict[str, Any]) -> Settings:
    """The file's tables as Settings; the tables keyed by a name are checked one name at a
    time, so an error names it (``alerts.anna.quiet_hours``)."""
    alerts = keyed(data, "alerts", AlertSettings)
    coaches = keyed(data, "coaches", CoachSettings)
    rest = {k: v for k, v in data.items() if k not in ("alerts", "coaches")}
    return msgspec.structs.replace(convert(rest, Settings), alerts=alerts, coaches=coaches)


@cache
def current() -> Settings:
    """The settings in force for this process (read once, on first use)."""
    return load_settings(settings_path())
