"""Channels: sending one text to one apprise URL, secrets from the environment, redacted.

``{env:NAME}`` in a URL is replaced by that environment variable when the message
is sent, so a token never sits in a file; a channel stored with a secret in it is
sealed (:mod:`loadguard.store.channel_urls`). Whenever a channel is shown or logged it
is redacted to its scheme and host.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import parse_qsl, urlsplit

from loadguard.alerts.texts import Text
from loadguard.store import channel_urls

_ENV = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")


class ChannelError(Exception):
    """A channel that cannot be used or did not take the message; names it (redacted)."""


def expand(url: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ChannelError(f"channel {redact(url)} needs ${name}, which is not set")
        return os.environ[name]

    return _ENV.sub(value, url)


def redact(url: str) -> str:
    """A channel as it may be shown: scheme and host, nothing secret; a host that is no
    host name but a token (tgram://123456789:AA.../, pover://user@token) is left out too."""
    if "://" not in url:
        return "(not a URL)"
    scheme = url.split("://", 1)[0].lower()
    if not _SCHEME.fullmatch(scheme):
        return "(unreadable channel URL)"
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        host, port = "", None
    if not host or not channel_urls.plain_host(host):
        return f"{scheme}://…"
    return f"{scheme}://{host}" + (f":{port}" if port else "") + "/…"


def is_email(url: str) -> bool:
    return urlsplit(url).scheme in ("mailto", "mailtos")


def validate(url: str) -> None:
    """Refuse a URL apprise cannot use, naming it (redacted) and why; env references are
    checked for syntax only (the variable may be set where the daemon runs)."""
    import apprise

    probe = _ENV.sub("x", url)
    if "://" not in probe:
        raise ChannelError("the channel is not a URL like ntfy://host/topic or mailto://...")
    if apprise.Apprise.instantiate(probe, suppress_exceptions=True) is None:
        raise ChannelError(f"channel {redact(url)} is not a URL apprise understands")


def _secrets(url: str) -> set[str]:
    """The parts of a channel URL that may be secret: environment values filled in, the
    user and password, path segments (tokens, topics) and query values."""
    found = {os.environ[m.group(1)] for m in _ENV.finditer(url) if m.group(1) in os.environ}
    try:
        parts = urlsplit(expand(url))
    except (ChannelError, ValueError):
        return found
    found |= {parts.username or "", parts.password or ""}
    where = parts.netloc.rpartition("@")[2]  # a token in the host's place (tgram://ID:KEY/)
    if not channel_urls.plain_host(where.rpartition(":")[0] or where):
        found |= {where, *where.split(":")}
    found |= set(parts.path.split("/"))
    found |= {value for _key, value in parse_qsl(parts.query)}
    return {f for f in found if len(f) >= 3}


def scrub(text: str, url: str) -> str:
    """A message about a channel with everything secret in its URL replaced by '…'."""
    for secret in sorted(_secrets(url), key=len, reverse=True):
        text = text.replace(secret, "…")
    return text


def send(url: str, text: Text, timeout_s: float = 10.0) -> None:
    """One message to one channel; raises ChannelError when it was not delivered, with
    apprise's reason, scrubbed of the URL's secrets (apprise's own log is kept in)."""
    import apprise

    logging.getLogger("apprise").propagate = False  # it names topics and tokens
    notifier = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False))
    plugin = apprise.Apprise.instantiate(expand(url), suppress_exceptions=True)
    if plugin is None:
        raise ChannelError(f"channel {redact(url)} is not a URL apprise understands")
    for name in ("socket_connect_timeout", "socket_read_timeout"):
        if hasattr(plugin, name):
            setattr(plugin, name, timeout_s)
    notifier.add(plugin)
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        delivered = notifier.notify(
            title=text.title, body=text.body, body_format=apprise.NotifyFormat.TEXT
        )
    if not delivered:
        lines = [line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines()]
        why = scrub(lines[-1], url) if lines else "no reason given"
        raise ChannelError(f"channel {redact(url)} did not accept the message: {why}")
