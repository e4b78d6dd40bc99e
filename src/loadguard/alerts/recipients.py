"""Who hears about what: runners and coaches, their channels, language and quiet hours.

A runner is a recipient of their own alerts when ``[alerts.<id>]`` is in the
settings or a channel was added for them (``loadguard alerts add-channel``). A
coach (``[coaches.<name>]``) watches a list of athletes, either alert by alert
or (``digest = "07:30"``) in one message a day. Channels are apprise URLs,
known in the outbox only by a key (a hash), so a URL and its secrets are never
stored with a message. Everything here is pure, given the settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from loadguard.guard.findings import SEVERITY_RANK
from loadguard.settings import Settings


@dataclass(frozen=True)
class Channel:
    key: str  # stable while the URL is unchanged; what the outbox stores
    url: str  # as configured, ``{env:NAME}`` references unexpanded


@dataclass(frozen=True)
class Recipient:
    key: str  # 'athlete:anna' or 'coach:mette'
    name: str
    channels: tuple[Channel, ...]
    min_severity: str
    language: str
    quiet_hours: str  # "22:00-07:00" or ""
    timezone: str
    athletes: tuple[str, ...]  # whose findings they hear about
    digest: str = ""  # "07:30": one message a day; "": alert by alert
    weekly_summary: str = ""  # "mon 08:00" or ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def wants(self, severity: str) -> bool:
        return SEVERITY_RANK[severity] >= SEVERITY_RANK[self.min_severity]

    def channel(self, key: str) -> Channel | None:
        return next((c for c in self.channels if c.key == key), None)


def channel_key(recipient: str, url: str) -> str:
    return hashlib.sha256(f"{recipient}\n{url}".encode()).hexdigest()[:16]


def _channels(recipient: str, urls: list[str]) -> tuple[Channel, ...]:
    unique = list(dict.fromkeys(urls))
    return tuple(Channel(channel_key(recipient, u), u) for u in unique)


def everyone(
    settings: Settings,
    stored: Mapping[str, list[str]],
    zones: Mapping[str, str],
    languages: Mapping[str, str] | None = None,
    choices: Mapping[str, tuple[str, str]] | None = None,
) -> list[Recipient]:
    """Every recipient: settings merged with the channels stored from the CLI and the web
    app; a runner's own choices there (``choices``: key -> (min severity, quiet hours))
    win over the settings file's.

    ``stored`` maps a recipient key to its stored channel URLs; ``zones`` maps athlete
    ids in the store to their time zones (runners hear in their own time zone) and
    ``languages`` to the language each reads (:func:`loadguard.i18n.language_for`).
    """
    out: list[Recipient] = []
    runners = set(settings.alerts) | {
        k.split(":", 1)[1] for k in [*stored, *(choices or {})] if k.startswith("athlete:")
    }
    for athlete_id in sorted(runners & set(zones)):
        key = f"athlete:{athlete_id}"
        chosen = settings.alerts.get(athlete_id)
        urls = list(chosen.channels if chosen else []) + list(stored.get(key, []))
        severity, quiet = (choices or {}).get(
            key, (chosen.min_severity, chosen.quiet_hours) if chosen else ("warning", "")
        )
        out.append(
            Recipient(
                key=key,
                name=athlete_id,
                channels=_channels(key, urls),
                min_severity=severity,
                language=(languages or {}).get(athlete_id)
                or (chosen.language if chosen else None)
                or "en",
                quiet_hours=quiet,
                timezone=zones[athlete_id],
                athletes=(athlete_id,),
                weekly_summary=chosen.weekly_summary if chosen else "",
            )
        )
    for name, coach in sorted(settings.coaches.items()):
        key = f"coach:{name}"
        out.append(
            Recipient(
                key=key,
                name=name,
                channels=_channels(key, list(coach.channels) + list(stored.get(key, []))),
                min_severity=coach.min_severity,
                language=coach.language or "en",
                quiet_hours=coach.quiet_hours,
                timezone=coach.timezone,
                athletes=tuple(coach.athletes),
                digest=coach.digest,
            )
        )
    return out


def watching(recipients: list[Recipient], athlete_id: str) -> list[Recipient]:
    """Those who hear about this athlete's alerts as they happen (not by digest)."""
    return [r for r in recipients if athlete_id in r.athletes and not r.digest and r.channels]


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def held_until(now: datetime, quiet_hours: str, zone: ZoneInfo) -> datetime:
    """When a message made at ``now`` (aware) may go out: now, or the end of the quiet
    hours (local wall time, which may span midnight) it falls in."""
    if not quiet_hours:
        return now
    start_text, end_text = quiet_hours.split("-")
    start, end = _clock(start_text), _clock(end_text)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start == end:
        return now
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # over midnight: 22:00-07:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return now
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(now.tzinfo)
