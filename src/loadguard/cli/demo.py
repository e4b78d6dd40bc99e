"""The main job on the embedded default: a 10-week season as real FIT files, imported and checked.

Writes the season (with a runner's typical mistakes) as genuine FIT activity
files into ``<folder>/GARMIN/Activity`` like a mounted watch, adds one file a
watch left half-written, imports it all through the FIT connector into a fresh
SQLite store and returns the check as of the season's last day.
"""

from __future__ import annotations

import secrets
import shutil
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from loadguard.app import accounts, coaching, service
from loadguard.cli.season import season
from loadguard.contract import SampleWriter
from loadguard.guard.report import Report
from loadguard.sources import registry
from loadguard.store.activities import assign_shoe
from loadguard.store.db import Store

PLAN_START = date(2026, 9, 7)  # a Monday; the season crosses the end of summer time
WEEKS = 10
ZONE = "Europe/Copenhagen"


def write_watch_folder(folder: Path) -> Path:
    """The season's FIT files, plus one truncated file, in a watch-like folder."""
    writer = registry.connector("fit")
    if not isinstance(writer, SampleWriter):
        raise RuntimeError("the installed 'fit' connector cannot write FIT files")
    activity_dir = folder / "GARMIN" / "Activity"
    if activity_dir.exists():
        shutil.rmtree(activity_dir)
    paths = writer.write_samples(season(PLAN_START, ZONE, WEEKS, violations=True), activity_dir)
    whole = paths[-1].read_bytes()
    (activity_dir / "unfinished-sync.fit").write_bytes(whole[: len(whole) // 3])
    return activity_dir


def run(folder: Path, console: Console | None = None) -> Report:
    console = console or Console()
    folder.mkdir(parents=True, exist_ok=True)
    watch = write_watch_folder(folder)
    db = folder / "loadguard.sqlite"
    for stale in (db, db.with_suffix(".sqlite-wal"), db.with_suffix(".sqlite-shm")):
        stale.unlink(missing_ok=True)
    with Store(db) as store:
        athlete = store.add_athlete("demo", "Demo Runner", "heel-fat-pad", PLAN_START, ZONE)
        store.add_shoe(
            athlete.id,
            "Daily trainer",
            initial_km=760,
            heel_stack_mm=32,
            drop_mm=10,
            minimalist=False,
            default_from=PLAN_START,
        )
        flat = store.add_shoe(
            athlete.id, "Racing flat", initial_km=120, heel_stack_mm=18, drop_mm=4, minimalist=True
        )
        summary = service.import_from(store, athlete, str(watch))
        console.print(
            f"imported {summary.new} FIT files ({summary.bytes / 1e6:.1f} MB) from {watch}:"
            f" {summary.runs} runs, {len(summary.failed)} failed"
        )
        for origin, reason in summary.failed:
            console.print(f"  [red]failed[/] {origin}: {reason}")
        race_day = PLAN_START + timedelta(weeks=WEEKS - 1, days=5)
        for run in service.recent_runs(store, athlete, 3):
            if run["start_local"].startswith(race_day.isoformat()):
                assign_shoe(store, athlete.id, run["id"], flat.id)
        as_of = PLAN_START + timedelta(weeks=WEEKS, days=-1)
        return service.check(store, athlete, as_of)


DEMO_EMAIL = "demo@example.org"
DEMO_COACH = "coach@example.org"


def add_login(folder: Path) -> str:
    """An account for the demo runner in the web app, with a fresh random password
    (printed once: the demo store is sample data, but a habit of fixed passwords is not
    one to teach)."""
    password = secrets.token_urlsafe(9)
    with Store(folder / "loadguard.sqlite") as store:
        runner = accounts.add_account(
            store,
            accounts.NewAccount(
                email=DEMO_EMAIL, name="Demo Runner", password=password, athlete_id="demo"
            ),
        )
        coach = accounts.add_account(
            store,
            accounts.NewAccount(
                email=DEMO_COACH, name="Demo Coach", password=password, roles=("coach",)
            ),
        )
        # the demo runner has accepted the demo coach's invitation, seeing everything
        link = coaching.invitation(store, coaching.invite(store, coach))
        coaching.answer(store, runner, link, accept=True, scope="all")
    return password
