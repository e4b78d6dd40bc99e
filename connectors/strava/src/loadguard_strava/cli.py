"""`loadguard strava ...`: connect, sync, status, subscribe, disconnect."""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from loadguard.contract import Host, HostError, HostOpener

from . import config as strava_config
from .api import Budget, StravaApi, StravaError
from .connect import connect as oauth_connect
from .normalise import SOURCE
from .sync import SyncResult, api_for, sync_all
from .tokens import TokenBox
from .webhook import forget

app = typer.Typer(
    no_args_is_help=True,
    help="Your runs from Strava: connect your account, fetch your runs, get new ones as you upload.",
)
out = Console()
err = Console(stderr=True)
AthleteOption = Annotated[
    str | None, typer.Option("--athlete", "-a", help="Athlete id (default: the only one).")
]


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(1)


@contextmanager
def _setup(ctx: typer.Context) -> Iterator[tuple[Host, strava_config.StravaConfig, TokenBox]]:
    """The store the user chose (loadguard puts its opener in ``ctx.obj``), the API
    application's settings and the token box."""
    opener: HostOpener = ctx.obj
    try:
        with opener() as host:
            config = strava_config.load(host.connector_settings(SOURCE))
            yield host, config, TokenBox(config)
    except (strava_config.ConfigError, HostError, StravaError) as exc:
        raise fail(str(exc)) from None


@app.command("connect")
def connect(
    ctx: typer.Context,
    athlete: AthleteOption = None,
    port: Annotated[int, typer.Option(help="Loopback port for Strava's redirect (0: any).")] = 0,
    browser: Annotated[bool, typer.Option(help="Open the page in a browser.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the browser.")] = 300.0,
) -> None:
    """Let loadguard read your Strava runs and shoes, private ones too.

    Strava's access tokens are stored encrypted."""

    def show(url: str) -> None:
        print(f"Open this page to let loadguard read your Strava runs:\n{url}", flush=True)
        if browser:
            webbrowser.open(url)

    with _setup(ctx) as (host, config, box):
        who = host.athlete(athlete)
        external = oauth_connect(host, who, config, box, show, port=port, timeout=timeout)
    out.print(f"connected {who.id} to Strava athlete {external}; now `loadguard strava sync`")


def _describe(athlete_id: str, r: SyncResult) -> str:
    text = (
        f"{athlete_id}: {r.listed} listed, {r.stored} new ({r.runs} runs), {len(r.failed)} failed"
    )
    if r.stopped:
        text += f"; stopped: {r.stopped}"
    elif r.done:
        text += "; up to date"
    return text


@app.command("sync")
def sync(ctx: typer.Context) -> None:
    """Fetch every connected runner's runs and shoes from Strava.

    The whole history first, then what is new. It stops near Strava's rate limit
    and carries on from there next time."""
    with _setup(ctx) as (host, config, box):
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("syncing", total=None)

            def tick(activity: str, r: SyncResult) -> None:
                bar.update(task, description=f"{r.stored} activities stored (last {activity})")

            results = sync_all(host, config, box, progress=tick)
        for athlete_id, r in results.items():
            out.print(_describe(athlete_id, r))
            for origin, reason in r.failed:
                out.print(f"  [red]failed[/] {origin}: {reason}")
            if r.stored:
                light, found = host.run_guard(host.athlete(athlete_id), "sync")
                out.print(f"  guard: {light}, {found} findings")
        if not results:
            out.print("no athlete is connected: `loadguard strava connect`")
        if any(r.stopped and "connect" in r.stopped for r in results.values()):
            raise typer.Exit(1)


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Who is connected, how far their runs are fetched, and who must connect again."""
    with _setup(ctx) as (host, _config, _box):
        for a in host.accounts(SOURCE):
            cursor = a.state.get("after")
            done = "backfill done" if a.state.get("backfill_done") else "backfill pending"
            out.print(
                f"{a.athlete_id}\tstrava {a.external_id}\t{a.status}\t{done}\tcursor {cursor}"
            )
            if a.status_note:
                out.print(f"  {a.status_note}")


@app.command("subscribe")
def subscribe(
    ctx: typer.Context,
    callback_url: Annotated[
        str, typer.Argument(help="Public URL of `loadguard serve`'s /webhooks/strava.")
    ],
) -> None:
    """Ask Strava to send new runs to `loadguard serve` as they are uploaded.

    Once for your Strava application."""
    with _setup(ctx) as (host, config, _box):
        if not config.verify_token:
            raise fail("set LOADGUARD_STRAVA_VERIFY_TOKEN (a secret word) for `serve` and here")
        api = StravaApi(config, None, budget=Budget())
        try:
            sub = api.client.create_subscription(
                client_id=int(config.client_id),
                client_secret=config.client_secret,
                callback_url=callback_url,
                verify_token=config.verify_token,
            )
        except Exception as err:
            raise fail(f"Strava refused the subscription: {err}") from None
        host.save_connector_state(
            SOURCE, {**host.connector_state(SOURCE), "subscription_id": sub.id}
        )
    out.print(f"subscribed: Strava pushes events to {callback_url} (subscription {sub.id})")


@app.command("disconnect")
def disconnect(ctx: typer.Context, athlete: AthleteOption = None) -> None:
    """Take back loadguard's access on Strava and delete all it had from Strava."""
    with _setup(ctx) as (host, config, box):
        who = host.athlete(athlete)
        try:
            api = api_for(host, who, config, box, Budget())
            api.client.deauthorize()
        except Exception as err:  # revoked already, or Strava unreachable: forget anyway
            print(f"note: Strava did not confirm the revocation ({err})", file=sys.stderr)
        forget(host, who)
    out.print(f"{who.id}: disconnected from Strava; Strava-sourced data deleted")
