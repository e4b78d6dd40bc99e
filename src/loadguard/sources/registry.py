"""Connectors, found through the ``loadguard.connectors`` entry-point group and loaded lazily.

Built-in and third-party connectors are registered the same way; the core
never imports one by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from loadguard.contract import Connector, WebhookReceiver

GROUP = "loadguard.connectors"
WEBHOOKS = "loadguard.webhooks"
CLI = "loadguard.cli"
SYNCS = "loadguard.sync"


class UnknownConnector(LookupError):
    pass


def _entry_points(group: str = GROUP) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


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


@cache
def webhook(name: str) -> WebhookReceiver:
    """The webhook receiver registered as ``name`` (``loadguard.webhooks`` entry points)."""
    ep = _entry_points(WEBHOOKS).get(name)
    if ep is None:
        raise UnknownConnector(f"no webhook receiver {name!r}")
    receiver = ep.load()
    if callable(receiver) and not isinstance(receiver, WebhookReceiver):
        receiver = receiver()
    if not isinstance(receiver, WebhookReceiver):
        raise UnknownConnector(f"webhook receiver {name!r} does not fulfil the contract")
    return receiver


def webhook_names() -> list[str]:
    return sorted(_entry_points(WEBHOOKS))


def cli_plugins() -> tuple[dict[str, Any], list[str]]:
    """Command groups connectors add to the CLI (``loadguard.cli`` entry points), loaded
    now, and the reasons any could not be loaded (a broken plugin must not stop the CLI)."""
    loaded, broken = {}, []
    for name, ep in sorted(_entry_points(CLI).items()):
        try:
            loaded[name] = ep.load()
        except Exception as exc:
            broken.append(f"command group {name!r} ({ep.value}) failed to load: {exc}")
    return loaded, broken


def sync_names() -> list[str]:
    """Connectors that can pull on a schedule (``loadguard.sync`` entry points)."""
    return sorted(_entry_points(SYNCS))


def sync(name: str) -> Callable[[Any], list[str]]:
    """A connector's scheduled pull: ``pull(host) -> ids of athletes with new activities``."""
    ep = _entry_points(SYNCS).get(name)
    if ep is None:
        raise UnknownConnector(f"no scheduled sync {name!r} (installed: {', '.join(sync_names())})")
    pull: Callable[[Any], list[str]] = ep.load()
    return pull


ARCHIVES = "loadguard.archives"


def archive_readers() -> list[Any]:
    """The export-archive readers installed (``loadguard.archives`` entry points), loaded
    now: only when a zip is imported."""
    return [ep.load()() for _, ep in sorted(_entry_points(ARCHIVES).items())]
