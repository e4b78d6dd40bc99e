"""`loadguard user ...`: the operator makes accounts for the web app (the first one too)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated

import typer

from loadguard.cli.common import fail, opened, out, parse_date
from loadguard.store import users as user_store

user_app = typer.Typer(
    no_args_is_help=True,
    help="Accounts for the web app (`loadguard serve`): add, list, link, remove.",
)
PASSWORD_ENV = "LOADGUARD_PASSWORD"


def _password(given: bool) -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not given:
        raise fail(f"no password: give --password (asked, not echoed) or set ${PASSWORD_ENV}")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The person's email (their login).")],
    name: Annotated[str, typer.Option(help="Their name as the pages show it.")] = "",
    role: Annotated[
        list[str] | None, typer.Option(help="runner, coach; give it twice for both.")
    ] = None,
    athlete: Annotated[
        str | None, typer.Option("--athlete", "-a", help="Link this existing athlete's data.")
    ] = None,
    plan_start: Annotated[
        str | None, typer.Option(help="A new runner's plan week 1 (YYYY-MM-DD, default today).")
    ] = None,
    language: Annotated[str, typer.Option(help="en or da.")] = "en",
    password: Annotated[
        bool, typer.Option("--password", help="Ask for the password (or $LOADGUARD_PASSWORD).")
    ] = False,
) -> None:
    """Make an account. A runner without --athlete gets a new athlete of their own."""
    from loadguard.app.accounts import AccountError, NewAccount, add_account

    roles = tuple(role or ["runner"])
    start = parse_date(plan_start, "--plan-start") if plan_start else datetime.now(UTC).date()
    secret = _password(password)
    with opened("") as (store, _):
        try:
            made = add_account(
                store,
                NewAccount(
                    email=email,
                    name=name,
                    password=secret,
                    roles=roles,
                    plan_start=start,
                    language=language if language in ("en", "da") else "en",
                    athlete_id=athlete,
                ),
            )
        except AccountError as exc:
            raise fail(f"{exc.field or 'account'}: {exc}") from None
    linked = f", athlete {made.athlete_id}" if made.athlete_id else ""
    out.print(f"account {made.email} ({', '.join(made.roles)}{linked})", markup=False)


@user_app.command("list")
def user_list() -> None:
    """Every account: email, roles, linked athlete, language."""
    with opened("") as (store, _):
        everyone = user_store.users(store)
    if not everyone:
        out.print("No accounts yet: `loadguard user add EMAIL --password`.")
    for u in everyone:
        out.print(
            f"{u.email}\t{','.join(u.roles)}\t{u.athlete_id or '-'}\t{u.language}", markup=False
        )


@user_app.command("link")
def user_link(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    athlete: Annotated[str, typer.Argument(help="The athlete id (see `athlete list`).")],
) -> None:
    """Link an existing athlete (made on the command line) to an account."""
    from loadguard.app.accounts import link_athlete

    with opened("") as (store, _):
        user = user_store.user_by_email(store, email)
        if user is None:
            raise fail(f"no account {email}: `loadguard user list` shows them")
        link_athlete(store, user, store.athlete(athlete))
    out.print(f"{email} now sees athlete {athlete}", markup=False)


@user_app.command("remove")
def user_remove(email: Annotated[str, typer.Argument(help="The account's email.")]) -> None:
    """Remove an account (its athlete's data stays; `athlete` commands still reach it)."""
    with opened("") as (store, _):
        user = user_store.user_by_email(store, email)
        if user is None:
            raise fail(f"no account {email}")
        user_store.delete_user(store, user.id)
    out.print(f"account {email} removed", markup=False)
