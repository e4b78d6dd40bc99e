"""A runner's connected providers (Strava), as the web app and the account deletion see
them. A provider that supports it is told first (its deauthorisation), then everything
it delivered is forgotten."""

from __future__ import annotations

import logging

from loadguard.app import service
from loadguard.app.host import StoreHost
from loadguard.contract import Athlete, Disconnectable, HostError, WebLinkable
from loadguard.sources import registry
from loadguard.store.db import Store

log = logging.getLogger("loadguard.connections")


def connected(store: Store, athlete: Athlete) -> list[str]:
    """The sources this athlete has an account with (active or not)."""
    host = StoreHost(store)
    return [s for s in registry.available() if host.account(athlete.id, s) is not None]


def disconnect_all(store: Store, athlete: Athlete) -> list[str]:
    """Tell every connected provider that can be told, then forget what it delivered.
    Returns the providers that confirmed."""
    host = StoreHost(store)
    confirmed = []
    for source in connected(store, athlete):
        connector = registry.connector(source)
        if isinstance(connector, Disconnectable):
            if connector.disconnect(host, athlete):
                confirmed.append(source)
        else:
            log.warning("%s cannot be told that %s left", source, athlete.id)
    return confirmed


def linkable(store: Store, athlete: Athlete) -> list[tuple[str, bool]]:
    """The providers a runner can connect from the web app, and whether they are."""
    host = StoreHost(store)
    found = []
    for source in registry.available():
        try:
            connector = registry.connector(source)
        except Exception:  # a broken plug-in must not take the page down
            log.exception("connector %s did not load", source)
            continue
        if isinstance(connector, WebLinkable):
            account = host.account(athlete.id, source)
            found.append((source, account is not None and account.status == "active"))
    return found


def authorize_url(store: Store, source: str, redirect_uri: str, state: str) -> str:
    """Where the browser goes to grant access (HostError: not configured)."""
    connector = registry.connector(source)
    if not isinstance(connector, WebLinkable):
        raise HostError(f"{source} cannot be connected from the web app")
    return connector.authorize_url(StoreHost(store), redirect_uri, state)


def complete(store: Store, athlete: Athlete, source: str, code: str, scope: str) -> str:
    """The provider's answer: the account is remembered; the guard runs after a sync."""
    connector = registry.connector(source)
    if not isinstance(connector, WebLinkable):
        raise HostError(f"{source} cannot be connected from the web app")
    return connector.complete(StoreHost(store), athlete, code, scope)


def disconnect(store: Store, athlete: Athlete, source: str) -> bool:
    connector = registry.connector(source)
    if not isinstance(connector, Disconnectable):
        raise HostError(f"{source} cannot be disconnected from the web app")
    confirmed = connector.disconnect(StoreHost(store), athlete)
    service.run_guard(store, athlete, "disconnect")
    return confirmed
