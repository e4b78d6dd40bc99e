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
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class SettingsError(Exception):
    """The settings file is wrong; the message names the file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Section):
    path: Path | None = None


class PlanSettings(_Section):
    dir: Path | None = None


Severity = Literal["info", "warning", "critical"]
Language = Literal["en", "da"]


class AthleteSettings(_Section):
    timezone: str = "UTC"
    language: Language | None = None  # what runners read when they chose nothing (else LANG)


_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
QUIET_HOURS = f"{_HHMM}-{_HHMM}"  # "22:00-07:00", local
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _matches(value: str, pattern: str, example: str) -> str:
    if value and not re.fullmatch(pattern, value):
        raise ValueError(f"{value!r} is not like {example!r}")
    return value


class _Recipient(_Section):
    """What every recipient chooses: apprise URLs (``{env:NAME}`` is replaced by the
    environment variable NAME, so secrets stay out of the file), the lowest severity
    worth a message, the language, and quiet hours ("22:00-07:00", local) when
    messages are held and sent at their end."""

    channels: list[str] = []
    min_severity: Severity = "warning"
    language: Language | None = None  # None: the athlete's own choice, else [athlete], LANG
    quiet_hours: str = ""

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        return _matches(value, QUIET_HOURS, "22:00-07:00")


class AlertSettings(_Recipient):
    """A runner's own alerts (``[alerts.<athlete id>]``); the athlete's time zone applies.
    ``weekly_summary`` is "mon 08:00" style (day and local time), or "" for none."""

    weekly_summary: str = ""

    @field_validator("weekly_summary")
    @classmethod
    def _weekly(cls, value: str) -> str:
        return _matches(value, f"({'|'.join(_DAYS)}) {_HHMM}", "mon 08:00")


class CoachSettings(_Recipient):
    """A coach or physio (``[coaches.<name>]``) watching a list of athletes. With
    ``digest`` set ("07:30", local) they get one message a day listing their athletes' new
    findings; with ``digest = ""`` every alert as it happens."""

    athletes: list[str] = []
    timezone: str = "UTC"
    digest: str = "07:30"

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        return _matches(value, _HHMM, "07:30")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known IANA time zone") from None
        return value


class NotifySettings(_Section):
    """How alerts behave for everyone."""

    max_age_days: int = Field(default=7, ge=0, le=3650)  # older findings: in `check`, not alerted
    send_timeout_s: float = Field(default=10.0, gt=0, le=600)


class SchedulerSettings(_Section):
    """What `loadguard serve` / `loadguard daemon` run on a schedule."""

    # bounded: a day at most (an interval of 1e308 s would overflow the scheduler's clock)
    watch_s: float = Field(default=1.0, gt=0, le=86400)  # how often watched folders are scanned
    retry_s: float = Field(default=30.0, gt=0, le=86400)  # how often due and held alerts are sent
    sync_minutes: int = Field(default=0, ge=0, le=1440)  # scheduled pulls (no webhooks); 0 off
    # the guard over every athlete in one pass (a day that ends, a week without runs: no
    # run or pain entry triggers those); 0 off
    guard_minutes: int = Field(default=60, ge=0, le=1440)


class MapSettings(_Section):
    """Where `loadguard osm fetch` finds region extracts: a region index in Geofabrik's
    layout (a GeoJSON FeatureCollection; each feature's properties hold an ``id``, a
    ``name`` and ``urls.pbf``, absolute or relative to the index)."""

    index_url: str = "https://download.geofabrik.de/index-v1.json"
    timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("index_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class WebSettings(_Section):
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
    max_upload_mb: int = Field(default=64, gt=0)
    base_url: str = ""
    local_channels: bool = False
    coaches_see_strava: bool = False


class Settings(_Section):
    store: StoreSettings = StoreSettings()
    web: WebSettings = WebSettings()
    maps: MapSettings = MapSettings()
    plans: PlanSettings = PlanSettings()
    athlete: AthleteSettings = AthleteSettings()
    # one table per connector, e.g. [connectors.strava]; each connector validates its own
    connectors: dict[str, dict[str, str | int | float | bool]] = {}
    # one table per athlete id, e.g. [alerts.anna]
    alerts: dict[str, AlertSettings] = {}
    # one table per coach, e.g. [coaches.mette]
    coaches: dict[str, CoachSettings] = {}
    # athlete id -> a folder of .fit files to import as they appear, e.g. [watch] anna = "..."
    watch: dict[str, Path] = {}
    notify: NotifySettings = NotifySettings()
    scheduler: SchedulerSettings = SchedulerSettings()


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
        return Settings.model_validate(data)
    except UnicodeDecodeError as exc:
        raise SettingsError(f"settings file {path} is not UTF-8 text: byte {exc.start}") from None
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise SettingsError(f"settings file {path}: {problems}") from None


@cache
def current() -> Settings:
    """The settings in force for this process (read once, on first use)."""
    return load_settings(settings_path())
