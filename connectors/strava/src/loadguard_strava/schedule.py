"""The scheduled pull (``loadguard.sync`` entry point): for runners whose runs do not arrive
by webhook, `loadguard serve` / `loadguard daemon` call this every
``scheduler.sync_minutes``. It is ``strava sync``: fair turns, resumable, rate limits kept."""

from __future__ import annotations

from loadguard.contract import Host

from . import config as strava_config
from .normalise import SOURCE
from .sync import sync_all
from .tokens import TokenBox


def sync(host: Host) -> list[str]:
    """Pull what is new for every connected athlete; the ids of those with new activities."""
    config = strava_config.load(host.connector_settings(SOURCE))
    results = sync_all(host, config, TokenBox(config))
    return sorted(athlete_id for athlete_id, r in results.items() if r.stored)
