"""Which region extract covers a runner's tracks, from a region index in Geofabrik's
layout (``index-v1.json``: a GeoJSON FeatureCollection whose features carry ``id``,
``name`` and ``urls.pbf`` and the region's outline). Pure: the index comes in as data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry


class RegionIndexError(ValueError):
    """The region index is not what the layout promises; the message says where."""


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    pbf_url: str
    outline: BaseGeometry

    @property
    def area(self) -> float:
        """In square degrees: only ever compared between regions, to pick the smallest."""
        return float(self.outline.area)

    @property
    def file_stem(self) -> str:
        """A file name for the region's extract and index (ids may hold a '/')."""
        return self.id.replace("/", "-")


def parse_index(data: Any) -> list[Region]:
    """The regions of an index, their extract URLs as written (maybe relative)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("features"), list):
        raise RegionIndexError("the region index is not a GeoJSON FeatureCollection")
    regions = []
    for n, feature in enumerate(data["features"], 1):
        props = feature.get("properties") if isinstance(feature, Mapping) else None
        urls = props.get("urls") if isinstance(props, Mapping) else None
        pbf = urls.get("pbf") if isinstance(urls, Mapping) else None
        if not isinstance(props, Mapping) or not isinstance(pbf, str) or "id" not in props:
            raise RegionIndexError(f"region {n} of the index has no id or no urls.pbf")
        try:
            outline = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
            raise RegionIndexError(f"region {props['id']!r} has no readable outline") from None
        if outline.is_empty:
            continue
        regions.append(
            Region(
                str(props["id"]),
                str(props.get("name", props["id"])),
                pbf,
                outline,
            )
        )
    if not regions:
        raise RegionIndexError("the region index lists no regions")
    return regions


def covering(regions: Sequence[Region], points: Sequence[tuple[float, float]]) -> list[Region]:
    """The smallest region holding every point (lon, lat); when none holds them all (runs in
    two countries), the smallest region of each point, each once. Points no region holds
    are left out (the caller says so)."""
    if not points:
        return []
    geoms = shapely.points([p[0] for p in points], [p[1] for p in points])
    holds = {r.id: shapely.covers(r.outline, geoms) for r in regions}
    whole = [r for r in regions if bool(holds[r.id].all())]
    if whole:
        return [min(whole, key=lambda r: r.area)]
    chosen: dict[str, Region] = {}
    for i in range(len(points)):
        around = [r for r in regions if bool(holds[r.id][i])]
        if around:
            best = min(around, key=lambda r: r.area)
            chosen.setdefault(best.id, best)
    return sorted(chosen.values(), key=lambda r: r.id)


def uncovered(
    regions: Sequence[Region], points: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The points (lon, lat) no region of the index holds."""
    if not points:
        return []
    geoms = shapely.points([p[0] for p in points], [p[1] for p in points])
    inside = [False] * len(points)
    for r in regions:
        hit = shapely.covers(r.outline, geoms)
        inside = [a or bool(b) for a, b in zip(inside, hit, strict=True)]
    return [p for p, ok in zip(points, inside, strict=True) if not ok]
