"""`loadguard`: the command line, the typer app with every command group.

Each command parses its options, calls :mod:`loadguard.app.service` and prints;
the help texts below are written for runners, the docstrings of helpers for us.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from loadguard import settings
from loadguard.cli.alerts import alerts_app, daemon_command
from loadguard.cli.athletes import athlete_app
from loadguard.cli.common import (
    EXIT_ERROR,
    EXIT_RED,
    EXIT_YELLOW,
    AthleteOption,
    DbOption,
    State,
    err,
    fail,
    language,
    opened,
    out,
    parse_date,
    say,
)
from loadguard.cli.guard import guard_command
from loadguard.cli.maps import osm_app, places_app, surfaces_app
from loadguard.cli.overview import overview
from loadguard.cli.pain import condition_command, pain_command, symptom_command
from loadguard.cli.plan import plan_app
from loadguard.cli.plugins import PluginGroup
from loadguard.cli.runs import run_app, runs
from loadguard.cli.shoes import shoe_app
from loadguard.cli.users import user_app
from loadguard.cli.worker import worker_command
from loadguard.store.db import StoreError, db_target, default_db

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from loadguard.app.host import StoreHost
    from loadguard.app.importing import ImportSummary
    from loadguard.contract import Athlete
    from loadguard.store.db import Store
    from loadguard.store.sql import Target

# Start-up: `loadguard --help` and the commands that only read or write the store import
# no polars, numpy or plug-in; a command that computes imports what it needs when it runs
# (bench/bench_cli.py measures it).

STATUS_EXIT = {"green": 0, "yellow": EXIT_YELLOW, "red": EXIT_RED}

HELP = """loadguard watches your runs while you come back from heel fat pad syndrome and
tells you when you break your return plan: too much too soon, hard ground too early,
a worn-out shoe, pain that did not settle.

Start with `loadguard demo`, or: `athlete add`, `import` your watch folder, `check`.

Exit codes: 0 done (check: all green), 1 bad input or a file that failed to
import, 2 wrong usage, 3 check: yellow, 4 check: red.
"""
START, HEEL, RUNS, GROUND, WATCH = (
    "Getting started",
    "Pain and symptoms",
    "Runs and shoes",
    "Surfaces",
    "Alerts and keeping watch",
)

app = typer.Typer(
    cls=PluginGroup,
    no_args_is_help=True,
    add_completion=False,
    help=HELP,
    rich_markup_mode=None,  # plain help: see PluginGroup.format_commands
    pretty_exceptions_enable=False,
)
app.add_typer(athlete_app, name="athlete", rich_help_panel=START)
app.add_typer(shoe_app, name="shoe", rich_help_panel=RUNS)
app.add_typer(osm_app, name="osm", rich_help_panel=GROUND)
app.add_typer(places_app, name="places", rich_help_panel=GROUND)
app.add_typer(surfaces_app, name="surfaces", rich_help_panel=GROUND)
app.add_typer(alerts_app, name="alerts", rich_help_panel=WATCH)
app.add_typer(user_app, name="user", rich_help_panel=WATCH)


@app.callback()
def _options(ctx: typer.Context, db: DbOption = None) -> None:
    """Options for every command."""
    try:
        State.db = db_target(db) if db else default_db()
    except (settings.SettingsError, StoreError) as exc:
        raise fail(str(exc)) from None
    ctx.obj = partial(_open_host, State.db)  # a connector's commands open the store with it


def _open_host(db: Target) -> AbstractContextManager[StoreHost]:
    from loadguard.app.host import opened as open_host

    return open_host(db)


def plans() -> None:
    """List the rehab plans available."""
    from loadguard.guard.plan import PlanError, available_plans, load_plan

    for plan_id in available_plans():
        try:
            out.print(f"{plan_id}\t{load_plan(plan_id).title}")
        except PlanError as exc:
            err.print(f"[red]{plan_id}: {exc}[/]")


def _progress_import(
    store: Store, athlete: Athlete, targets: list[str], source: str, retry: bool
) -> ImportSummary:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from loadguard.app import importing  # not service: polars loads only if runs came in

    total = importing.ImportSummary()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"))
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("importing", total=None, info="")

        def tick(origin: str, s: ImportSummary) -> None:
            info = f"{s.seen} items, {s.bytes / 1e6:.1f} MB, {len(s.failed)} failed"
            bar.update(task, advance=1, info=info)

        parts = [importing.retry_failures(store, athlete, progress=tick)] if retry else []
        parts += [
            importing.import_from(
                store, athlete, t, source=source, progress=tick, meanwhile=_load_the_guard
            )
            for t in targets
        ]
    for part in parts:
        total.add(part)
    return total


def _load_the_guard() -> object:
    """The guard that runs after an import that brought runs, and polars with it (0.15 s),
    loaded while worker processes read the files."""
    from loadguard.app import service

    return service


def import_(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="FIT, GPX or TCX files (or .gz), folders (a mounted watch) or export zips"
            " (Garmin's, Strava's)."
        ),
    ] = None,
    athlete: AthleteOption = None,
    source: Annotated[
        str,
        typer.Option(
            help="Read every file as this kind (fit, gpx, tcx, ...); by default each file"
            " is read by its own kind and a Strava export by its index."
        ),
    ] = "auto",
    retry: Annotated[bool, typer.Option(help="Try the files that failed before again.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Also list the files that are not activities.")
    ] = False,
) -> None:
    """Read your runs from your watch or an export.

    A file already read is skipped; one that cannot be read is listed (exit 1) and
    kept for --retry."""
    from loadguard.app.wording import held_text

    if not paths and not retry:
        raise fail("give a file, folder or zip to import, or --retry")
    with opened(athlete) as (store, who):
        assert who is not None
        s = _progress_import(store, who, paths or [], source, retry)
        if s.runs:  # new runs: the guard keeps its findings and alerts whoever listens
            from loadguard.app import service

            service.run_guard(store, who, "import")
    skipped = len(s.not_activities)
    out.print(
        say(
            who,
            "import.summary",
            seen=s.seen,
            new=s.new,
            activities=s.activities,
            runs=s.runs,
            duplicates=s.duplicates,
            unchanged=s.unchanged,
            skipped=skipped,
            failed=len(s.failed),
        ),
        markup=False,
    )
    if skipped and not verbose:
        out.print(say(who, "import.skipped", count=skipped), markup=False)
    for origin, reason in s.not_activities if verbose else []:
        out.print(f"  [dim]{say(who, 'import.not_activity')}[/] {escape(origin)}: {escape(reason)}")
    for origin, reason in s.salvaged:
        out.print(f"  [yellow]{say(who, 'import.salvaged')}[/] {escape(origin)}: {escape(reason)}")
    for origin, held in s.held:
        why = held_text(held, language(who))
        out.print(f"  [yellow]{say(who, 'import.held')}[/] {escape(origin)}: {escape(why)}")
    if s.held:
        out.print(say(who, "import.held_fix"), markup=False)
    for origin, reason in s.failed:
        out.print(f"  [red]{say(who, 'import.failed')}[/] {escape(origin)}: {escape(reason)}")
    if s.failed:
        out.print(say(who, "import.fix"), markup=False)
        raise typer.Exit(EXIT_ERROR)


def failures(athlete: AthleteOption = None) -> None:
    """List the files that could not be read, and the runs held for review, and why."""
    from loadguard.app import corrections
    from loadguard.cli.runs import print_held

    with opened(athlete) as (store, who):
        assert who is not None
        rows = store.failures(who.id)
        held = corrections.held_runs(store, who)
    for f in rows:
        last = f.last_tried.replace("T", " ")[:16]
        row = say(
            who, "failures.row", origin=f.origin, reason=f.reason, attempts=f.attempts, last=last
        )
        out.print(row, markup=False, soft_wrap=False)
    if not rows and not held:
        out.print(say(who, "failures.none"), markup=False)
    print_held(who, held)


def rebuild(athlete: AthleteOption = None) -> None:
    """Work out every run again from its stored original (after an upgrade).

    Neither the watch nor Strava is needed: the original files are in the store."""
    from loadguard.app import service

    with opened(athlete) as (store, who):
        assert who is not None
        count, failed = service.rebuild(store, who)
    out.print(f"{count} activities rebuilt, {len(failed)} files kept as they were")
    for origin, reason in failed:
        out.print(f"  [red]kept[/] {origin}: {reason}")


def check(
    athlete: AthleteOption = None,
    as_of: Annotated[
        str | None, typer.Option(help="Local date to check as of (default today).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    every: Annotated[
        bool,
        typer.Option(
            "--all", help="List every finding, not only this plan week's and the last one's."
        ),
    ] = False,
) -> None:
    """Where you stand in your plan and what to change. Exit 0/3/4: green/yellow/red.

    Shows your plan week and stage, each week against its cap, surfaces, shoes,
    pain and every finding with its source."""
    from loadguard.app import checking, corrections
    from loadguard.cli.render import render
    from loadguard.guard.plan import PlanError

    with opened(athlete) as (store, who):
        assert who is not None
        day = parse_date(as_of, "--as-of") if as_of else checking.today(who)
        try:
            report = checking.check(store, who, day)
        except PlanError as exc:
            raise fail(str(exc)) from None
        held = len(corrections.held_runs(store, who))
    if json:
        print(checking.report_json(report))
    else:
        render(report, out, every_finding=every, language=language(who))
        if held:
            out.print(say(who, "runs.held_note", count=held), markup=False)
    raise typer.Exit(STATUS_EXIT[report.status])


def demo_command(
    folder: Annotated[
        Path, typer.Option(help="Where to write the demo's FIT files and database.")
    ] = Path("demo-data"),
) -> None:
    """See loadguard at work on a 10-week return season with typical mistakes.

    The season is written as real FIT files like a watch folder, imported into a
    fresh database and checked."""
    from loadguard.cli import demo
    from loadguard.cli.render import render

    report = demo.run(folder, console=out)
    render(report, out, every_finding=True)  # the whole season: every mistake in it
    command = os.environ.get("LOADGUARD_COMMAND", "loadguard")  # ./loadguard sets it
    db = folder / "loadguard.sqlite"
    password = demo.add_login(folder)
    out.print(f"\nThe demo store is {db}. Try:")
    out.print(f"  {command} --db {db} check --json", soft_wrap=True)  # never broken mid-command
    out.print("\nOr see it in the browser (Ctrl-C stops the server):")
    out.print(f"  {command} --db {db} serve", soft_wrap=True)
    day = report.as_of.isoformat()
    out.print(f"  open http://127.0.0.1:8080/a/demo/?as_of={day}", soft_wrap=True)
    out.print(f"  log in as {demo.DEMO_EMAIL} with the password {password}", soft_wrap=True)
    out.print(
        f"  or as the demo's coach, {demo.DEMO_COACH} (the same password): /coach",
        soft_wrap=True,
    )


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    verbose: Annotated[bool, typer.Option(help="Log every request.")] = False,
    scheduler: Annotated[
        bool, typer.Option(help="Run the scheduler too (watch folders, alerts, digests).")
    ] = True,
    work: Annotated[
        bool,
        typer.Option(
            help="Run queued tasks in this process too (PostgreSQL: off when `loadguard"
            " worker`s do them)."
        ),
    ] = True,
) -> None:
    """The web app for runners, new runs as Strava sends them, and the watch of `daemon`.

    Pages at /, webhooks at /webhooks/<provider> (Strava: /webhooks/strava)."""
    from loadguard.web.server import GuardServer

    db = State.db or default_db()
    try:
        server = GuardServer(db, host, port, verbose, scheduler=scheduler, work=work)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc}") from None
    except settings.SettingsError as exc:
        raise fail(str(exc)) from None
    out.print(
        f"loadguard serving on {server.url} (open it in a browser;"
        " webhooks at /webhooks/<provider>); Ctrl-C stops",
        soft_wrap=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        out.print("stopped")


# The commands, in the order `loadguard --help` lists them (command groups follow).
app.command("demo", rich_help_panel=START)(demo_command)
app.command("check", rich_help_panel=START)(check)
app.command("overview", rich_help_panel=START)(overview)
app.command("import", rich_help_panel=START)(import_)
app.command("plans", rich_help_panel=START)(plans)
app.add_typer(plan_app, name="plan", rich_help_panel=START)
app.command("runs", rich_help_panel=RUNS)(runs)
app.add_typer(run_app, name="run", rich_help_panel=RUNS)
app.command("failures", rich_help_panel=RUNS)(failures)
app.command("rebuild", rich_help_panel=RUNS)(rebuild)
app.command("pain", rich_help_panel=HEEL)(pain_command)
app.command("symptom", rich_help_panel=HEEL)(symptom_command)
app.command("condition", rich_help_panel=HEEL)(condition_command)
app.command("serve", rich_help_panel=WATCH)(serve)
app.command("guard", rich_help_panel=WATCH)(guard_command)
app.command("daemon", rich_help_panel=WATCH)(daemon_command)
app.command("worker", rich_help_panel=WATCH)(worker_command)


def with_plugins() -> typer.Typer:
    """The app; the command groups connectors register (``loadguard.cli`` entry points)
    are found by its :class:`PluginGroup` when it runs, and imported only when chosen."""
    return app


def main() -> None:
    """The `loadguard` command."""
    with_plugins()()
