"""`loadguard guard`: the guard now, for one athlete or everyone in one pass, with the
alerts it calls for (what the daemon runs every hour)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from loadguard.cli.common import (
    EXIT_RED,
    EXIT_YELLOW,
    AthleteOption,
    fail,
    language,
    opened,
    out,
    parse_date,
    say,
)

if TYPE_CHECKING:
    from loadguard.app.guard_pass import PassSummary

EXIT = {"green": 0, "yellow": EXIT_YELLOW, "red": EXIT_RED}
COLOUR = {"green": "green", "yellow": "yellow", "red": "bold red"}


def guard_command(
    every: Annotated[
        bool, typer.Option("--all", help="Every athlete in the database, in one pass.")
    ] = False,
    athlete: AthleteOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Local date to check as of (default: each athlete's own today)."),
    ] = None,
    listed: Annotated[
        bool, typer.Option("--list", help="A line for each athlete who is yellow or red.")
    ] = False,
) -> None:
    """Run the guard now and send the alerts it calls for (the daemon does it hourly).

    Keeps a check for each athlete whose status or findings changed. Exit 0/3/4: the
    worst status found is green/yellow/red."""
    from loadguard.app import guard_pass
    from loadguard.guard.plan import PlanError

    if every and athlete is not None:
        raise fail(say(None, "guard.which"))
    day = parse_date(as_of, "--as-of") if as_of else None
    with opened("" if every else athlete) as (store, who):
        people = store.athletes() if every else [who] if who is not None else []
        if not people:
            out.print(say(None, "guard.none"), markup=False)
            return
        try:
            summary = guard_pass.guard_all(store, "command", day, people)
        except PlanError as exc:
            raise fail(str(exc)) from None
    lang = language(who)
    counts = {s: summary.count(s) for s in EXIT}
    key, when = ("guard.summary_day", {"day": day}) if day else ("guard.summary", {})
    out.print(say(who, key, count=len(people), **when, **counts), markup=False)
    out.print(say(who, "guard.kept", kept=summary.kept, alerts=summary.new_alerts), markup=False)
    if summary.delivered is not None:
        d = summary.delivered
        out.print(say(who, "guard.sent", sent=d.sent, failed=d.failed, held=d.held), markup=False)
    if listed or not every:
        _list(summary, lang)
    worst = max(EXIT[v.status] for v in summary.verdicts.values())
    raise typer.Exit(worst)


def _list(summary: PassSummary, lang: str) -> None:
    from loadguard import i18n

    for athlete_id, v in sorted(summary.verdicts.items()):
        if v.status == "green" and len(summary.verdicts) > 1:
            continue
        days = (v.as_of - v.since).days + 1
        light = i18n.say(lang, f"cli.{v.status}")
        row = i18n.say(
            lang, "cli.guard.row", light=light, athlete=athlete_id, findings=len(v.found), days=days
        )
        out.print(f"[{COLOUR[v.status]}]{escape(row)}[/]", highlight=False)
