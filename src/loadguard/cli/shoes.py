"""`loadguard shoe ...`: add, list, retire and assign shoes."""

from __future__ import annotations

from typing import Annotated

import typer

from loadguard.cli.common import AthleteOption, fail, language, opened, out, parse_date, say
from loadguard.cli.runs import assign
from loadguard.i18n import number, word
from loadguard.store.db import StoreError

shoe_app = typer.Typer(
    no_args_is_help=True,
    help="Your shoes and their kilometres: add, list, retire, and which shoe a run was in.",
)


@shoe_app.command("add")
def shoe_add(
    name: Annotated[str, typer.Argument(help="What you call the shoe, e.g. 'Daily trainer'.")],
    athlete: AthleteOption = None,
    initial_km: Annotated[float, typer.Option(help="Km on the shoe before loadguard.")] = 0.0,
    stack: Annotated[float | None, typer.Option(help="Heel stack height, mm.")] = None,
    drop: Annotated[float | None, typer.Option(help="Heel-to-toe drop, mm.")] = None,
    minimalist: Annotated[
        bool | None,
        typer.Option("--minimalist/--cushioned", help="A minimalist (barefoot-style) shoe or not."),
    ] = None,
    default_from: Annotated[
        str | None, typer.Option(help="Runs from this date get this shoe by default.")
    ] = None,
) -> None:
    """Add a shoe with its starting km and profile."""
    since = parse_date(default_from, "--default-from") if default_from else None
    with opened(athlete) as (store, who):
        assert who is not None
        try:
            shoe = store.add_shoe(
                who.id,
                name,
                initial_km=initial_km,
                heel_stack_mm=stack,
                drop_mm=drop,
                minimalist=minimalist,
                default_from=since,
            )
        except StoreError as exc:
            raise fail(str(exc)) from None
    out.print(say(who, "shoes.added", id=shoe.id, name=shoe.name), markup=False)


@shoe_app.command("list")
def shoe_list(
    athlete: AthleteOption = None,
    as_of: Annotated[
        str | None, typer.Option(help="Count kilometres up to this date (default today).")
    ] = None,
) -> None:
    """List shoes with their mileage."""
    from loadguard.app import checking

    with opened(athlete) as (store, who):
        assert who is not None
        day = parse_date(as_of, "--as-of") if as_of else checking.today(who)
        report = checking.check(store, who, day)
    lang = language(who)
    for s in report.shoes:
        km, status = number(s["km"], lang), word(lang, s["status"])
        out.print(f"{s['id']}\t{s['name']}\t{km} km\t{status}", markup=False)


@shoe_app.command("retire")
def shoe_retire(
    shoe: Annotated[str, typer.Argument(help="The shoe's id or name (see `shoe list`).")],
    athlete: AthleteOption = None,
    on: Annotated[
        str | None, typer.Option(help="Its last day in use, YYYY-MM-DD (default today).")
    ] = None,
) -> None:
    """Retire a shoe: runs after that day no longer go on it."""
    from loadguard.app import service

    with opened(athlete) as (store, who):
        assert who is not None
        day = parse_date(on, "--on") if on else service.today(who)
        try:
            s = store.retire_shoe(who.id, shoe, day)
        except StoreError as exc:
            raise fail(str(exc)) from None
    out.print(say(who, "shoes.retired", name=s.name, day=s.retired_on), markup=False)


@shoe_app.command("assign")
def shoe_assign(
    activity_id: Annotated[int, typer.Argument(help="The run's id (see `loadguard runs`).")],
    shoe: Annotated[str, typer.Argument(help="The shoe's id or name (see `shoe list`).")],
    athlete: AthleteOption = None,
) -> None:
    """Say which shoe a run was in (overrides the default shoe)."""
    assign(athlete, activity_id, shoe)
