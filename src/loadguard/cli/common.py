"""What every command module shares: exit codes, consoles, options, opening the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from loadguard import i18n, settings
from loadguard.contract import Athlete
from loadguard.guard.plan import PlanError
from loadguard.i18n import language_for
from loadguard.sources import registry
from loadguard.store import sql
from loadguard.store.db import Store, StoreError, default_db
from loadguard.store.sql import Target, readable_by_others

EXIT_ERROR, EXIT_YELLOW, EXIT_RED = 1, 3, 4

out = Console()
err = Console(stderr=True)


class State:
    db: Target | None = None  # set by the callback; nothing is read at import time


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Your loadguard database: a file, sqlite:///path or postgresql://user@host/name (default: $LOADGUARD_DB, else a file in your user data folder).",
    ),
]
AthleteOption = Annotated[
    str | None, typer.Option("--athlete", "-a", help="Athlete id (default: the only one).")
]


def fail(message: str) -> typer.Exit:
    """Print the error (as text: a "[coaches.mette]" in it is not console markup)."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(EXIT_ERROR)


def warn_if_exposed(store: Store) -> None:
    """Say so when other users of this machine can read the store (GPS tracks and pain)."""
    path = store.target.path
    if path is not None and readable_by_others(path):
        mode = oct(path.stat().st_mode & 0o777)[2:]
        err.print(
            f"[yellow]warning:[/] {escape(str(path))} can be read by other users of this"
            f" machine (mode {mode}); `chmod 600 {escape(str(path))}` keeps it private",
            soft_wrap=True,
        )


def _waiting(message: str) -> None:
    err.print(f"[yellow]{escape(message)}…[/]", soft_wrap=True)


@contextmanager
def opened(athlete_id: str | None = None) -> Iterator[tuple[Store, Athlete | None]]:
    sql.wait_notice = _waiting  # a write that waits for another process's lock says so
    try:
        with Store(State.db or default_db()) as store:
            warn_if_exposed(store)
            yield store, (store.athlete(athlete_id) if athlete_id != "" else None)
    except (
        StoreError,
        PlanError,
        registry.UnknownConnector,
        settings.SettingsError,
        sql.StoreBusy,
    ) as exc:
        raise fail(str(exc)) from None


def language(who: Athlete | None) -> str:
    """What this runner reads: their setting, else the settings file, else LANG."""
    return language_for(who, settings.current())


def say(who: Athlete | None, key: str, /, **values: object) -> str:
    """A command-line text (``cli.<key>`` in the catalogue) in the runner's language."""
    return i18n.say(language(who), f"cli.{key}", **values)


# Days loadguard reasons about: GPS watches and this plan belong to these years; a year 1
# or 9999 would run the week arithmetic off the calendar.
FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2099, 12, 31)


def parse_date(value: str, what: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise fail(f"{what} {value[:40]!r} is not a date like 2026-03-02") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise fail(f"{what} {value} is outside {FIRST_DAY.year}-{LAST_DAY.year}")
    return day
