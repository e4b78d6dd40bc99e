"""Where the Strava connector's settings come from: the environment first, then the
``[connectors.strava]`` table of the settings file. Secrets only from the environment.

| setting | environment | settings key |
|---|---|---|
| client id | STRAVA_CLIENT_ID | client_id |
| client secret | STRAVA_CLIENT_SECRET (or the variable named by client_secret_env) | - |
| API host | LOADGUARD_STRAVA_API | api_base (default https://www.strava.com) |
| webhook verify token | LOADGUARD_STRAVA_VERIFY_TOKEN | - |
| token encryption key | LOADGUARD_TOKEN_KEY | token_key_file |
| request timeout (s) | - | timeout (default 10) |
| our push subscription's id | - | subscription_id (default: the one `strava subscribe` stored) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loadguard import keys

from .http import DEFAULT_BASE, DEFAULT_TIMEOUT_S


class ConfigError(Exception):
    """A setting the Strava connector needs is missing or wrong; the message says which."""


@dataclass(frozen=True)
class StravaConfig:
    client_id: str
    client_secret: str
    api_base: str = DEFAULT_BASE
    verify_token: str = ""
    token_key: str | None = None
    token_key_file: Path = Path()
    timeout: float = DEFAULT_TIMEOUT_S
    subscription_id: int | None = None
    retry_waits: tuple[float, ...] = (0.5, 2.0, 5.0)  # back-off on 5xx and timeouts


def load(table: Mapping[str, object], *, need_app: bool = True) -> StravaConfig:
    """The connector's settings: the environment, then ``table`` (the settings file's
    ``[connectors.strava]``, from :meth:`loadguard.contract.Host.connector_settings`)."""
    client_id = os.environ.get("STRAVA_CLIENT_ID") or str(table.get("client_id") or "")
    secret_var = str(table.get("client_secret_env") or "STRAVA_CLIENT_SECRET")
    client_secret = os.environ.get(secret_var, "")
    if need_app and not (client_id and client_secret):
        raise ConfigError(
            "Strava needs your API application's client id and secret: set STRAVA_CLIENT_ID"
            f" and {secret_var} (see README: registering a Strava API application)"
        )
    key_file = table.get("token_key_file")
    timeout = table.get("timeout", DEFAULT_TIMEOUT_S)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"connectors.strava.timeout must be a positive number, got {timeout!r}")
    return StravaConfig(
        client_id=client_id,
        client_secret=client_secret,
        api_base=os.environ.get("LOADGUARD_STRAVA_API")
        or str(table.get("api_base") or DEFAULT_BASE),
        verify_token=os.environ.get("LOADGUARD_STRAVA_VERIFY_TOKEN", ""),
        token_key=os.environ.get("LOADGUARD_TOKEN_KEY") or None,
        token_key_file=Path(str(key_file)).expanduser() if key_file else keys.default_key_file(),
        timeout=float(timeout),
        subscription_id=_subscription(table.get("subscription_id")),
    )


def _subscription(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"connectors.strava.subscription_id must be a number, got {value!r}")
    return value
