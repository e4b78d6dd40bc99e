"""`loadguard runs` and `loadguard run ...`: list runs, and correct one (delete, restore,
relabel, tag its surfaces, give it another shoe). Every correction reruns the guard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from loadguard.app import corrections
from loadguard.cli.common import AthleteOption, fail, language, opened, out, say
from loadguard.cli.words import Words
from loadguard.contract import Athlete
from loadguard.i18n import word
from loadguard.store.corrections import LABELS, RunRef
from loadguard.store.db import StoreError

run_app = typer.Typer(
    no_args_is_help=True,
    help="Correct a run: delete or restore it, say it was a walk or not yours, tag its"
    " surface, or give it another shoe. The guard checks you again after each.",
)

RunId = Annotated[int, typer.Argument(help="The run's id (see `loadguard runs`).")]


def runs(
    athlete: AthleteOption = None,
    last: Annotated[
        int, typer.Option(help="How many of the latest runs.", min=1, max=100_000)
    ] = 20,
    deleted: Annotated[
        bool,
        typer.Option(
            "--deleted", help="List the runs you deleted or relabelled (to restore them)."
        ),
    ] = False,
) -> None:
    """List the latest runs with their ids (for `loadguard run ...`)."""
    from loadguard.app import service

    with opened(athlete) as (store, who):
        assert who is not None
        t = Words(language(who))
        if deleted:
            _print_set_aside(corrections.set_aside(store, who), t)
            return
        report_runs = service.recent_runs(store, who, last)
    if not report_runs:
        out.print(t.cli("no_runs"), markup=False)
        return
    table = Table()
    for col in ("id", "col_start", "col_week", "km", "min", "longest", "surface", "col_shoe"):
        table.add_column(_column(col, t))
    for r in report_runs:
        longest = "" if r["longest_run_min"] is None else f"{t.num(r['longest_run_min'])} min"
        surface = ", ".join(f"{word(t.language, k)} {t.num(v)}" for k, v in r["surface_km"].items())
        table.add_row(
            str(r["id"]),
            r["start_local"].replace("T", " "),
            str(r["plan_week"]),
            t.num(r["km"], 2),
            t.num(r["min"], 0),
            longest,
            surface,
            r["shoe"] or "",
        )
    out.print(table)


def _column(key: str, t: Words) -> str:
    if key.startswith("col_"):
        return t.cli(f"runs.{key}")
    return {"longest": t("col_longest"), "surface": t("col_surface"), "min": t("col_min")}.get(
        key, key
    )


def _start(run: RunRef) -> str:
    local = datetime.fromtimestamp(run.start_utc, UTC) + timedelta(seconds=run.utc_offset_s)
    return local.strftime("%Y-%m-%d %H:%M")


def _why(run: RunRef, t: Words) -> str:
    if run.deleted_at is not None:
        return t.cli("runs.deleted_on", day=run.deleted_at[:10])
    return t.cli(f"labels.{run.label}") if run.label else ""


def _print_set_aside(found: list[RunRef], t: Words) -> None:
    if not found:
        out.print(t.cli("runs.none_set_aside"), markup=False)
        return
    table = Table()
    for col in ("id", "col_start", "km", "col_why", "col_undo"):
        table.add_column(_column(col, t))
    for r in found:
        undo = f"run restore {r.id}" if r.deleted_at else f"run label {r.id} --clear"
        table.add_row(str(r.id), _start(r), t.num(r.distance_m / 1000, 2), _why(r, t), undo)
    out.print(table)


def print_held(who: Athlete, found: list[RunRef]) -> None:
    """The runs held for review, each with why, and how to accept or drop them."""
    if not found:
        return
    from loadguard.app.wording import held_text  # the alerts' texts: only when runs are held

    t = Words(language(who))
    out.print(t.cli("runs.held_title"), markup=False)
    for r in found:
        assert r.held is not None
        why = held_text(r.held, t.language)
        km = t.num(r.distance_m / 1000, 2)
        out.print("  " + t.cli("runs.held_row", id=r.id, start=_start(r), km=km, why=why))
    out.print(t.cli("runs.held_fix"), markup=False)


def _done(who: Athlete, key: str, status: str, **values: object) -> None:
    t = Words(language(who))
    checked = t.cli("checked", status=t.cli(status))
    out.print(f"{t.cli(f'runs.{key}', **values)}; {checked}", markup=False)


def _correct(
    athlete: str | None, action: str, activity_id: int, *args: object
) -> tuple[Athlete, str]:
    """Run one correction; returns the athlete and the guard's light after it."""
    with opened(athlete) as (store, who):
        assert who is not None
        try:
            done = _ACTIONS[action](store, who, activity_id, *args)
        except StoreError as exc:
            raise fail(str(exc)) from None
    return who, done.status


_ACTIONS: dict[str, Callable[..., corrections.Corrected]] = {
    "delete": corrections.delete_run,
    "restore": corrections.restore_run,
    "accept": corrections.accept_run,
    "label": corrections.label_run,
    "tag": corrections.tag_run,
}


@run_app.command("delete")
def run_delete(activity_id: RunId, athlete: AthleteOption = None) -> None:
    """Delete a run: it no longer counts, and is never imported again."""
    who, status = _correct(athlete, "delete", activity_id)
    _done(who, "deleted", status, id=activity_id)


@run_app.command("restore")
def run_restore(activity_id: RunId, athlete: AthleteOption = None) -> None:
    """Bring back a deleted run (`loadguard runs --deleted` lists them)."""
    who, status = _correct(athlete, "restore", activity_id)
    _done(who, "restored", status, id=activity_id)


@run_app.command("accept")
def run_accept(activity_id: RunId, athlete: AthleteOption = None) -> None:
    """Count a run held for review: its values looked impossible, but it is right
    (`loadguard failures` lists the held runs; `run delete` drops one instead)."""
    who, status = _correct(athlete, "accept", activity_id)
    _done(who, "accepted", status, id=activity_id)


def _label(value: str | None) -> str | None:
    if value is None:
        return None
    label = value.strip().lower().replace("-", "_")
    if label not in LABELS:
        raise fail(
            f"label {value!r} is not one of {', '.join(x.replace('_', '-') for x in LABELS)}"
        )
    return label


@run_app.command("label")
def run_label(
    activity_id: RunId,
    label: Annotated[
        str | None,
        typer.Argument(
            help="What it was: walk, hike, cross-training, not-mine, or run.",
            show_default=False,
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Take the label back: it counts as recorded.")
    ] = False,
    athlete: AthleteOption = None,
) -> None:
    """Say what an activity really was: a walk, a hike, cross-training, or not yours."""
    if (label is None) == (not clear):
        raise fail("give a label (walk, hike, cross-training, not-mine, run) or --clear")
    chosen = _label(label)
    who, status = _correct(athlete, "label", activity_id, chosen)
    if chosen is None:
        _done(who, "unlabelled", status, id=activity_id)
    else:
        named = say(who, f"labels.{chosen}")
        _done(who, "labelled", status, id=activity_id, label=named)


@run_app.command("tag")
def run_tag(
    activity_id: RunId,
    surfaces: Annotated[
        list[str] | None,
        typer.Argument(
            help="Surfaces it was on: grass, gravel, trail, track, asphalt, treadmill..."
            " (several split the run evenly).",
            show_default=False,
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Take the tags back: the GPS track decides.")
    ] = False,
    athlete: AthleteOption = None,
) -> None:
    """Tag a run's surface, as #grass in a title would (for a watch file with no title)."""
    words = [] if clear else list(surfaces or [])
    if not clear:
        try:
            corrections.parse_tags(words)
        except StoreError as exc:
            raise fail(str(exc)) from None
    who, status = _correct(athlete, "tag", activity_id, words)
    if clear:
        _done(who, "untagged", status, id=activity_id)
    else:
        tags = " ".join(corrections.parse_tags(words))
        _done(who, "tagged", status, id=activity_id, tags=tags)


@run_app.command("shoe")
def run_shoe(
    activity_id: RunId,
    shoe: Annotated[
        str | None,
        typer.Argument(help="The shoe's id or name (see `shoe list`).", show_default=False),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Back to the default shoe of that day.")
    ] = False,
    athlete: AthleteOption = None,
) -> None:
    """Say which shoe a run was in (overrides the default shoe)."""
    if (shoe is None) == (not clear):
        raise fail("give a shoe (see `loadguard shoe list`) or --clear")
    assign(athlete, activity_id, shoe)


def assign(athlete: str | None, activity_id: int, shoe: str | None) -> None:
    """Assign a shoe and say so (shared with `shoe assign`)."""
    with opened(athlete) as (store, who):
        assert who is not None
        try:
            done, chosen = corrections.shoe_run(store, who, activity_id, shoe)
        except StoreError as exc:
            raise fail(str(exc)) from None
    if chosen is None:
        _done(who, "default_shoe", done.status, id=activity_id)
    else:
        _done(who, "shoe", done.status, id=activity_id, shoe=chosen.name)
