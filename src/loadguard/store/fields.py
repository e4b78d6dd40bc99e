"""What an athlete's id and name may be: short, printable, safe in a URL and a log line.

An id names the athlete in every command, page address and error that lists athletes
(a 100,000-character one made each of those crawl); a name is shown on pages and in
alerts.
"""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loadguard.store.db import StoreError

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_MAX = 100


def shown(value: str, limit: int = 40) -> str:
    """A value as an error quotes it: cut, so a huge one does not flood the terminal."""
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"


def check_athlete(athlete_id: str, name: str, timezone: str) -> None:
    """StoreError naming the field and the reason for an id, name or zone loadguard
    refuses."""
    if not ID.fullmatch(athlete_id):
        raise StoreError(
            f"athlete id {shown(athlete_id)!r} must be 1-64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit (e.g. 'anna')",
            key="athlete_id",
        )
    check_name(name)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise StoreError(
            f"time zone {shown(timezone)!r} is not a known IANA zone (e.g. Europe/Copenhagen)",
            key="timezone",
        ) from None


def check_name(name: str) -> None:
    if len(name) > NAME_MAX:
        raise StoreError(
            f"athlete name {shown(name)!r} is longer than {NAME_MAX} characters", key="name"
        )
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise StoreError(f"athlete name {shown(name)!r} holds control characters", key="name")
