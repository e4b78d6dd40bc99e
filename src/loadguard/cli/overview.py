"""`loadguard overview`: every athlete of the store in one table, from one batched guard
pass (a coach's list, on the command line): the light, plan week and stage, this week
against the cap, soft ground, last pain, shoes due, days since the last run."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer
from rich.table import Table

from loadguard import i18n, settings
from loadguard.cli.common import opened, out

STYLE = {"red": "bold red", "yellow": "yellow", "green": "green"}


def overview(
    as_csv: Annotated[
        bool, typer.Option("--csv", help="The same rows as CSV on standard output.")
    ] = False,
) -> None:
    """Every athlete at a glance: reds first, then yellows, then the longest without a run."""
    from loadguard.app import athlete_list
    from loadguard.app.access import View

    language = i18n.language_for(None, settings.current())

    def t(key: str, **values: object) -> str:
        return i18n.say(language, f"web.{key}", **values)

    with opened("") as (store, _):
        everyone = [View.of_runner(a) for a in store.athletes()]
        rows = athlete_list.ordered(athlete_list.rows(store, everyone))
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=athlete_list.CSV_FIELDS)
        writer.writeheader()
        writer.writerows(r.as_dict() for r in rows)
        return
    if not rows:
        out.print(i18n.say(language, "cli.overview.none"))
        return
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0))
    for column in ("light", "name", "plan_week", "stage", "week_km", "soft_share",
                   "last_pain", "days_since_run", "shoes_due"):  # fmt: skip
        wraps = column in ("name", "stage", "shoes_due")
        table.add_column(
            i18n.say(language, f"cli.overview.{column}"),
            no_wrap=not wraps,
            overflow="fold",
            min_width=(14 if column == "stage" else 8) if wraps else None,
        )

    def num(value: float, digits: int = 0) -> str:
        return i18n.number(value, language, digits)

    for r in rows:
        km = "" if r.week_km is None else num(r.week_km, 1)
        if km and r.cap_km is not None:
            km += f"/{num(r.cap_km, 1)}"
        table.add_row(
            f"[{STYLE[r.light]}]{t('light.' + r.light).split(':')[0]}[/]",
            r.name,
            str(r.plan_week),
            r.stage_in(language) + ("" if r.stage_state == "on_plan" else " *"),
            km,
            "" if r.soft_share is None else f"{num(r.soft_share * 100)} %",
            "" if r.last_pain is None else f"{r.last_pain}/10",
            t("coach.never") if r.days_since_run is None else str(r.days_since_run),
            ", ".join(r.shoes_due),
        )
    out.print(table)
    if any(r.stage_state != "on_plan" for r in rows):
        out.print(f"* {i18n.say(language, 'cli.overview.adjusted')}")
