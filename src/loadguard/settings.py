"""User settings: a TOML file outside the repository, validated; environment variables win.

Looked up at ``$LOADGUARD_SETTINGS``, else ``settings.toml`` in the user's
config folder. Missing file = defaults. See ``config/settings.example.toml``.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, ValidationError


class SettingsError(Exception):
    """The settings file is wrong; the message names the file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Section):
    path: Path | None = None


class PlanSettings(_Section):
    dir: Path | None = None


class AthleteSettings(_Section):
    timezone: str = "UTC"


class AlertSettings(_Section):
    """Where one athlete's alerts go: apprise URLs; ``{env:NAME}`` is replaced by the
    environment variable NAME, so secrets stay out of the file."""

    channels: list[str] = []
    min_severity: Literal["info", "warning", "critical"] = "warning"


class Settings(_Section):
    store: StoreSettings = StoreSettings()
    plans: PlanSettings = PlanSettings()
    athlete: AthleteSettings = AthleteSettings()
    # one table per connector, e.g. [connectors.strava]; each connector validates its own
    connectors: dict[str, dict[str, str | int | float | bool]] = {}
    # one table per athlete id, e.g. [alerts.anna]
    alerts: dict[str, AlertSettings] = {}


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
