"""`loadguard athlete ...`: add, change and list athletes."""

from __future__ import annotations

from typing import Annotated

import typer

from loadguard import settings
from loadguard.cli.common import fail, opened, out, parse_date, say
from loadguard.guard.plan import PlanError, load_plan
from loadguard.i18n import LANGUAGES
from loadguard.store.db import StoreError

athlete_app = typer.Typer(no_args_is_help=True, help="Set up, change and list athletes.")

PlanOption = Annotated[str | None, typer.Option(help="Plan id (see `loadguard plans`).")]
LanguageOption = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="What the runner reads: en or da (default: the settings file's, else $LANG).",
    ),
]
TzOption = Annotated[
    str | None, typer.Option(help="IANA time zone (default: the settings' athlete.timezone).")
]


def _not_empty(**given: str | None) -> None:
    """An option given as "" is a mistake, not "keep the default": say which."""
    for option, value in given.items():
        if value is not None and not value.strip():
            raise fail(f"--{option} is empty: leave it out, or give a value")


@athlete_app.command("add")
def athlete_add(
    athlete_id: Annotated[str, typer.Argument(help="Short id, e.g. 'anna'.")],
    start: Annotated[str, typer.Option(help="First day of plan week 1 (YYYY-MM-DD).")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    plan: PlanOption = None,
    tz: TzOption = None,
    lang: LanguageOption = None,
) -> None:
    """Add an athlete with a rehab plan and its start date."""
    _not_empty(tz=tz, name=name)
    start_day = parse_date(start, "--start")
    chosen = _language(lang)
    with opened("") as (store, _):
        known = {a.id: a for a in store.athletes()}
        if athlete_id in known:
            a = known[athlete_id]
            raise fail(
                f"athlete {athlete_id!r} exists ({a.name}, plan {a.plan_id} from {a.plan_start},"
                f" {a.timezone}); change one thing with `loadguard athlete set {athlete_id}"
                " --start/--name/--plan/--tz`"
            )
        try:
            load_plan(plan or "heel-fat-pad")
            zone = tz or settings.current().athlete.timezone
            a = store.add_athlete(
                athlete_id, name or athlete_id, plan or "heel-fat-pad", start_day, zone, chosen
            )
        except (StoreError, PlanError, settings.SettingsError) as exc:
            raise fail(str(exc)) from None
    said = say(a, "athlete.added", id=a.id, plan=a.plan_id, start=a.plan_start, tz=a.timezone)
    out.print(said, markup=False)


def _language(value: str | None) -> str:
    if value is None:
        return ""
    if value not in LANGUAGES:
        raise fail(f"--language {value!r} is not one of {', '.join(LANGUAGES)}")
    return value


@athlete_app.command("set")
def athlete_set(
    athlete_id: Annotated[str, typer.Argument(help="The athlete's id.")],
    start: Annotated[
        str | None, typer.Option(help="First day of plan week 1 (YYYY-MM-DD).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    plan: PlanOption = None,
    tz: Annotated[str | None, typer.Option(help="IANA time zone, e.g. Europe/Copenhagen.")] = None,
    lang: LanguageOption = None,
) -> None:
    """Change what you give of an athlete; the rest stays. The guard checks again."""
    from loadguard.app import service

    if start is None and name is None and plan is None and tz is None and lang is None:
        raise fail("say what to change: --start, --name, --plan, --tz or --language")
    _not_empty(tz=tz, name=name)
    chosen = None if lang is None else _language(lang)
    start_day = parse_date(start, "--start") if start else None
    with opened(athlete_id) as (store, who):
        assert who is not None
        try:
            a = service.update_athlete(
                store,
                who,
                name=name,
                plan_id=plan,
                plan_start=start_day,
                timezone=tz,
                language=chosen,
            )
        except (StoreError, PlanError) as exc:
            raise fail(str(exc)) from None
    out.print(
        f"athlete [bold]{a.id}[/] ({a.name}): plan {a.plan_id} from {a.plan_start} ({a.timezone})"
    )


@athlete_app.command("list")
def athlete_list() -> None:
    """List the athletes in this store."""
    with opened("") as (store, _):
        for a in store.athletes():
            lang = f"\t{a.language}" if a.language else ""
            out.print(f"{a.id}\t{a.name}\t{a.plan_id}\t{a.plan_start}\t{a.timezone}{lang}")
