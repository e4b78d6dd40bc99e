"""OSM surface matching against the real central-Helsinki extract (ODbL, © OpenStreetMap
contributors), plus a tiny map written in the test for what the extract lacks (an
athletics track, a gravel path crossing a road at a right angle).

The ways a run follows are read from the extract here, with pyosmium, so the expected
metres come from the map. GPS is laid along them one point every 3 m with seeded
Gaussian noise of 4 m that is correlated from point to point (AR(1), as a real
receiver's error drifts rather than jumps).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pytest
import shapely
from numpy.typing import NDArray

from loadguard.surfaces.osm import CLASSES, SurfaceIndex, build_index, classify, match
from loadguard.surfaces.osm.match import _first_minimum, smooth
from loadguard.surfaces.osm.tags import TABLE

OSM = Path(__file__).parents[1].parent / "shared" / "data" / "osm" / "helsinki.osm.pbf"
needs_map = pytest.mark.skipif(not OSM.exists(), reason=f"shared OSM extract not in {OSM}")
M_PER_DEG = 6_371_008.8 * math.pi / 180.0
Array = NDArray[np.float64]


@dataclass(frozen=True)
class MapWay:
    id: int
    tags: dict[str, str]
    lonlat: Array  # (n, 2)
    complete: bool  # every node inside the extract


def to_xy(lonlat: Array, origin: tuple[float, float]) -> Array:
    kx = M_PER_DEG * math.cos(math.radians(origin[1]))
    return np.column_stack(
        [(lonlat[:, 0] - origin[0]) * kx, (lonlat[:, 1] - origin[1]) * M_PER_DEG]
    )


def to_lonlat(xy: Array, origin: tuple[float, float]) -> Array:
    kx = M_PER_DEG * math.cos(math.radians(origin[1]))
    return np.column_stack([xy[:, 0] / kx + origin[0], xy[:, 1] / M_PER_DEG + origin[1]])


def length_m(lonlat: Array) -> float:
    xy = to_xy(lonlat, (float(lonlat[0, 0]), float(lonlat[0, 1])))
    return float(np.hypot(*np.diff(xy, axis=0).T).sum())


def gps_along(
    lonlat: Array, seed: int, *, passes: int = 1, sigma: float = 4.0
) -> tuple[Array, Array]:
    """(lat, lon) of a run along the polyline, out and back ``passes`` times in all."""
    origin = (float(lonlat[0, 0]), float(lonlat[0, 1]))
    xy = to_xy(lonlat, origin)
    legs = [xy if i % 2 == 0 else xy[::-1] for i in range(passes)]
    path = np.concatenate([legs[0], *[leg[1:] for leg in legs[1:]]])
    along = np.r_[0.0, np.cumsum(np.hypot(*np.diff(path, axis=0).T))]
    at = np.arange(0.0, along[-1], 3.0)
    clean = np.c_[np.interp(at, along, path[:, 0]), np.interp(at, along, path[:, 1])]
    rng = np.random.default_rng(seed)
    rho = 0.97
    shocks = rng.normal(0.0, sigma * math.sqrt(1 - rho**2), (len(at), 2))
    shocks[0] = rng.normal(0.0, sigma, 2)
    noise = np.zeros_like(shocks)
    for i in range(len(at)):
        noise[i] = shocks[i] + (rho * noise[i - 1] if i else 0.0)
    out = to_lonlat(clean + noise, origin)
    return out[:, 1], out[:, 0]


@pytest.fixture(scope="module")
def map_ways() -> list[MapWay]:
    """Every way of the extract with at least two nodes inside it."""
    ways = []
    for way in (
        osmium.FileProcessor(str(OSM))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    ):
        assert isinstance(way, osmium.osm.Way)
        nodes = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
        if len(nodes) >= 2:
            complete = len(nodes) == len(way.nodes)
            ways.append(MapWay(way.id, dict(way.tags), np.array(nodes), complete))
    return ways


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SurfaceIndex, int]:
    path = tmp_path_factory.mktemp("osm") / "helsinki.npz"
    stats = build_index(OSM, path)
    return path, SurfaceIndex.load(path), stats.segments


def longest(ways: list[MapWay], keep: Callable[[Mapping[str, str]], bool]) -> MapWay:
    chosen = [w for w in ways if w.complete and keep(w.tags)]
    assert chosen, "the extract has such a way"
    return max(chosen, key=lambda w: length_m(w.lonlat))


def test_every_class_in_the_table_is_reachable_by_classify() -> None:
    examples = {
        "grass": {"landuse": "grass"},
        "gravel": {"highway": "path", "surface": "compacted"},
        "trail": {"highway": "footway", "surface": "dirt"},
        "track": {"leisure": "track", "sport": "athletics"},
        "paved": {"highway": "residential"},
    }
    assert {classify(tags) for tags in examples.values()} == set(CLASSES)
    assert {rule.surface for rule in TABLE.values()} - {None} == set(CLASSES)
    assert classify({"highway": "track", "tracktype": "grade2"}) == "gravel"
    assert classify({"highway": "track", "tracktype": "grade4"}) == "trail"
    assert classify({"highway": "footway", "footway": "sidewalk"}) == "paved"
    assert classify({"leisure": "park", "surface": "grass"}) == "grass"


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "footway"},  # no surface: unknown, not guessed
        {"highway": "motorway"},  # not runnable
        {"highway": "path", "surface": "moon_dust"},  # unreadable surface
        {"highway": "residential", "foot": "no"},
        {"leisure": "track", "sport": "horse_racing"},
        {"leisure": "park"},  # a park alone is not grass
    ],
)
def test_unknown_or_unrunnable_tags_classify_as_none(tags: dict[str, str]) -> None:
    assert classify(tags) is None


def test_a_short_flip_between_two_stretches_of_one_class_is_smoothed_away() -> None:
    codes = np.array([1, 1, 1, 4, 4, 1, 1, 2, 2, 2, 2, 2, 2], dtype=np.int8)
    lengths = np.full(len(codes), 5.0)
    out = smooth(codes, lengths, min_stretch_m=15.0)
    assert out.tolist() == [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    assert smooth(codes, lengths, min_stretch_m=5.0).tolist() == codes.tolist()


def test_the_best_candidate_is_the_first_least_score_of_each_point_in_any_order() -> None:
    point = np.array([1, 0, 1, 0, 2])
    score = np.array([3.0, 2.0, 1.0, 2.0, 5.0])
    assert sorted(_first_minimum(point, score).tolist()) == [1, 2, 4]
    assert _first_minimum(np.sort(point), np.array([2.0, 2.0, 1.0, 3.0, 5.0])).tolist() == [0, 2, 4]


@needs_map
def test_the_index_file_round_trips(helsinki: tuple[Path, SurfaceIndex, int]) -> None:
    path, index, segments = helsinki
    assert segments > 1000
    assert index.n_segments == segments
    assert SurfaceIndex.load(path).n_segments == segments
    assert len(index.polygons) > 0
    assert set(np.unique(index.segment_class)) <= {-1, *range(len(CLASSES))}


RUNS = {
    "the longest asphalt way": (
        lambda t: "highway" in t and t.get("surface") == "asphalt" and "area" not in t,
        "paved",
        1,
        4.0,
    ),
    "the longest gravel way": (
        lambda t: "highway" in t and t.get("surface") in {"gravel", "compacted", "fine_gravel"},
        "gravel",
        1,
        4.0,
    ),
    # The extract's only dirt/ground way is 48 m long with a paved footway 3 m from its
    # middle and a path 4 m away: metres of noise cannot tell them apart (at 3 m a
    # tenth of the seeds get under 60 % trail), so this run has 1 m of noise.
    "the longest dirt footway, 4 times": (
        lambda t: (
            t.get("highway") in {"footway", "path"} and t.get("surface") in {"dirt", "ground"}
        ),
        "trail",
        4,
        1.0,
    ),
}


@needs_map
@pytest.mark.parametrize("name", RUNS)
def test_a_run_along_a_real_way_gets_the_way_s_surface(
    name: str, map_ways: list[MapWay], helsinki: tuple[Path, SurfaceIndex, int]
) -> None:
    keep, expected, passes, sigma = RUNS[name]
    way = longest(map_ways, keep)
    truth = length_m(way.lonlat) * passes
    lat, lon = gps_along(way.lonlat, seed=way.id % 1000, passes=passes, sigma=sigma)
    got = match(helsinki[1], lat, lon)
    total = sum(got.metres.values())
    assert got.metres[expected] >= 0.85 * total, (way.id, got.metres)
    assert 0.85 * truth <= got.metres[expected] <= 1.15 * truth, (way.id, truth, got.metres)
    assert (got.classes == expected).mean() >= 0.85


@needs_map
def test_laps_on_a_lawn_far_from_every_path_are_grass(
    map_ways: list[MapWay], helsinki: tuple[Path, SurfaceIndex, int]
) -> None:
    """Laps around the largest part of a landuse=grass area that lies 8 m inside it
    and 32 m from every highway (3 m noise: a point comes within 20 m of a way rarely)."""
    origin = (24.94, 60.17)
    roads = shapely.STRtree(
        [shapely.LineString(to_xy(w.lonlat, origin)) for w in map_ways if "highway" in w.tags]
    )
    lawns: list[Any] = []  # shapely geometries (shapely has no type hints)
    for way in map_ways:
        if way.tags.get("landuse") == "grass" and way.complete and len(way.lonlat) >= 4:
            lawn = shapely.Polygon(to_xy(way.lonlat, origin))
            near = roads.geometries[roads.query(lawn, predicate="dwithin", distance=40.0)]
            free = lawn.buffer(-8.0).difference(shapely.union_all(shapely.buffer(near, 32.0)))
            lawns.extend(getattr(free, "geoms", [free]))
    assert lawns, "the extract has a lawn far from its paths"
    free = max(lawns, key=lambda g: g.area)
    ring = to_lonlat(np.asarray(free.exterior.coords), origin)
    lat, lon = gps_along(np.concatenate([ring] * 5), seed=7, sigma=3.0)
    got = match(helsinki[1], lat, lon)
    assert got.metres["grass"] >= 0.85 * sum(got.metres.values()), got.metres
    assert got.metres["grass"] >= 0.85 * free.length * 5


@needs_map
def test_a_run_outside_the_extract_is_all_unknown(
    map_ways: list[MapWay], helsinki: tuple[Path, SurfaceIndex, int]
) -> None:
    way = longest(map_ways, lambda t: t.get("surface") == "asphalt" and "area" not in t)
    shifted = way.lonlat + np.array([1.0, 0.5])  # the same shape 60 km further on
    lat, lon = gps_along(shifted, seed=3)
    got = match(helsinki[1], lat, lon)
    assert set(got.classes) == {""}
    assert got.metres["unknown"] == pytest.approx(sum(got.metres.values()))
    assert got.metres["unknown"] > 0.8 * length_m(way.lonlat)


@needs_map
def test_no_gps_is_all_unknown_with_zero_metres(
    helsinki: tuple[Path, SurfaceIndex, int],
) -> None:
    nan = np.full(600, np.nan)
    got = match(helsinki[1], nan, nan)
    assert got.classes.tolist() == [""] * 600
    assert set(got.metres.values()) == {0.0}
    assert set(got.metres) == {*CLASSES, "unknown"}
    empty = match(helsinki[1], np.array([]), np.array([]))
    assert len(empty.classes) == 0
    assert sum(empty.metres.values()) == 0.0


# --- a small map written here: what the Helsinki extract has none of ---------------
ORIGIN = (24.0, 61.0)


def oval(centre: tuple[float, float], straight: float = 84.39, radius: float = 36.5) -> Array:
    """A 400 m athletics track's inner line, in metres, closed."""
    t = np.linspace(-math.pi / 2, math.pi / 2, 24)
    east = np.c_[straight / 2 + radius * np.cos(t), radius * np.sin(t)]
    ring = np.concatenate([east, -east])
    closed: Array = np.concatenate([ring, ring[:1]]) + np.array(centre)
    return closed


def write_map(path: Path, ways: list[tuple[Array, dict[str, str]]]) -> None:
    header = osmium.io.Header()
    sw, ne = to_lonlat(np.array([[-300.0, -300.0], [400.0, 300.0]]), ORIGIN)
    header.add_box(osmium.osm.Box(osmium.osm.Location(*sw), osmium.osm.Location(*ne)))
    node_ids: dict[tuple[float, float], int] = {}
    with osmium.SimpleWriter(str(path), header=header) as writer:
        for xy, _ in ways:
            for x, y in xy:
                if (x, y) not in node_ids:
                    node_ids[(x, y)] = len(node_ids) + 1
                    lon, lat = to_lonlat(np.array([[x, y]]), ORIGIN)[0]
                    writer.add_node(
                        osmium.osm.mutable.Node(id=node_ids[(x, y)], location=(lon, lat))
                    )
        for i, (xy, tags) in enumerate(ways, start=1):
            refs = [node_ids[(x, y)] for x, y in xy]
            writer.add_way(osmium.osm.mutable.Way(id=i, nodes=refs, tags=tags))


@pytest.fixture(scope="module")
def small_map(tmp_path_factory: pytest.TempPathFactory) -> SurfaceIndex:
    """A gravel path crossing a residential road at a right angle (shared node), an
    athletics track far from both."""
    folder = tmp_path_factory.mktemp("small_map")
    xs = np.arange(-200.0, 201.0, 25.0)
    path = np.c_[xs, np.zeros_like(xs)]
    road = np.c_[np.zeros_like(xs), xs]
    write_map(
        folder / "map.osm.pbf",
        [
            (path, {"highway": "path", "surface": "gravel"}),
            (road, {"highway": "residential"}),
            (oval((250.0, 200.0)), {"leisure": "track", "sport": "athletics"}),
        ],
    )
    build_index(folder / "map.osm.pbf", folder / "map.npz")
    return SurfaceIndex.load(folder / "map.npz")


def test_crossing_a_paved_road_on_a_gravel_path_stays_gravel(small_map: SurfaceIndex) -> None:
    run = to_lonlat(np.array([[-150.0, 0.0], [150.0, 0.0]]), ORIGIN)
    lat, lon = gps_along(run, seed=11, passes=4, sigma=4.0)  # 4 crossings
    # every point, no smoothing, no heading: the plain nearest way
    raw = match(small_map, lat, lon, min_stretch_m=0.0, heading_penalty_m=0.0, sample_m=0.0)
    got = match(small_map, lat, lon)
    assert raw.metres["paved"] > 0.0, "the nearest way alone puts points on the road"
    assert got.metres["paved"] == 0.0
    assert got.metres["gravel"] >= 0.95 * sum(got.metres.values())


def test_laps_of_an_athletics_track_are_track(small_map: SurfaceIndex) -> None:
    lap = to_lonlat(oval((250.0, 200.0)), ORIGIN)
    lat, lon = gps_along(np.concatenate([lap] * 3), seed=5, sigma=4.0)
    got = match(small_map, lat, lon)
    assert got.metres["track"] >= 0.95 * sum(got.metres.values())
    assert got.metres["track"] == pytest.approx(3 * 400.0, rel=0.1)
