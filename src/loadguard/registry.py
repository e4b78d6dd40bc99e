"""Connectors, found through the ``loadguard.connectors`` entry-point group and loaded lazily.

Built-in and third-party connectors are registered the same way; the core
never imports one by name.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from loadguard.contract import Connector

GROUP = "loadguard.connectors"


class UnknownConnector(LookupError):
    pass


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available() -> list[str]:
    """Names of the installed connectors (nothing is imported)."""
    return sorted(_entry_points())


@cache
def connector(name: str) -> Connector:
    """The connector registered as ``name``, imported and built on first use."""
    ep = _entry_points().get(name)
    if ep is None:
        known = ", ".join(available()) or "none installed"
        raise UnknownConnector(f"no connector {name!r} (installed: {known})")
    factory = ep.load()
    instance = factory()
    if not isinstance(instance, Connector):
        raise UnknownConnector(f"connector {name!r} ({ep.value}) does not fulfil the contract")
    return instance
