"""Match a GPS track to surface classes with a :class:`SurfaceIndex` (all vectorised).

Per point, in order:

1. NaN position, or outside the index bounds -> unknown;
2. the nearest runnable way segment within ``tolerance_m`` gives its class (a way
   whose surface is unknown gives unknown: a nearer unknown path is not overridden
   by a farther known one). "Nearest" adds up to ``heading_penalty_m`` to the
   distance of a segment at an angle to the direction of travel (0 within 30°, all
   of it at 90°; direction from the points 2 before to 2 after), so a road crossed
   at right angles does not take the points of the path the runner is on.
   ``heading_penalty_m=0`` is the plain nearest way;
3. no way that near, but inside a surface polygon -> the class of the smallest
   polygon holding the point (a pitch inside a park wins over the park);
4. else unknown.

Smoothing then removes flips: a stretch shorter than ``min_stretch_m`` between two
stretches of the same class takes that class (repeated until nothing changes; when
two neighbouring stretches both qualify, the shorter one goes first). NaN points
are left out of smoothing and stay unknown.

Metres: the step from point i to point i+1 (great-circle length) counts to the class
of point i. A step with a NaN end has no length. Positions are projected with the
index's equirectangular projection for the distance to ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from loadguard.surfaces.osm.index import EARTH_RADIUS_M, UNKNOWN, FloatArray, SurfaceIndex

UNKNOWN_NAME: Final = "unknown"
CodeArray = NDArray[np.int8]


@dataclass(frozen=True)
class Matched:
    classes: NDArray[np.str_]  # per point: class name, "" for unknown
    metres: dict[str, float]  # every class of the index plus "unknown"
    distance_m: FloatArray  # per point: distance to the matched way, NaN if none


def step_lengths(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Great-circle metres from each point to the next (last point and NaN steps: 0)."""
    out = np.zeros(len(lat), dtype=np.float64)
    if len(lat) < 2:
        return out
    phi, lam = np.radians(lat), np.radians(lon)
    dphi, dlam = np.diff(phi), np.diff(lam)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(dlam / 2) ** 2
    d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    out[:-1] = np.nan_to_num(d, nan=0.0)
    return out


def smooth(codes: CodeArray, lengths: FloatArray, min_stretch_m: float) -> CodeArray:
    """Give each short stretch between two stretches of one class that class."""
    codes = codes.copy()
    n = len(codes)
    while n:
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        if len(starts) < 3:
            break
        run_code = codes[starts]
        run_len = np.add.reduceat(lengths, starts)
        cand = np.zeros(len(starts), dtype=bool)
        cand[1:-1] = (run_code[:-2] == run_code[2:]) & (run_len[1:-1] < min_stretch_m)
        prev_first = np.r_[False, cand[:-1] & (run_len[:-1] <= run_len[1:])]
        next_first = np.r_[cand[1:] & (run_len[1:] < run_len[:-1]), False]
        accept = cand & ~prev_first & ~next_first
        if not accept.any():
            break
        run_code[accept] = run_code[np.flatnonzero(accept) - 1]
        codes = np.repeat(run_code, np.diff(np.r_[starts, n]))
    return codes


def headings(x: FloatArray, y: FloatArray, reach: int = 2) -> FloatArray:
    """(n, 2) unit direction of travel from the points ``reach`` before to ``reach``
    after each point; (0, 0) where that is under 5 m or crosses a missing position."""
    n = len(x)
    ahead = np.minimum(np.arange(n) + reach, n - 1)
    behind = np.maximum(np.arange(n) - reach, 0)
    d = np.stack([x[ahead] - x[behind], y[ahead] - y[behind]], axis=-1)
    norm = np.hypot(d[:, 0], d[:, 1])[:, None]
    ok = np.isfinite(norm) & (norm >= 5.0)
    return np.divide(d, norm, out=np.zeros_like(d), where=ok)


def _nearest_way(
    index: SurfaceIndex,
    x: FloatArray,
    y: FloatArray,
    heading: FloatArray,
    tolerance_m: float,
    heading_penalty_m: float,
) -> tuple[CodeArray, FloatArray]:
    """Per point: class of the best segment within the tolerance, and its distance.

    Best = least distance + ``heading_penalty_m`` scaled from 0 (segment within 30° of
    the direction of travel) to 1 (at right angles). Candidates come from one STRtree
    query of every point's tolerance box; exact point-segment distances in numpy.
    """
    codes = np.full(len(x), UNKNOWN, dtype=np.int8)
    dist = np.full(len(x), np.nan)
    if not index.n_segments or not len(x):
        return codes, dist
    boxes = shapely.box(x - tolerance_m, y - tolerance_m, x + tolerance_m, y + tolerance_m)
    qi, ti = index.segment_tree.query(boxes)
    seg = index.segment_xy[ti]
    vx, vy = seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]
    wx, wy = x[qi] - seg[:, 0], y[qi] - seg[:, 1]
    sq = vx * vx + vy * vy
    t = np.clip(np.divide(wx * vx + wy * vy, sq, out=np.zeros_like(sq), where=sq > 0), 0, 1)
    d = np.hypot(wx - t * vx, wy - t * vy)
    near = d <= tolerance_m
    qi, ti, d = qi[near], ti[near], d[near]
    if not len(qi):
        return codes, dist
    unit, h = index.segment_unit[ti], heading[qi]
    sine = np.abs(unit[:, 0] * h[:, 1] - unit[:, 1] * h[:, 0])
    score = d + heading_penalty_m * np.clip((sine - 0.5) / 0.5, 0.0, 1.0)
    best = _first_minimum(qi, score)
    codes[qi[best]] = index.segment_class[ti[best]]
    dist[qi[best]] = d[best]
    return codes, dist


def _first_minimum(group: NDArray[np.intp], score: FloatArray) -> NDArray[np.intp]:
    """Index of the first least score of each group (``group`` sorted, as STRtree.query
    returns it: by input geometry)."""
    if len(group) > 1 and np.any(group[1:] < group[:-1]):
        order = np.argsort(group, kind="stable")
        return order[_first_minimum(group[order], score[order])]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    least = np.minimum.reduceat(score, starts)
    ties = np.flatnonzero(score == np.repeat(least, np.diff(np.r_[starts, len(group)])))
    return ties[np.r_[True, group[ties[1:]] != group[ties[:-1]]]]


def _polygon_class(index: SurfaceIndex, points: NDArray[np.object_]) -> CodeArray:
    codes = np.full(len(points), UNKNOWN, dtype=np.int8)
    if not len(index.polygons) or not len(points):
        return codes
    qi, ti = index.polygon_tree.query(points, predicate="within")
    order = np.lexsort((index.polygon_area[ti], qi))
    qi, ti = qi[order], ti[order]
    first = np.r_[True, qi[1:] != qi[:-1]] if len(qi) else np.zeros(0, dtype=bool)
    codes[qi[first]] = index.polygon_class[ti[first]]
    return codes


def match(
    index: SurfaceIndex,
    lat: ArrayLike,
    lon: ArrayLike,
    *,
    tolerance_m: float = 20.0,
    min_stretch_m: float = 15.0,
    heading_penalty_m: float = 10.0,
) -> Matched:
    """Surface class per GPS point and metres per class (see the module docstring)."""
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a = np.asarray(lon, dtype=np.float64)
    if lat_a.ndim != 1 or lat_a.shape != lon_a.shape:
        raise ValueError("lat and lon must be 1-D arrays of the same length")
    n = len(lat_a)
    finite = np.isfinite(lat_a) & np.isfinite(lon_a)
    lon_min, lat_min, lon_max, lat_max = index.bounds
    with np.errstate(invalid="ignore"):
        inside = finite & (lon_a >= lon_min) & (lon_a <= lon_max)
        inside &= (lat_a >= lat_min) & (lat_a <= lat_max)
    where = np.flatnonzero(inside)

    codes = np.full(n, UNKNOWN, dtype=np.int8)
    distance = np.full(n, np.nan)
    x_all, y_all = index.projection.forward(lon_a, lat_a)
    heading = headings(x_all, y_all)[where]
    x, y = x_all[where], y_all[where]
    way_codes, way_dist = _nearest_way(index, x, y, heading, tolerance_m, heading_penalty_m)
    codes[where] = way_codes
    distance[where] = way_dist
    far = np.isnan(way_dist)
    codes[where[far]] = _polygon_class(index, shapely.points(x[far], y[far]))

    lengths = step_lengths(lat_a, lon_a)
    valid = np.flatnonzero(finite)
    codes[valid] = smooth(codes[valid], lengths[valid], min_stretch_m)

    names = np.array(["", *index.classes])
    per_code = np.bincount(codes.astype(np.int64) + 1, weights=lengths, minlength=len(names))
    metres = {name: float(m) for name, m in zip(index.classes, per_code[1:], strict=True)}
    metres[UNKNOWN_NAME] = float(per_code[0])
    return Matched(classes=names[codes.astype(np.int64) + 1], metres=metres, distance_m=distance)
