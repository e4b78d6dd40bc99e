"""Match a GPS track to surface classes with a :class:`SurfaceIndex` (all vectorised).

Which points are matched (:mod:`.sampling`): one every ``sample_m`` metres along the
track (the first point past each mark, and the first after a gap), and every other
point takes the class of the matched point nearest to it along the track. A run at
1 s moves ~3 m a point, so 10 m matches about one point in three and moves a boundary
between two classes by at most 5 m. Those samples are matched in two passes: first
one every ``coarse_m``; then, between two neighbours of that pass, the samples in
between only where the two differ in class or either is unsure (no way within the
tolerance, or a way of another class scoring within ``sure_m`` of its best); where
they agree and are sure, the samples between take their class. On the real
Helsinki map this gives the same classes as matching every sample for 99.99 % of
points at half the work (``bench/bench_osm.py``). ``sample_m=0`` matches every
point in one pass.

Per matched point, in order:

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
from functools import cached_property
from typing import Final

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from loadguard.surfaces.osm.index import EARTH_RADIUS_M, UNKNOWN, FloatArray, SurfaceIndex
from loadguard.surfaces.osm.sampling import between, changes, first_pass, run_counts, sample

UNKNOWN_NAME: Final = "unknown"
SAMPLE_M: Final = 10.0  # match a point every 10 m along the track
COARSE_M: Final = 40.0  # first pass: a point every 40 m
SURE_M: Final = 10.0  # a way of another class scoring this close makes a point unsure
CodeArray = NDArray[np.int8]
IndexArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Matched:
    metres: dict[str, float]  # every class of the index plus "unknown"
    distance_m: FloatArray  # per point: distance to the way its class came from, else NaN
    codes: CodeArray  # per point: index into ``names``, -1 for unknown
    names: tuple[str, ...]  # the index's classes

    @cached_property
    def classes(self) -> NDArray[np.str_]:
        """Per point: class name, "" for unknown."""
        names: NDArray[np.str_] = np.array(["", *self.names])
        return names[self.codes.astype(np.intp) + 1]


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
    n = len(codes)
    if n < 3:
        return codes.copy()
    starts = np.flatnonzero(changes(codes))
    run_code = codes[starts]
    run_len = np.add.reduceat(lengths, starts)
    while len(starts) >= 3:
        cand = np.zeros(len(starts), dtype=bool)
        cand[1:-1] = (run_code[:-2] == run_code[2:]) & (run_len[1:-1] < min_stretch_m)
        shorter_first = run_len[:-1] <= run_len[1:]
        accept = cand.copy()
        accept[1:] &= ~(cand[:-1] & shorter_first)  # the stretch before goes first
        accept[:-1] &= ~(cand[1:] & ~shorter_first)  # the stretch after goes first
        if not accept.any():
            break
        run_code[accept] = run_code[np.flatnonzero(accept) - 1]
        first = np.flatnonzero(changes(run_code))
        starts, run_code = starts[first], run_code[first]
        run_len = np.add.reduceat(run_len, first)
    return np.repeat(run_code, run_counts(starts, n))


def headings(
    x: FloatArray, y: FloatArray, reach: int = 2, at: IndexArray | None = None
) -> FloatArray:
    """(n, 2) unit direction of travel from the points ``reach`` before to ``reach``
    after each point (or each point of ``at``); (0, 0) where that is under 5 m or
    crosses a missing position."""
    return np.stack(_direction(x, y, np.arange(len(x)) if at is None else at, reach), axis=-1)


def _direction(
    x: FloatArray, y: FloatArray, at: IndexArray, reach: int = 2
) -> tuple[FloatArray, FloatArray]:
    """:func:`headings` as two arrays, east and north."""
    ahead = np.minimum(at + reach, len(x) - 1)
    behind = np.maximum(at - reach, 0)
    dx, dy = x[ahead] - x[behind], y[ahead] - y[behind]
    norm = np.sqrt(dx * dx + dy * dy)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = norm >= 5.0  # False for NaN
        return np.where(ok, dx / norm, 0.0), np.where(ok, dy / norm, 0.0)


def _nearest_way(
    index: SurfaceIndex,
    x: FloatArray,
    y: FloatArray,
    heading: tuple[FloatArray, FloatArray],
    tolerance_m: float,
    heading_penalty_m: float,
    sure_m: float | None = None,
) -> tuple[CodeArray, FloatArray, BoolArray]:
    """Per point: class of the best segment within the tolerance, its distance, and
    whether it is sure (only with ``sure_m``: no segment of another class scores
    within ``sure_m`` of the best; a point without a way is never sure).

    Best = least distance + ``heading_penalty_m`` scaled from 0 (segment within 30° of
    the direction of travel) to 1 (at right angles). Candidates come from one STRtree
    query of every point's tolerance box; exact point-segment distances in numpy, in
    place where it can (the candidate arrays are the bulk of the work).
    """
    codes = np.full(len(x), UNKNOWN, dtype=np.int8)
    dist = np.full(len(x), np.nan)
    sure = np.zeros(len(x), dtype=bool)
    if not index.n_segments or not len(x):
        return codes, dist, sure
    boxes = shapely.box(x - tolerance_m, y - tolerance_m, x + tolerance_m, y + tolerance_m)
    qi, ti = index.segment_tree.query(boxes)
    if not len(qi):
        return codes, dist, sure
    if np.any(qi[1:] < qi[:-1]):  # STRtree.query sorts by point; never rely on it blindly
        order = np.argsort(qi, kind="stable")
        qi, ti = qi[order], ti[order]
    x0, y0, dx, dy, inv_sq, ux, uy = index.segment_rows
    vx, vy = dx.take(ti), dy.take(ti)
    wx, wy = x.take(qi), y.take(qi)
    wx -= x0.take(ti)
    wy -= y0.take(ti)
    t = wx * vx
    t += wy * vy
    t *= inv_sq.take(ti)
    np.clip(t, 0.0, 1.0, out=t)
    vx *= t
    vy *= t
    wx -= vx
    wy -= vy
    wx *= wx
    wy *= wy
    wx += wy
    d = np.sqrt(wx, out=wx)
    # penalty = heading_penalty_m * clip((sine - 0.5) / 0.5, 0, 1), sine of the angle
    sine = ux.take(ti)
    sine *= heading[1].take(qi)
    cross = uy.take(ti)
    cross *= heading[0].take(qi)
    sine -= cross
    score = np.abs(sine, out=sine)
    score -= 0.5
    score *= heading_penalty_m / 0.5
    np.clip(score, 0.0, heading_penalty_m, out=score)
    score += d
    score[d > tolerance_m] = np.inf
    starts = np.flatnonzero(changes(qi))
    count = run_counts(starts, len(qi))
    best = _first_least(qi, score, starts, count)  # one per point with candidates
    pair_class = index.segment_class.take(ti)
    if sure_m is not None:
        other = np.where(pair_class != np.repeat(pair_class[best], count), score, np.inf)
        with np.errstate(invalid="ignore"):  # inf - inf: no way at all, not sure
            margin = np.minimum.reduceat(other, starts) - score[best]
        sure[qi[best]] = margin >= sure_m
    best = best[score[best] < np.inf]
    codes[qi[best]] = pair_class[best]
    dist[qi[best]] = d[best]
    return codes, dist, sure


def _first_minimum(group: NDArray[np.intp], score: FloatArray) -> NDArray[np.intp]:
    """Index of the first least score of each group (in any order; STRtree.query sorts
    by input geometry)."""
    if len(group) > 1 and np.any(group[1:] < group[:-1]):
        order = np.argsort(group, kind="stable")
        return order[_first_minimum(group[order], score[order])]
    if not len(group):
        return np.zeros(0, dtype=np.intp)
    starts = np.flatnonzero(changes(group))
    return _first_least(group, score, starts, run_counts(starts, len(group)))


def _first_least(
    group: NDArray[np.intp], score: FloatArray, starts: IndexArray, count: IndexArray
) -> IndexArray:
    """:func:`_first_minimum` of a sorted ``group`` whose runs are ``starts``/``count``."""
    least = np.minimum.reduceat(score, starts)
    ties = np.flatnonzero(score == np.repeat(least, count))
    return ties[changes(group[ties])]


def _polygon_class(index: SurfaceIndex, x: FloatArray, y: FloatArray) -> CodeArray:
    codes = np.full(len(x), UNKNOWN, dtype=np.int8)
    if not len(index.polygons) or not len(x):
        return codes
    qi, ti = index.polygon_tree.query(shapely.points(x, y), predicate="within")
    order = np.lexsort((index.polygon_area[ti], qi))
    qi, ti = qi[order], ti[order]
    first = changes(qi)
    codes[qi[first]] = index.polygon_class[ti[first]]
    return codes


def _classify(
    index: SurfaceIndex,
    x: FloatArray,
    y: FloatArray,
    at: IndexArray,
    tolerance_m: float,
    heading_penalty_m: float,
    sure_m: float | None = None,
) -> tuple[CodeArray, FloatArray, BoolArray]:
    """Steps 2-4 of the module docstring for the points ``at`` of the projected track."""
    xa, ya = x[at], y[at]
    heading = _direction(x, y, at)
    codes, dist, sure = _nearest_way(index, xa, ya, heading, tolerance_m, heading_penalty_m, sure_m)
    far = np.flatnonzero(np.isnan(dist))
    codes[far] = _polygon_class(index, xa[far], ya[far])
    return codes, dist, sure


def match_codes(
    index: SurfaceIndex,
    lat: FloatArray,
    lon: FloatArray,
    lengths: FloatArray,
    *,
    tolerance_m: float = 20.0,
    min_stretch_m: float = 15.0,
    heading_penalty_m: float = 10.0,
    sample_m: float = SAMPLE_M,
    coarse_m: float = COARSE_M,
    sure_m: float = SURE_M,
) -> tuple[CodeArray, FloatArray]:
    """Per point: class code (-1 unknown) and distance to the way of the matched point
    it goes with (NaN if none); ``lengths``: metres from each point to the next, as
    :func:`step_lengths` (for sampling and smoothing)."""
    n = len(lat)
    finite = np.isfinite(lat) & np.isfinite(lon)
    lon_min, lat_min, lon_max, lat_max = index.bounds
    with np.errstate(invalid="ignore"):
        inside = finite & (lon >= lon_min) & (lon <= lon_max)
        inside &= (lat >= lat_min) & (lat <= lat_max)
    where = np.flatnonzero(inside)
    codes = np.full(n, UNKNOWN, dtype=np.int8)
    distance = np.full(n, np.nan)
    if len(where):
        x, y = index.projection.forward(lon, lat)
        along = np.empty(n)
        along[0] = 0.0
        np.cumsum(lengths[:-1], out=along[1:])
        along, breaks = along[where], np.zeros(len(where), dtype=bool)
        np.greater(where[1:] - where[:-1], 1, out=breaks[1:])  # the first after a gap
        kept, owner = sample(along, sample_m, breaks)
        args = (tolerance_m, heading_penalty_m)
        if sample_m > 0 and coarse_m > sample_m and len(kept) > 2:
            top = first_pass(along[kept], coarse_m, breaks[kept])
            top_codes, top_dist, sure = _classify(index, x, y, where[kept[top]], *args, sure_m)
            redo = np.flatnonzero((top_codes[1:] != top_codes[:-1]) | ~(sure[1:] & sure[:-1]))
            group = np.repeat(np.arange(len(top)), run_counts(top, len(kept)))
            kept_codes, kept_dist = top_codes[group], top_dist[group]
            fill = between(top, redo)
            kept_codes[fill], kept_dist[fill], _ = _classify(index, x, y, where[kept[fill]], *args)
        else:
            kept_codes, kept_dist, _ = _classify(index, x, y, where[kept], *args)
        codes[where] = kept_codes[owner]
        distance[where] = kept_dist[owner]
    valid = np.flatnonzero(finite)
    codes[valid] = smooth(codes[valid], lengths[valid], min_stretch_m)
    return codes, distance


def match(
    index: SurfaceIndex,
    lat: ArrayLike,
    lon: ArrayLike,
    *,
    tolerance_m: float = 20.0,
    min_stretch_m: float = 15.0,
    heading_penalty_m: float = 10.0,
    sample_m: float = SAMPLE_M,
    coarse_m: float = COARSE_M,
    sure_m: float = SURE_M,
) -> Matched:
    """Surface class per GPS point and metres per class (see the module docstring)."""
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a = np.asarray(lon, dtype=np.float64)
    if lat_a.ndim != 1 or lat_a.shape != lon_a.shape:
        raise ValueError("lat and lon must be 1-D arrays of the same length")
    lengths = step_lengths(lat_a, lon_a)
    codes, distance = match_codes(
        index,
        lat_a,
        lon_a,
        lengths,
        tolerance_m=tolerance_m,
        min_stretch_m=min_stretch_m,
        heading_penalty_m=heading_penalty_m,
        sample_m=sample_m,
        coarse_m=coarse_m,
        sure_m=sure_m,
    )
    per_code = np.bincount(codes + 1, weights=lengths, minlength=len(index.classes) + 1)
    metres = {name: float(m) for name, m in zip(index.classes, per_code[1:], strict=True)}
    metres[UNKNOWN_NAME] = float(per_code[0])
    return Matched(metres=metres, distance_m=distance, codes=codes, names=index.classes)
