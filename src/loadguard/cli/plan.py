"""`loadguard plan ...`: the next sessions, as a list, as workout files for the watch, and
as a private calendar feed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loadguard import settings
from loadguard.cli.common import AthleteOption, fail, language, opened, out, parse_date, say
from loadguard.store.db import StoreError
from loadguard.workouts import MAX_WEEKS

if TYPE_CHECKING:
    from loadguard.app import workouts

plan_app = typer.Typer(
    no_args_is_help=True,
    help="Your next sessions: list them, put them on your watch, or in your calendar.",
)

WeeksOption = Annotated[int, typer.Option("--weeks", help=f"How many weeks ahead (1-{MAX_WEEKS}).")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Plan from this day (YYYY-MM-DD; default today).")
]


def _planned(
    athlete: str | None, weeks: int, as_of: str | None
) -> tuple[list[workouts.Planned], str]:
    from loadguard.app import workouts  # its sessions and stores: when a plan command runs

    day = parse_date(as_of, "--as-of") if as_of else None
    with opened(athlete) as (store, who):
        assert who is not None
        lang = language(who)
        try:
            return workouts.planned(store, who, weeks, lang, day), lang
        except StoreError as exc:
            raise fail(str(exc)) from None


@plan_app.command("show")
def show(athlete: AthleteOption = None, weeks: WeeksOption = 1, as_of: AsOfOption = None) -> None:
    """List the next sessions, step by step."""
    from loadguard.app import workouts

    plans, lang = _planned(athlete, weeks, as_of)
    if not plans:
        out.print(say(None, "plan.none"), markup=False)
    for p in plans:
        out.print(f"{p.workout.day.isoformat()}  {p.workout.title}", markup=False)
        for line in workouts.describe(p, lang):
            out.print(f"    {line}", markup=False)


@plan_app.command("workouts")
def workouts_command(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where to write them: your watch's GARMIN/NewFiles folder, or any folder.",
        ),
    ],
    athlete: AthleteOption = None,
    weeks: WeeksOption = 2,
    as_of: AsOfOption = None,
    kind: Annotated[str, typer.Option("--format", help="The file format.")] = "fit",
) -> None:
    """Write the next sessions as workout files your watch follows (run/walk repeats, the
    warm-up walk, the whole session). Run it again after the stage changes: files no
    longer planned are removed."""
    from loadguard.app import workouts

    plans, _ = _planned(athlete, weeks, as_of)
    try:
        written = workouts.write_workouts(plans, out_dir.expanduser(), kind)
    except (StoreError, OSError) as exc:
        raise fail(f"cannot write workouts to {out_dir}: {exc}") from None
    for path, p in zip(written, plans, strict=True):
        out.print(f"{path.name}  {p.workout.title}", markup=False, soft_wrap=True)
    out.print(say(None, "plan.written", count=len(written), folder=str(out_dir)), markup=False)


@plan_app.command("calendar")
def calendar(
    athlete: AthleteOption = None,
    new: Annotated[
        bool, typer.Option("--new", help="Make a private feed link (an old one stops working).")
    ] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Stop the feed link.")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the sessions as an .ics file instead.")
    ] = None,
    weeks: WeeksOption = 4,
) -> None:
    """Your next sessions in your phone's calendar: a private feed link to subscribe to
    (served by `loadguard serve`), or an .ics file."""
    from loadguard.app import workouts

    if new and revoke:
        raise fail("give --new or --revoke, not both")
    with opened(athlete) as (store, who):
        assert who is not None
        if revoke:
            gone = workouts.revoke_feed(store, who)
            out.print(say(who, "plan.revoked" if gone else "plan.no_feed"), markup=False)
            return
        if new:
            token = workouts.new_feed(store, who)
            # the settings' base_url, else where `loadguard serve` listens by default
            base = settings.current().web.base_url.rstrip("/") or "http://127.0.0.1:8080"
            out.print(say(who, "plan.feed", url=f"{base}/calendar/{token}.ics"), markup=False)
            return
        if out_file is None:
            raise fail("give --new (a feed link), --revoke, or --out FILE.ics")
        from loadguard.app import ical  # icalendar: 120 ms, only for this command

        lang = language(who)
        try:
            plans = workouts.planned(store, who, weeks, lang)
        except StoreError as exc:
            raise fail(str(exc)) from None
        try:
            out_file.expanduser().write_bytes(ical.feed(who, plans, lang, datetime.now(UTC)))
        except OSError as exc:
            raise fail(f"cannot write {out_file}: {exc.strerror}") from None
        out.print(say(who, "plan.ics", count=len(plans), file=str(out_file)), markup=False)
