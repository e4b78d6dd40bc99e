"""The runner's own places (GeoJSON) and the map indexes: the context surfaces are read in.

A place is a polygon (a park's lawn) or a line (the gravel path by the river)
with a surface; lines count within 20 m. Map indexes are built once per region
by ``loadguard osm add`` into the ``osm`` folder beside the store.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loadguard.contract import Athlete
from loadguard.store import surfaces as stored_surfaces
from loadguard.store.db import Store, StoreError

if TYPE_CHECKING:
    from loadguard.surfaces.mix import SurfaceContext
    from loadguard.surfaces.osm.index import IndexStats, SurfaceIndex

GEOMETRIES = {"Polygon", "MultiPolygon", "LineString", "MultiLineString"}
GEOJSON_MAX_BYTES = 32 * 2**20  # a runner's places, not a country's map


def osm_dir(store: Store) -> Path:
    return store.path.parent / "osm"


def map_path(store: Store, stem: str) -> Path:
    """Where the index of the extract ``<stem>.osm.pbf`` lives."""
    return osm_dir(store) / f"{stem}.npz"


def add_map(store: Store, pbf: Path, stem: str | None = None) -> tuple[Path, IndexStats]:
    """Build a region's surface index from an .osm.pbf extract (streamed, bounded memory).
    The index is written beside and swapped in whole: a damaged extract leaves the index
    that was there untouched."""
    from loadguard.surfaces.osm.index import build_index

    if not pbf.is_file():
        raise StoreError(f"{pbf} is not a file")
    if not pbf.name.endswith(".osm.pbf"):
        raise StoreError(f"{pbf.name}: expected an OpenStreetMap extract ending in .osm.pbf")
    out = map_path(store, stem or pbf.name.removesuffix(".osm.pbf"))
    out.parent.mkdir(parents=True, exist_ok=True)
    building = out.with_name(f".{out.name}.building")
    try:
        stats = build_index(pbf, building)
        os.replace(building, out)
    except RuntimeError as exc:  # osmium's errors for a damaged file
        raise StoreError(f"{pbf.name} could not be read as an OSM extract: {exc}") from None
    finally:
        building.unlink(missing_ok=True)
    return out, stats


def maps(store: Store) -> list[Path]:
    folder = osm_dir(store)
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


@lru_cache(maxsize=8)
def _load(path: Path, stamp: int) -> SurfaceIndex:
    from loadguard.surfaces.osm.index import SurfaceIndex

    return SurfaceIndex.load(path)


def _geometries(data: Any, source: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(geometry, properties) pairs from a FeatureCollection, a Feature or a bare geometry."""
    if not isinstance(data, dict):
        raise StoreError(f"{source}: not a GeoJSON object")
    kind = data.get("type")
    if kind == "FeatureCollection":
        out = []
        for feature in data.get("features") or []:
            out += _geometries(feature, source)
        return out
    if kind == "Feature":
        geometry = data.get("geometry")
        if not isinstance(geometry, dict):
            raise StoreError(f"{source}: a feature without a geometry")
        return [(geometry, dict(data.get("properties") or {}))]
    if kind in GEOMETRIES:
        return [(data, {})]
    raise StoreError(f"{source}: GeoJSON type {kind!r} is not a polygon or a line")


def add_places(
    store: Store, athlete: Athlete, path: Path, name: str | None, surface: str | None
) -> list[str]:
    """Save every polygon or line of a GeoJSON file as a place; returns the names saved."""
    import shapely.errors
    import shapely.geometry

    try:
        if path.stat().st_size > GEOJSON_MAX_BYTES:
            raise StoreError(f"{path}: larger than {GEOJSON_MAX_BYTES // 2**20} MB of places")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: cannot read GeoJSON: {exc}") from None
    except RecursionError:
        raise StoreError(f"{path}: cannot read GeoJSON: nested too deeply") from None
    saved = []
    items = _geometries(data, path.name)
    if not items:
        raise StoreError(f"{path.name}: no polygons or lines in it")
    for i, (geometry, props) in enumerate(items, start=1):
        if geometry.get("type") not in GEOMETRIES:
            raise StoreError(
                f"{path.name}: feature {i} is a {geometry.get('type')}, not a polygon or line"
            )
        try:
            shape = shapely.geometry.shape(geometry)
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
            raise StoreError(f"{path.name}: feature {i} has bad coordinates: {exc}") from None
        if not shape.is_valid or shape.is_empty:
            raise StoreError(f"{path.name}: feature {i} is not a valid geometry")
        place_name = str(props.get("name") or name or path.stem)
        if len(items) > 1 and not props.get("name"):
            place_name = f"{place_name} {i}"
        place_surface = str(props.get("surface") or surface or "")
        if not place_surface:
            raise StoreError(
                f"{path.name}: feature {i} has no surface (a 'surface' property or --surface)"
            )
        stored_surfaces.add_place(store, athlete.id, place_name, place_surface, geometry)
        saved.append(place_name)
    return saved


def context(store: Store, athlete: Athlete) -> SurfaceContext:
    """The athlete's places and every map index on this machine."""
    from loadguard.surfaces.mix import Place, SurfaceContext  # numpy: when files are read

    rows = stored_surfaces.places(store, athlete.id)
    places = []
    if rows:  # shapely (20 ms) only for an athlete who drew places
        import shapely.geometry

        places = [Place(n, surface, shapely.geometry.shape(g)) for n, surface, g in rows]
    indexes = [_load(p, p.stat().st_mtime_ns) for p in maps(store)]
    return SurfaceContext(tuple(places), tuple(indexes))
