"""Connectors, found through the ``loadguard.connectors`` entry-point group and loaded lazily.

Built-in and third-party connectors are registered the same way; the core
never imports one by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from loadguard.contract import Connector, WebhookReceiver

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "loadguard.connectors"
WEBHOOKS = "loadguard.webhooks"
CLI = "loadguard.cli"
SYNCS = "loadguard.sync"
# A connector's summary as its distribution states it, less this prefix, is its help line.
SUMMARY_PREFIX = "loadguard connector: "


class UnknownConnector(LookupError):
    pass


def _entry_points(group: str = GROUP) -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points  # 13 ms: when a plug-in is looked up

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


def cli_plugin_summaries() -> dict[str, str]:
    """Command groups connectors add to the CLI (``loadguard.cli`` entry points), each with
    its distribution's summary, read from the installed metadata without importing it."""
    summaries = {}
    for name, ep in sorted(_entry_points(CLI).items()):
        summary = (ep.dist.metadata["Summary"] if ep.dist else None) or ""
        summaries[name] = summary.removeprefix(SUMMARY_PREFIX) or f"Commands of {name}."
    return summaries


def cli_plugin(name: str) -> Any:
    """A connector's command group (a typer app), imported now. Raises UnknownConnector
    naming the plug-in and the reason if it is not installed or does not load."""
    ep = _entry_points(CLI).get(name)
    if ep is None:
        raise UnknownConnector(f"no command group {name!r} is installed")
    try:
        return ep.load()
    except Exception as exc:  # a broken plug-in fails its own commands, not the CLI
        raise UnknownConnector(
            f"command group {name!r} ({ep.value}) failed to load: {exc}"
        ) from exc


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
