"""Sending alerts: apprise channels per athlete, secrets from the environment, redacted.

Channels are apprise URLs in the settings file (``[alerts.<athlete>] channels``);
``{env:NAME}`` in a URL is replaced by that environment variable, so a token
never sits in the file. Whenever a channel is shown or logged it is redacted to
its scheme and host. One channel failing never blocks the others: each
delivery is its own row in the outbox, retried with back-off.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from loadguard import settings
from loadguard.store import alerts as outbox
from loadguard.store.db import Store

_ENV = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


class ChannelError(Exception):
    """A channel URL that cannot be used; the message names it (redacted) and why."""


def expand(url: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ChannelError(f"channel {redact(url)} needs ${name}, which is not set")
        return os.environ[name]

    return _ENV.sub(value, url)


def redact(url: str) -> str:
    """A channel as it may be shown: scheme and host, nothing secret."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "") + "/…"


def channels_for(athlete_id: str) -> tuple[list[str], str]:
    chosen = settings.current().alerts.get(athlete_id)
    if chosen is None:
        return [], "warning"
    return list(chosen.channels), chosen.min_severity


def send(url: str, title: str, body: str) -> None:
    """One message to one channel; raises ChannelError when it was not delivered."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(expand(url)):
        raise ChannelError(f"channel {redact(url)} is not a URL apprise understands")
    if not notifier.notify(title=title, body=body):
        raise ChannelError(f"channel {redact(url)} did not accept the message")


def deliver_due(store: Store) -> tuple[int, int]:
    """Send every delivery that is due; returns (sent, failed)."""
    ok = bad = 0
    for d in outbox.due(store):
        title = f"loadguard: {d.rule.replace('_', ' ')} ({d.severity})"
        try:
            send(d.channel, title, f"{d.message}\n[{d.evidence}] {d.athlete_id}, {d.date}")
        except ChannelError as exc:
            outbox.failed(store, d.delivery_id, d.attempts, str(exc))
            bad += 1
        else:
            outbox.sent(store, d.delivery_id)
            ok += 1
    return ok, bad
