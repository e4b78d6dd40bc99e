"""`loadguard alerts ...` and `loadguard daemon`: channels, tests, the outbox, the scheduler.

Each command calls :mod:`loadguard.app.service` and prints; channels are shown redacted."""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from loadguard import settings
from loadguard.cli.common import EXIT_ERROR, State, fail, opened, out, say
from loadguard.store.db import Store, StoreError, default_db

if TYPE_CHECKING:
    from loadguard.alerts import delivery

alerts_app = typer.Typer(
    no_args_is_help=True,
    help="Where your alerts go (phone, email, chat); test them; what was sent.",
)

AthleteFor = Annotated[str | None, typer.Option("--athlete", "-a", help="A runner's id.")]
CoachFor = Annotated[str | None, typer.Option("--coach", help="A coach's name (settings).")]


def _recipient(store: Store, athlete: str | None, coach: str | None) -> str:
    if (athlete is None) == (coach is None):
        raise fail("name exactly one of --athlete or --coach")
    if coach is not None:
        if coach not in settings.current().coaches:
            raise fail(
                f"no coach {coach!r} in the settings: add [coaches.{coach}] with its athletes"
            )
        return f"coach:{coach}"
    assert athlete is not None
    try:
        store.athlete(athlete)
    except StoreError as exc:
        raise fail(str(exc)) from None
    return f"athlete:{athlete}"


@alerts_app.command("add-channel")
def add_channel(
    url: Annotated[str, typer.Argument(help="An apprise URL; put secrets in {env:NAME}.")],
    athlete: AthleteFor = None,
    coach: CoachFor = None,
) -> None:
    """Send this runner's (or coach's) alerts to one more channel."""
    from loadguard.alerts import channels
    from loadguard.store import channel_urls, outbox, secretbox

    try:
        channels.validate(url)
    except channels.ChannelError as exc:
        raise fail(str(exc)) from None
    with opened("") as (store, _):
        who = _recipient(store, athlete, coach)
        added = outbox.add_channel(store, who, url)
    shown = channels.redact(url)
    out.print(f"{who}: {shown} {'added' if added else 'was already there'}")
    if added and channel_urls.holds_secret(url):
        out.print(escape(say(None, "alerts.sealed", key=secretbox.key_location())))


@alerts_app.command("remove-channel")
def remove_channel(
    url: Annotated[str, typer.Argument(help="The URL exactly as it was added.")],
    athlete: AthleteFor = None,
    coach: CoachFor = None,
) -> None:
    """Stop sending to a channel added with add-channel (settings channels stay)."""
    from loadguard.alerts import channels
    from loadguard.store import outbox

    with opened("") as (store, _):
        who = _recipient(store, athlete, coach)
        if not outbox.remove_channel(store, who, url):
            raise fail(f"{who} has no stored channel {channels.redact(url)}")
    out.print(f"{who}: {channels.redact(url)} removed")


@alerts_app.command("list")
def list_recipients() -> None:
    """Every recipient with their channels (redacted) and choices."""
    from loadguard.alerts import channels, delivery

    with opened("") as (store, _):
        everyone = delivery.recipients(store, settings.current())
    if not everyone:
        out.print("No one gets alerts yet: `loadguard alerts add-channel URL --athlete ID`.")
        return
    table = Table()
    for col in ("recipient", "channels", "min", "lang", "quiet", "digest/summary", "athletes"):
        table.add_column(col)
    for r in everyone:
        table.add_row(
            r.key,
            "\n".join(channels.redact(c.url) for c in r.channels) or "(none)",
            r.min_severity,
            r.language,
            r.quiet_hours or "-",
            r.digest or r.weekly_summary or "-",
            ", ".join(r.athletes),
        )
    out.print(table)


def _report(done: delivery.Delivered) -> None:
    out.print(
        f"{done.sent} sent, {done.failed} failed (will retry), {done.held} held for quiet"
        f" hours, {done.dropped} dropped"
    )


@alerts_app.command("test")
def send_test_message(athlete: AthleteFor = None, coach: CoachFor = None) -> None:
    """Send a test message to every channel of one recipient; exit 1 if any failed."""
    from loadguard.app import service

    with opened("") as (store, _):
        who = _recipient(store, athlete, coach)
        try:
            done = service.send_test(store, who)
        except StoreError as exc:
            raise fail(str(exc)) from None
    _report(done)
    for error in done.errors:
        out.print(f"  [red]failed[/] {escape(error)}")
    if done.failed:
        raise typer.Exit(EXIT_ERROR)


@alerts_app.command("send")
def send() -> None:
    """Send what is due now (for a cron job instead of the daemon)."""
    from loadguard.app import service

    with opened("") as (store, _):
        _report(service.deliver(store))


@alerts_app.command("outbox")
def show_outbox(
    last: Annotated[int, typer.Option(help="How many sends.", min=1, max=100_000)] = 20,
) -> None:
    """The latest sends: to whom, what, status, attempts, last error."""
    from loadguard.store import outbox

    with opened("") as (store, _):
        rows = outbox.listing(store, last)
    table = Table()
    for col in ("id", "recipient", "kind", "ref", "status", "tries", "next/sent", "error"):
        table.add_column(col)
    for sid, who, kind, ref, _channel, status, tries, nxt, sent_at, error in rows:
        table.add_row(str(sid), who, kind, ref, status, str(tries), sent_at or nxt, escape(error))
    out.print(table)


def daemon_command(
    verbose: Annotated[bool, typer.Option(help="Log every job.")] = False,
) -> None:
    """Keep watch until stopped: new files, alerts, digests, summaries, syncs.

    Reads new files in watched folders, sends alerts, coaches' digests and weekly
    summaries when due, and fetches from Strava on a schedule."""
    from loadguard.app.daemon import Daemon

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        daemon = Daemon(State.db or default_db())
        specs = daemon.start()
    except (StoreError, settings.SettingsError) as exc:
        raise fail(str(exc)) from None
    for spec in specs:
        out.print(f"job: {spec.id}")
    out.print("loadguard daemon running; Ctrl-C stops", highlight=False)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        daemon.stop()
    out.print("stopped")
