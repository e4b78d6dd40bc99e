"""`loadguard pain / symptom / condition`: what the heel says, logged and validated."""

from __future__ import annotations

from typing import Annotated

import typer

from loadguard import i18n
from loadguard.cli.common import AthleteOption, fail, language, opened, out, parse_date, say
from loadguard.guard import pain_scale
from loadguard.guard.plan import load_plan


def _moment(after_run: bool, during: bool, morning: bool, rest_day: bool) -> str:
    chosen = [
        m
        for m, on in (
            ("after", after_run),
            ("during", during),
            ("morning", morning),
            ("rest", rest_day),
        )
        if on
    ]
    if len(chosen) != 1:
        raise fail("say when: exactly one of --after-run, --during, --morning, --rest-day")
    return chosen[0]


def pain_command(
    score: Annotated[int | None, typer.Argument(help="Pain 0-10 (none with --remove).")] = None,
    after_run: Annotated[bool, typer.Option("--after-run", help="After today's run.")] = False,
    during: Annotated[bool, typer.Option("--during", help="During the run.")] = False,
    morning: Annotated[bool, typer.Option("--morning", help="On waking.")] = False,
    rest_day: Annotated[bool, typer.Option("--rest-day", help="A day without running.")] = False,
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today).")] = None,
    remove: Annotated[
        bool, typer.Option("--remove", help="Take back the score logged for that day and moment.")
    ] = False,
    athlete: AthleteOption = None,
) -> None:
    """Log pain 0-10 (0-2 go, 3-5 fine if settled by next morning, above 5 back off).

    A second score for the same day and moment replaces the first; --remove takes it back."""
    from loadguard.app import service

    moment = _moment(after_run, during, morning, rest_day)
    if remove == (score is not None):
        raise fail("give a score 0-10, or --remove without one")
    with opened(athlete) as (store, who):
        assert who is not None
        when = parse_date(day, "--date") if day else service.today(who)
        if score is None:
            removed = service.remove_pain(store, who, moment, when)
            said = say(who, moment)
            if removed is None:
                raise fail(say(who, "pain.nothing_to_remove", moment=said, day=when))
            out.print(say(who, "pain.removed", score=removed, moment=said, day=when))
            return
        try:
            run, replaced = service.store_pain(store, who, score, moment, when)
        except pain_scale.PainError as exc:
            raise fail(str(exc)) from None
        bands = load_plan(who.plan_id).pain
        light = say(who, "pain." + pain_scale.light(score, bands.green_max, bands.yellow_max))
        linked = say(who, "pain.linked", run=run) if run else ""
        instead = say(who, "pain.replaces", score=replaced) if replaced is not None else ""
        out.print(
            say(
                who,
                "pain.logged",
                score=score,
                moment=say(who, moment),
                day=when,
                linked=linked,
                light=light,
                instead=instead,
            )
        )
        service.run_guard(store, who, "pain")  # after the answer: its alerts go out now


def symptom_command(
    kind: Annotated[str, typer.Argument(help=", ".join(pain_scale.SYMPTOMS))],
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today).")] = None,
    note: Annotated[str, typer.Option(help="Anything the doctor should know.")] = "",
    athlete: AthleteOption = None,
) -> None:
    """Log a symptom from the red-flag list (they mean: see a doctor)."""
    from loadguard.app import service

    with opened(athlete) as (store, who):
        assert who is not None
        when = parse_date(day, "--date") if day else service.today(who)
        try:
            service.log_symptom(store, who, kind, when, note)
        except pain_scale.PainError as exc:
            raise fail(str(exc)) from None
    text = i18n.say(language(who), f"details.{kind}")
    out.print(say(who, "pain.symptom", kind=kind, day=when, text=text), style="bold red")


def condition_command(
    condition: Annotated[str, typer.Argument(help=", ".join(pain_scale.CONDITIONS))],
    athlete: AthleteOption = None,
) -> None:
    """Record a condition in the athlete's profile (diabetes, reduced circulation)."""
    from loadguard.app import service

    with opened(athlete) as (store, who):
        assert who is not None
        try:
            service.add_condition(store, who, condition)
        except pain_scale.PainError as exc:
            raise fail(str(exc)) from None
    text = i18n.say(language(who), f"details.{condition}")
    out.print(say(who, "pain.condition", condition=condition, text=text))
