"""`loadguard runs` and `loadguard run ...`: list runs, and correct one (delete, restore,
relabel, tag its surfaces, give it another shoe). Every correction reruns the guard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from loadguard.app import corrections, service
from loadguard.cli.common import AthleteOption, fail, opened, out
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
    last: Annotated[int, typer.Option(help="How many of the latest runs.")] = 20,
    deleted: Annotated[
        bool,
        typer.Option(
            "--deleted", help="List the runs you deleted or relabelled (to restore them)."
        ),
    ] = False,
) -> None:
    """List the latest runs with their ids (for `loadguard run ...`)."""
    with opened(athlete) as (store, who):
        assert who is not None
        if deleted:
            _print_set_aside(corrections.set_aside(store, who))
            return
        report_runs = service.recent_runs(store, who, last)
    if not report_runs:
        out.print("No runs yet: `loadguard import` reads them from your watch or an export.")
        return
    table = Table()
    for col in ("id", "local start", "week", "km", "min", "longest run", "surface", "shoe"):
        table.add_column(col)
    for r in report_runs:
        longest = "" if r["longest_run_min"] is None else f"{r['longest_run_min']:.1f} min"
        surface = ", ".join(f"{k} {v:.1f}" for k, v in r["surface_km"].items())
        table.add_row(
            str(r["id"]),
            r["start_local"].replace("T", " "),
            str(r["plan_week"]),
            f"{r['km']:.2f}",
            f"{r['min']:.0f}",
            longest,
            surface,
            r["shoe"] or "",
        )
    out.print(table)


def _start(run: RunRef) -> str:
    local = datetime.fromtimestamp(run.start_utc, UTC) + timedelta(seconds=run.utc_offset_s)
    return local.strftime("%Y-%m-%d %H:%M")


def _why(run: RunRef) -> str:
    if run.deleted_at is not None:
        return f"deleted {run.deleted_at[:10]}"
    return (run.label or "").replace("_", "-")


def _print_set_aside(found: list[RunRef]) -> None:
    if not found:
        out.print("No deleted or relabelled runs.")
        return
    table = Table()
    for col in ("id", "local start", "km", "why", "undo"):
        table.add_column(col)
    for r in found:
        undo = f"run restore {r.id}" if r.deleted_at else f"run label {r.id} --clear"
        table.add_row(str(r.id), _start(r), f"{r.distance_m / 1000:.2f}", _why(r), undo)
    out.print(table)


def _done(what: str, status: str) -> None:
    out.print(f"{what}; checked again: {status.upper()}")


def _correct(athlete: str | None, action: str, activity_id: int, *args: object) -> str:
    """Run one correction; returns the guard's light after it."""
    with opened(athlete) as (store, who):
        assert who is not None
        try:
            done = _ACTIONS[action](store, who, activity_id, *args)
        except StoreError as exc:
            raise fail(str(exc)) from None
    return done.status


_ACTIONS: dict[str, Callable[..., corrections.Corrected]] = {
    "delete": corrections.delete_run,
    "restore": corrections.restore_run,
    "label": corrections.label_run,
    "tag": corrections.tag_run,
}


@run_app.command("delete")
def run_delete(activity_id: RunId, athlete: AthleteOption = None) -> None:
    """Delete a run: it no longer counts, and is never imported again."""
    status = _correct(athlete, "delete", activity_id)
    _done(f"run {activity_id} deleted (`loadguard run restore {activity_id}` undoes it)", status)


@run_app.command("restore")
def run_restore(activity_id: RunId, athlete: AthleteOption = None) -> None:
    """Bring back a deleted run (`loadguard runs --deleted` lists them)."""
    status = _correct(athlete, "restore", activity_id)
    _done(f"run {activity_id} restored", status)


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
    status = _correct(athlete, "label", activity_id, chosen)
    what = "no longer relabelled" if chosen is None else f"now counts as {label}"
    _done(f"run {activity_id} {what}", status)


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
    status = _correct(athlete, "tag", activity_id, words)
    what = "untagged" if clear else "tagged " + " ".join(corrections.parse_tags(words))
    _done(f"run {activity_id} {what}", status)


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
    name, status = assign(athlete, activity_id, shoe)
    _done(f"run {activity_id} -> {f'shoe {name!r}' if name else 'the default shoe'}", status)


def assign(athlete: str | None, activity_id: int, shoe: str | None) -> tuple[str | None, str]:
    """Assign a shoe (shared with `shoe assign`): the shoe's name and the guard's light."""
    with opened(athlete) as (store, who):
        assert who is not None
        try:
            done, chosen = corrections.shoe_run(store, who, activity_id, shoe)
        except StoreError as exc:
            raise fail(str(exc)) from None
    return (chosen.name if chosen else None), done.status
