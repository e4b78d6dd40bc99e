"""Build a compact surface index from an OSM PBF file, and load it for matching.

Building streams the file once with pyosmium (twice when multipolygons are read:
relations first, then everything): node locations live in a libosmium location
table (``flex_mem`` by default; pass ``locations="sparse_file_array,/tmp/x.idx"``
for a disk-backed one on a large extract), only ways and areas with a relevant key
reach Python, and the kept coordinates go into flat ``array.array`` buffers.

The index file is a NumPy ``.npz`` (no pickles) with:

``classes``        the class names, ``code`` = index into it (``-1`` = unknown)
``way_lonlat``     (N, 2) float64 lon/lat of the kept way nodes, ways back to back
``way_start``      (W + 1,) int64 offsets of each way part into ``way_lonlat``
``way_id``         (W,) int64 OSM way id of each part (a way cut at a missing node
                   gives several parts)
``way_class``      (W,) int8 class code of each part
``area_lonlat``    (M, 2) float64 lon/lat of all polygon ring vertices
``ring_start``     (R + 1,) int64 offsets of each ring into ``area_lonlat``
``area_start``     (P + 1,) int64 offsets of each polygon's rings (exterior first)
``area_id``        (P,) int64 OSM area id (2 * way id or 2 * relation id + 1)
``area_class``     (P,) int8 class code of each polygon
``bounds``         (4,) float64 lon_min, lat_min, lon_max, lat_max of the extract

:meth:`SurfaceIndex.load` projects everything with an equirectangular projection
around the centre of the bounds (metres east/north of it; the scale error is under
0.1 % across a city, a few percent across a country) and builds shapely 2 STRtrees:
one over the way segments (two-point lines) and one over the polygons.
"""

from __future__ import annotations

import math
import resource
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import osmium
import shapely
from numpy.typing import NDArray

from loadguard.surfaces.osm.tags import AREA_KEYS, CLASSES, area_class, is_runnable, way_class

EARTH_RADIUS_M: Final = 6_371_008.8
UNKNOWN: Final = -1
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class IndexStats:
    ways: int  # OSM ways kept as runnable lines
    segments: int
    polygons: int
    bounds: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
    seconds: float
    peak_rss_mb: float  # process peak (ru_maxrss): includes what it held before
    rss_before_mb: float  # process peak before the build started


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _code(cls: str | None) -> int:
    return CLASSES.index(cls) if cls is not None else UNKNOWN


class _Buffers:
    """Flat growable arrays for what the build keeps (8 bytes per number)."""

    def __init__(self) -> None:
        self.way_xy = array("d")
        self.way_start = array("q", [0])
        self.way_id = array("q")
        self.way_class = array("b")
        self.area_xy = array("d")
        self.ring_start = array("q", [0])
        self.area_start = array("q", [0])
        self.area_id = array("q")
        self.area_class = array("b")
        self.ways = 0

    def add_way(self, way: osmium.osm.Way, code: int) -> None:
        parts = len(self.way_id)
        part = 0
        for node in way.nodes:
            loc = node.location
            if loc.valid():
                self.way_xy.extend((loc.lon, loc.lat))
                part += 1
                continue
            self._close_part(way.id, code, part)  # a node outside the extract
            part = 0
        self._close_part(way.id, code, part)
        self.ways += len(self.way_id) > parts

    def _close_part(self, way_id: int, code: int, part: int) -> None:
        if part >= 2:
            self.way_start.append(len(self.way_xy) // 2)
            self.way_id.append(way_id)
            self.way_class.append(code)
        elif part == 1:
            del self.way_xy[-2:]

    def _add_ring(self, ring: Iterable[osmium.osm.NodeRef]) -> bool:
        start = len(self.area_xy)
        for node in ring:
            self.area_xy.extend((node.lon, node.lat))
        if len(self.area_xy) - start < 8:  # fewer than 4 points: no polygon
            del self.area_xy[start:]
            return False
        self.ring_start.append(len(self.area_xy) // 2)
        return True

    def add_area(self, area: osmium.osm.Area, code: int) -> None:
        for outer in area.outer_rings():
            if not self._add_ring(outer):
                continue
            for inner in area.inner_rings(outer):
                self._add_ring(inner)
            self.area_start.append(len(self.ring_start) - 1)
            self.area_id.append(area.id)
            self.area_class.append(code)

    def arrays(self) -> dict[str, NDArray[np.generic]]:
        return {
            "way_lonlat": np.frombuffer(self.way_xy, dtype=np.float64).reshape(-1, 2),
            "way_start": np.frombuffer(self.way_start, dtype=np.int64),
            "way_id": np.frombuffer(self.way_id, dtype=np.int64),
            "way_class": np.frombuffer(self.way_class, dtype=np.int8),
            "area_lonlat": np.frombuffer(self.area_xy, dtype=np.float64).reshape(-1, 2),
            "ring_start": np.frombuffer(self.ring_start, dtype=np.int64),
            "area_start": np.frombuffer(self.area_start, dtype=np.int64),
            "area_id": np.frombuffer(self.area_id, dtype=np.int64),
            "area_class": np.frombuffer(self.area_class, dtype=np.int8),
        }


def _bounds(pbf: Path, arrays: dict[str, NDArray[np.generic]]) -> FloatArray:
    """The extract's bounding box from the file header, else from the kept data."""
    box = osmium.io.Reader(str(pbf), osmium.osm.NOTHING).header().box()
    if box.valid():
        return np.array(
            [box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat]
        )
    xy = np.concatenate([arrays["way_lonlat"], arrays["area_lonlat"]]).astype(np.float64)
    if not len(xy):
        return np.full(4, np.nan)
    return np.concatenate([xy.min(axis=0), xy.max(axis=0)])


def build_index(
    pbf: Path,
    out: Path,
    progress: Callable[[int], None] | None = None,
    *,
    locations: str = "flex_mem",
) -> IndexStats:
    """Stream ``pbf`` and write the surface index to ``out`` (an ``.npz`` file).

    ``progress`` is called with the number of ways and areas seen so far, every 10,000.
    """
    before = _peak_rss_mb()
    started = time.perf_counter()
    # AREA_KEYS holds highway and leisure too: one key filter serves ways and areas,
    # and only what passes it (and no node or relation) reaches Python.
    processor = (
        osmium.FileProcessor(str(pbf))
        .with_locations(locations)
        .with_areas(osmium.filter.KeyFilter(*AREA_KEYS))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY | osmium.osm.AREA))
        .with_filter(osmium.filter.KeyFilter(*AREA_KEYS))
    )
    buffers = _Buffers()
    for seen, obj in enumerate(processor, 1):
        if progress is not None and seen % 10_000 == 0:
            progress(seen)
        tags = dict(obj.tags)
        if isinstance(obj, osmium.osm.Way):
            if is_runnable(tags):
                buffers.add_way(obj, _code(way_class(tags)))
        elif isinstance(obj, osmium.osm.Area):
            cls = area_class(tags)
            if cls is not None:
                buffers.add_area(obj, _code(cls))
    arrays = buffers.arrays()
    bounds = _bounds(pbf, arrays)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {"classes": np.array(CLASSES), "bounds": bounds, **arrays}
    with out.open("wb") as fh:
        np.savez_compressed(fh, **payload)
    return IndexStats(
        ways=buffers.ways,
        segments=len(arrays["way_lonlat"]) - len(arrays["way_id"]),
        polygons=len(arrays["area_id"]),
        bounds=(float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3])),
        seconds=time.perf_counter() - started,
        peak_rss_mb=_peak_rss_mb(),
        rss_before_mb=before,
    )


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection: metres east and north of ``(lon0, lat0)``."""

    lon0: float
    lat0: float

    @property
    def metres_per_degree(self) -> tuple[float, float]:
        north = EARTH_RADIUS_M * math.pi / 180.0
        return north * math.cos(math.radians(self.lat0)), north

    def forward(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        kx, ky = self.metres_per_degree
        return (lon - self.lon0) * kx, (lat - self.lat0) * ky


def _segment_starts(way_start: NDArray[np.int64], n_points: int) -> NDArray[np.int64]:
    """Index of the first point of every segment (consecutive points of one way)."""
    keep = np.ones(max(n_points - 1, 0), dtype=bool)
    ends = way_start[1:-1] - 1  # last point of every way but the final one
    keep[ends] = False
    return np.flatnonzero(keep)


def _segment_rows(xy: FloatArray) -> FloatArray:
    """(7, S) from (S, 4) segment ends: x0, y0, dx, dy, 1/length² and the unit direction
    (both 0 for a zero-length segment)."""
    dx, dy = xy[:, 2] - xy[:, 0], xy[:, 3] - xy[:, 1]
    square = dx * dx + dy * dy
    inv_sq = np.divide(1.0, square, out=np.zeros_like(square), where=square > 0)
    norm = np.sqrt(square)
    ux = np.divide(dx, norm, out=np.zeros_like(dx), where=norm > 0)
    uy = np.divide(dy, norm, out=np.zeros_like(dy), where=norm > 0)
    return np.stack([xy[:, 0], xy[:, 1], dx, dy, inv_sq, ux, uy])


@dataclass(frozen=True)
class SurfaceIndex:
    """A loaded index: STRtrees over projected segments and polygons, with classes."""

    classes: tuple[str, ...]
    bounds: tuple[float, float, float, float]
    projection: Projection
    segments: NDArray[np.object_]  # shapely LineStrings, metres
    segment_rows: FloatArray  # (7, S): x0, y0, dx, dy, 1/length², unit x, unit y (see
    # _segment_rows); one row per quantity, so a gather of one is contiguous
    segment_class: NDArray[np.int8]
    segment_way: NDArray[np.int64]
    segment_tree: shapely.STRtree
    polygons: NDArray[np.object_]  # shapely Polygons, metres
    polygon_class: NDArray[np.int8]
    polygon_area: FloatArray
    polygon_tree: shapely.STRtree

    @classmethod
    def load(cls, path: Path) -> SurfaceIndex:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        b = arrays["bounds"].astype(np.float64)
        proj = Projection(float((b[0] + b[2]) / 2.0), float((b[1] + b[3]) / 2.0))

        lonlat = arrays["way_lonlat"]
        x, y = proj.forward(lonlat[:, 0], lonlat[:, 1])
        starts = _segment_starts(arrays["way_start"], len(lonlat))
        ends = starts + 1
        coords = np.stack(
            [np.stack([x[starts], y[starts]], -1), np.stack([x[ends], y[ends]], -1)], 1
        )
        segments = shapely.linestrings(coords) if len(starts) else np.empty(0, dtype=object)
        part = np.searchsorted(arrays["way_start"], starts, side="right") - 1

        area_lonlat = arrays["area_lonlat"]
        ax, ay = proj.forward(area_lonlat[:, 0], area_lonlat[:, 1])
        polygons = (
            shapely.from_ragged_array(
                shapely.GeometryType.POLYGON,
                np.stack([ax, ay], -1),
                (arrays["ring_start"], arrays["area_start"]),
            )
            if len(arrays["area_id"])
            else np.empty(0, dtype=object)
        )
        return cls(
            classes=tuple(str(c) for c in arrays["classes"]),
            bounds=(float(b[0]), float(b[1]), float(b[2]), float(b[3])),
            projection=proj,
            segments=segments,
            segment_rows=_segment_rows(coords.reshape(-1, 4)),
            segment_class=arrays["way_class"][part].astype(np.int8),
            segment_way=arrays["way_id"][part].astype(np.int64),
            segment_tree=shapely.STRtree(segments),
            polygons=polygons,
            polygon_class=arrays["area_class"].astype(np.int8),
            polygon_area=np.asarray(shapely.area(polygons), dtype=np.float64),
            polygon_tree=shapely.STRtree(polygons),
        )

    @property
    def n_segments(self) -> int:
        return len(self.segments)

    @property
    def segment_xy(self) -> FloatArray:
        """(S, 4): x0, y0, x1, y1 of every segment, in metres."""
        x0, y0, dx, dy = self.segment_rows[:4]
        return np.stack([x0, y0, x0 + dx, y0 + dy], axis=-1)
