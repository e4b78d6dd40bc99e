"""A runner's own alert choices, as the web app offers them: channels (apprise URLs) to
add and remove, the lowest severity worth a message, quiet hours, and a test message.

Channels from the operator's settings file are shown but cannot be removed here; the
runner's choices of severity and quiet hours win over the file's."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from loadguard import settings
from loadguard.alerts import channels, delivery
from loadguard.alerts.recipients import channel_key
from loadguard.app import service
from loadguard.app.accounts import AccountError
from loadguard.contract import Athlete
from loadguard.guard.findings import SEVERITY_RANK
from loadguard.store import outbox
from loadguard.store.db import Store, StoreError
from loadguard.store.secretbox import SecretKeyError

_log = logging.getLogger(__name__)
MAX_CHANNELS = 10  # a runner's own; the file's are the operator's business


@dataclass(frozen=True)
class ChannelShown:
    key: str
    shown: str  # scheme and host only: never a token or password
    from_settings: bool  # set by the operator in the settings file


@dataclass(frozen=True)
class AlertChoices:
    channels: tuple[ChannelShown, ...]
    min_severity: str
    quiet_hours: str
    timezone: str


def _key(athlete: Athlete) -> str:
    return f"athlete:{athlete.id}"


@contextmanager
def _sealed(field: str) -> Iterator[None]:
    """The stored channels cannot be opened (the server's key is missing or another): an
    AccountError for the page; the operator's log gets the key and the reason."""
    try:
        yield
    except SecretKeyError as exc:
        _log.error("%s", exc)
        raise AccountError(str(exc), field, "channel_key") from None


def nothing_chosen(athlete: Athlete) -> AlertChoices:
    """The settings' defaults, no channel (also shown while the channels cannot be opened)."""
    blank = settings.AlertSettings()
    return AlertChoices((), blank.min_severity, blank.quiet_hours, athlete.timezone)


def current(store: Store, athlete: Athlete) -> AlertChoices:
    """What the delivery uses for this runner (:func:`delivery.recipients` merges the file
    and the web), with the channels shown redacted; AccountError (``channel_key``) when
    the stored channels cannot be opened."""
    conf = settings.current()
    from_file = conf.alerts.get(athlete.id)
    file_urls = set(from_file.channels) if from_file else set()
    with _sealed("channel"):
        everyone = delivery.recipients(store, conf)
    mine = next((r for r in everyone if r.key == _key(athlete)), None)
    if mine is None:  # nothing chosen anywhere yet: the settings' defaults
        return nothing_chosen(athlete)
    shown = tuple(
        ChannelShown(c.key, channels.redact(c.url), c.url in file_urls) for c in mine.channels
    )
    return AlertChoices(shown, mine.min_severity, mine.quiet_hours, athlete.timezone)


def add_channel(store: Store, athlete: Athlete, url: str) -> bool:
    """Validate and store one more channel; False when it was there already."""
    return add_channel_to(store, _key(athlete), url)


def add_channel_to(store: Store, recipient: str, url: str) -> bool:
    """As :func:`add_channel`, for any recipient ('coach:u7': a coach's digest)."""
    url = url.strip()
    if not url:
        raise AccountError("give a channel URL", "url", "channel_empty")
    if "{env:" in url:  # the server's environment is the operator's, not the runner's
        raise AccountError("no {env:} references here", "url", "channel_env")
    try:
        channels.validate(url)
    except channels.ChannelError as exc:
        raise AccountError(str(exc), "url", "channel_bad", shown=channels.redact(url)) from None
    if _local(url) and not settings.current().web.local_channels:
        raise AccountError("a local address", "url", "channel_local", shown=channels.redact(url))
    with _sealed("url"):
        if len(outbox.stored_channels(store).get(recipient, [])) >= MAX_CHANNELS:
            raise AccountError("too many channels", "url", "channel_many", count=MAX_CHANNELS)
        return outbox.add_channel(store, recipient, url)


def _local(url: str) -> bool:
    """Does the URL name this machine or a private network (by name or address)?"""
    try:
        host = (urlsplit(url).hostname or "").strip("[]").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def remove_channel(store: Store, athlete: Athlete, key: str) -> None:
    """Remove a channel the runner added, named by its key (the page never holds URLs)."""
    remove_channel_from(store, _key(athlete), key)


def remove_channel_from(store: Store, recipient: str, key: str) -> None:
    with _sealed("channel"):
        for url in outbox.stored_channels(store).get(recipient, []):
            if channel_key(recipient, url) == key:
                outbox.remove_channel(store, recipient, url)
                return
    raise AccountError("no such channel of yours", "channel", "channel_unknown")


def save(store: Store, athlete: Athlete, min_severity: str, quiet_hours: str) -> None:
    if min_severity not in SEVERITY_RANK:
        raise AccountError(
            f"{min_severity!r} is not a severity", "min_severity", "severity", value=min_severity
        )
    quiet_hours = quiet_hours.replace(" ", "").replace(".", ":")
    if quiet_hours and not re.fullmatch(settings.QUIET_HOURS, quiet_hours):
        raise AccountError(
            f"{quiet_hours!r} is not like 22:00-07:00", "quiet_hours", "quiet", value=quiet_hours
        )
    outbox.save_choices(store, _key(athlete), min_severity, quiet_hours)


def send_test(store: Store, athlete: Athlete) -> delivery.Delivered:
    """A test message to each of the runner's channels (held, like any message, in quiet
    hours: the result counts it as held)."""
    try:
        with _sealed("url"):
            return service.send_test(store, _key(athlete))
    except StoreError:  # not a recipient yet, or no channel
        raise AccountError("no channel yet", "url", "channel_none") from None


def shown_channels(store: Store, recipient: str) -> list[ChannelShown]:
    """A recipient's stored channels, redacted (a coach's digest channels); AccountError
    (``channel_key``) when they cannot be opened."""
    with _sealed("url"):
        stored = outbox.stored_channels(store).get(recipient, [])
    return [
        ChannelShown(channel_key(recipient, url), channels.redact(url), False) for url in stored
    ]
