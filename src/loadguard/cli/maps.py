"""`loadguard osm / places / surfaces ...`: maps, the runner's places, recomputing surfaces."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loadguard.cli.common import AthleteOption, err, fail, opened, out, say
from loadguard.store.db import StoreError

if TYPE_CHECKING:
    from loadguard.surfaces.osm.regions import Region

osm_app = typer.Typer(
    no_args_is_help=True,
    help="Maps that tell grass, gravel and trail from asphalt along your runs.",
)
places_app = typer.Typer(
    no_args_is_help=True, help="Your own places (a park's lawn, a gravel path) with their surface."
)
surfaces_app = typer.Typer(no_args_is_help=True, help="The surfaces of your stored runs.")


@osm_app.command("add")
def osm_add(pbf: Annotated[Path, typer.Argument(help="A region extract, NAME.osm.pbf.")]) -> None:
    """Build a surface index from an OpenStreetMap extract (runs imported later use it)."""
    from loadguard.store import maps

    with opened("") as (store, _):
        try:
            path, stats = maps.add_map(store, pbf)
        except StoreError as exc:
            raise fail(str(exc)) from None
    out.print(
        f"{path.name}: {stats.ways:,} runnable ways, {stats.segments:,} segments,"
        f" {stats.polygons:,} grass areas in {stats.seconds:.1f} s (peak {stats.peak_rss_mb:.0f} MB);"
        " `loadguard surfaces recompute` applies it to runs already stored"
    )


@osm_app.command("fetch")
def osm_fetch(
    athlete: AthleteOption = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Download a region again even if it is here.")
    ] = False,
) -> None:
    """Find and download the map of the region your runs are in, and use it.

    The region comes from the extract server's index (Geofabrik's by default; `[maps]
    index_url` in the settings for your own mirror); the surfaces of your stored runs
    are then worked out again."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskID,
        TextColumn,
        TransferSpeedColumn,
    )

    from loadguard.app import mapfetch

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with opened(athlete) as (store, who), Progress(*columns, console=err, transient=True) as bar:
        assert who is not None
        tasks: dict[str, TaskID] = {}

        def moved(region: Region, done: int, total: int | None) -> None:
            if region.id not in tasks:
                tasks[region.id] = bar.add_task(region.name, total=total)
            bar.update(tasks[region.id], completed=done)

        try:
            got = mapfetch.fetch(store, who, refresh=refresh, progress=moved)
        except mapfetch.FetchError as exc:
            raise fail(f"{exc}; the maps you had are unchanged") from None
    for region in got.kept:
        out.print(say(who, "maps.here", region=region.name), markup=False)
    for region in got.regions:
        out.print(say(who, "maps.downloaded", region=region.name), markup=False)
    if got.regions:
        done = say(who, "maps.summary", mb=got.bytes / 1e6, count=got.runs_recomputed)
        checked = say(who, "checked", status=say(who, got.status))
        out.print(f"{done}; {checked}", markup=False)


@osm_app.command("list")
def osm_list() -> None:
    """The surface maps on this machine."""
    from loadguard.store import maps

    with opened("") as (store, _):
        for path in maps.maps(store):
            out.print(f"{path.name}\t{path.stat().st_size / 1e6:.1f} MB")


@places_app.command("add")
def places_add(
    geojson: Annotated[Path, typer.Argument(help="A GeoJSON file of polygons or lines.")],
    athlete: AthleteOption = None,
    name: Annotated[
        str | None, typer.Option(help="Name (default: the file's or features').")
    ] = None,
    surface: Annotated[
        str | None, typer.Option(help="grass, gravel, trail, track, paved, treadmill.")
    ] = None,
) -> None:
    """Save places with a known surface; they beat the map along your runs."""
    from loadguard.store import maps

    with opened(athlete) as (store, who):
        assert who is not None
        try:
            saved = maps.add_places(store, who, geojson, name, surface)
        except StoreError as exc:
            raise fail(str(exc)) from None
    out.print(
        f"saved {len(saved)} place(s): {', '.join(saved)}; `loadguard surfaces recompute` to apply"
    )


@places_app.command("list")
def places_list(athlete: AthleteOption = None) -> None:
    """Your saved places."""
    from loadguard.store.surfaces import places as saved_places

    with opened(athlete) as (store, who):
        assert who is not None
        for place_name, surface, geometry in saved_places(store, who.id):
            out.print(f"{place_name}\t{surface}\t{geometry.get('type')}")


@surfaces_app.command("recompute")
def surfaces_recompute(athlete: AthleteOption = None) -> None:
    """Work out the surfaces of every stored run again (after `osm add` or `places add`)."""
    from loadguard.app import service

    with opened(athlete) as (store, who):
        assert who is not None
        count, failed = service.recompute_surfaces(store, who)
    out.print(f"surfaces of {count} activities recomputed, {len(failed)} failed")
    for origin, reason in failed:
        out.print(f"  [red]failed[/] {origin}: {reason}")
