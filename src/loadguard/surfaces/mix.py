"""Metres per surface class for one activity, decided stretch by stretch.

Precedence: the runner's own tags for the whole run (``#grass``, ``#asphalt``
in the name or description; several split it evenly) > per stretch of GPS
track: the runner's saved places (GeoJSON polygons, or lines within 20 m) >
the OpenStreetMap match > the activity's label (FIT sub_sport / Strava sport
type: trail, track, treadmill) > unknown. Metres are scaled so they add up to
the activity's recorded distance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from loadguard.contract import Activity
from loadguard.surfaces.classes import SUB_SPORTS, SURFACE_CLASSES, TAGS

if TYPE_CHECKING:
    from loadguard.surfaces.osm.index import SurfaceIndex

PLACE_TOLERANCE_M = 20.0
_EARTH_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Place:
    name: str
    surface: str
    geometry: Any  # a shapely geometry in lon/lat degrees


@dataclass(frozen=True)
class SurfaceContext:
    """What the matcher may use: the runner's places and the OSM indexes on this machine."""

    places: Sequence[Place] = ()
    indexes: Sequence[SurfaceIndex] = field(default_factory=tuple)


@dataclass(frozen=True)
class SurfaceMix:
    metres: dict[str, float]
    method: str  # tags | gps | label | none

    @property
    def unknown_share(self) -> float:
        total = sum(self.metres.values())
        return self.metres.get("unknown", 0.0) / total if total > 0 else 1.0


def _empty() -> dict[str, float]:
    return dict.fromkeys(SURFACE_CLASSES, 0.0)


def tag_classes(name: str, description: str) -> list[str]:
    words = f"{name} {description}".lower().split()
    found = {
        TAGS[w[1:].strip(".,;:!?")]
        for w in words
        if w.startswith("#") and w[1:].strip(".,;:!?") in TAGS
    }
    return sorted(found)


def _local_xy(
    lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float
) -> tuple[np.ndarray, np.ndarray]:
    x = (lon - lon0) * _EARTH_M_PER_DEG * math.cos(math.radians(lat0))
    y = (lat - lat0) * _EARTH_M_PER_DEG
    return x, y


NONE = -1  # no class for a point yet
OTHER = len(SURFACE_CLASSES)  # a place's surface that is no class: counts to no class


def _code(surface: str) -> int:
    if not surface:
        return NONE
    return SURFACE_CLASSES.index(surface) if surface in SURFACE_CLASSES else OTHER


def _place_codes(places: Sequence[Place], lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Per point: the code of the surface of the last place holding it, else NONE."""
    out: np.ndarray = np.full(len(lat), NONE, dtype=np.int8)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not places or not ok.any():
        return out
    import shapely

    lat0, lon0 = float(np.nanmean(lat)), float(np.nanmean(lon))
    x, y = _local_xy(lat, lon, lat0, lon0)
    points = shapely.points(np.where(ok, x, 0.0), np.where(ok, y, 0.0))
    scale = np.array([_EARTH_M_PER_DEG * math.cos(math.radians(lat0)), _EARTH_M_PER_DEG])

    def to_local(coords: np.ndarray) -> np.ndarray:
        local: np.ndarray = (coords - np.array([lon0, lat0])) * scale
        return local

    for place in places:
        local = shapely.transform(place.geometry, to_local)
        if local.geom_type.endswith("Polygon"):
            inside = shapely.contains(local, points)
        else:
            inside = shapely.dwithin(local, points, PLACE_TOLERANCE_M)
        out[inside & ok] = _code(place.surface)
    return out


def _map_codes(
    index: SurfaceIndex, lat: np.ndarray, lon: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    """Per point: the code of the class the map gives it, else NONE."""
    from loadguard.surfaces.osm.match import match_codes

    found, _ = match_codes(index, lat, lon, steps)
    lookup = np.array([*(_code(c) for c in index.classes), NONE], dtype=np.int8)
    codes: np.ndarray = lookup[found]  # found -1 (unknown) takes the last entry: NONE
    return codes


def _segment_lengths(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Metres from each point to the next (n - 1 of them; 0 for a step with a NaN end)."""
    finite = np.isfinite(lat)
    lat0 = float(lat.mean()) if finite.all() else float(lat[finite].mean())
    x, y = _local_xy(lat, lon, lat0, 0.0)
    dx, dy = np.diff(x), np.diff(y)
    lengths = np.sqrt(dx * dx + dy * dy)
    return np.where(np.isfinite(lengths), lengths, 0.0)


def mix(activity: Activity, context: SurfaceContext) -> SurfaceMix:
    """The surface breakdown of one activity (pure: no I/O beyond the given context)."""
    metres = _empty()
    total = activity.distance_m
    tags = tag_classes(activity.name, activity.description)
    if tags:
        for cls in tags:
            metres[cls] += total / len(tags)
        return SurfaceMix(metres, "tags")
    label = SUB_SPORTS.get(activity.sub_sport)
    streams = activity.streams
    lat = streams.get("lat") if streams else None
    lon = streams.get("lon") if streams else None
    has_gps = (
        label != "treadmill"
        and lat is not None
        and lon is not None
        and len(lat) > 1
        and bool(np.isfinite(lat).sum() > 1)
    )
    if not has_gps or lat is None or lon is None:
        metres[label or "unknown"] = total
        return SurfaceMix(metres, "label" if label else "none")
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    lengths = _segment_lengths(lat, lon)
    if not context.places and not context.indexes and not label:
        return _unclassified(metres, float(lengths.sum()), total)
    codes = _place_codes(context.places, lat, lon)
    for index in context.indexes:
        todo = codes == NONE
        if not todo.any():
            break
        found = _map_codes(index, lat, lon, np.append(lengths, 0.0))
        codes = np.where(todo, found, codes)
    if label:
        codes = np.where(codes == NONE, _code(label), codes)
    track = float(lengths.sum())
    if track <= 0:
        metres[label or "unknown"] = total
        return SurfaceMix(metres, "label" if label else "none")
    per_code = np.bincount(codes[:-1].astype(np.intp) + 1, weights=lengths, minlength=OTHER + 2)
    for i, cls in enumerate(SURFACE_CLASSES):
        if cls != "unknown":
            metres[cls] = float(per_code[i + 1]) / track * total
    metres["unknown"] = max(0.0, total - sum(metres.values()))
    return SurfaceMix(metres, "gps")


def _unclassified(metres: dict[str, float], track: float, total: float) -> SurfaceMix:
    """:func:`mix` of a GPS track that nothing can classify (no places, no maps, no
    label): every point stays unclassified, so each class gets what :func:`mix` gives a
    class with no metres on the track (0 / track * total), and the rest is unknown."""
    if track <= 0:
        metres["unknown"] = total
        return SurfaceMix(metres, "none")
    none = 0.0 / track * total
    for cls in SURFACE_CLASSES:
        if cls != "unknown":
            metres[cls] = none
    metres["unknown"] = max(0.0, total - sum(metres.values()))
    return SurfaceMix(metres, "gps")
