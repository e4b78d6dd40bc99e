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

from loadguard.contract import Activity, Athlete, FetchFailure, Host, HostError, RawRecord

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

    # -- the web app: connect by OAuth, disconnect (imports deferred: a FIT-only runner
    # never loads stravalib)

    def authorize_url(self, host: Host, redirect_uri: str, state: str) -> str:
        from .api import StravaApi
        from .config import ConfigError, load

        try:
            config = load(host.connector_settings(SOURCE))
        except ConfigError as exc:
            raise HostError(str(exc)) from None
        return StravaApi(config, None).authorization_url(redirect_uri, state)

    def complete(self, host: Host, athlete: Athlete, code: str, scope: str) -> str:
        from .api import StravaError
        from .config import ConfigError, load
        from .sync import finish_connect
        from .tokens import TokenBox

        try:
            config = load(host.connector_settings(SOURCE))
            return finish_connect(host, athlete, config, TokenBox(config), code, scope)
        except (ConfigError, StravaError) as exc:
            raise HostError(str(exc)) from None

    def disconnect(self, host: Host, athlete: Athlete) -> bool:
        """Revoke the token at Strava (best effort), then delete every Strava-sourced
        record and the tokens, as the API agreement asks."""
        from .api import Budget
        from .config import load
        from .sync import api_for
        from .tokens import TokenBox
        from .webhook import forget

        confirmed = False
        try:
            config = load(host.connector_settings(SOURCE))
            api_for(host, athlete, config, TokenBox(config), Budget()).client.deauthorize()
            confirmed = True
        except Exception as exc:  # revoked already, or Strava unreachable: forget anyway
            import logging

            logging.getLogger("loadguard.strava").warning(
                "Strava did not confirm the revocation for %s: %s", athlete.id, exc
            )
        if host.account(athlete.id, SOURCE) is not None:
            forget(host, athlete)
        return confirmed


__all__ = ["StravaConnector"]
