"""Matching samples the track (a point every 10 m, in two passes) instead of every point:
on runs laid along real ways of the Helsinki extract (ODbL, © OpenStreetMap
contributors) the surface mix stays that of matching every point, and short, broken
and off-map runs behave as before.

Runs here are random walks along the index's runnable ways (way to way at shared
nodes), a fix every second at 3 m/s with 4 m of correlated GPS noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from helsinki import wander
from loadguard.surfaces.osm import SurfaceIndex, build_index, match
from loadguard.surfaces.osm.sampling import between, first_pass, sample

OSM = Path(__file__).parents[1].parent / "shared" / "data" / "osm" / "helsinki.osm.pbf"
needs_map = pytest.mark.skipif(not OSM.exists(), reason=f"shared OSM extract not in {OSM}")
Array = NDArray[np.float64]


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> tuple[SurfaceIndex, list[Array]]:
    """The index, and its runnable ways as (n, 2) lon/lat lines."""
    path = tmp_path_factory.mktemp("osm") / "helsinki.npz"
    build_index(OSM, path)
    with np.load(path) as data:
        lonlat, start = data["way_lonlat"], data["way_start"]
    lines = [lonlat[start[i] : start[i + 1]] for i in range(len(start) - 1)]
    return SurfaceIndex.load(path), lines


def shares(metres: dict[str, float]) -> dict[str, float]:
    total = sum(metres.values())
    return {k: 100.0 * v / total for k, v in metres.items()}


@needs_map
def test_45_minute_runs_along_real_ways_get_the_mix_of_matching_every_point(
    helsinki: tuple[SurfaceIndex, list[Array]],
) -> None:
    index, lines = helsinki
    paved = []
    for seed in range(6):
        lat, lon = wander(lines, 45 * 60, seed)
        got, every = match(index, lat, lon), match(index, lat, lon, sample_m=0)
        ours, theirs = shares(got.metres), shares(every.metres)
        assert max(abs(ours[k] - theirs[k]) for k in ours) <= 2.0, (seed, ours, theirs)
        assert (got.classes == every.classes).mean() >= 0.97
        paved.append(ours["paved"])
    assert np.mean(paved) > 50.0, "the walks are on the city's ways, mostly paved"


@needs_map
def test_one_two_or_three_points_are_matched_like_every_point(
    helsinki: tuple[SurfaceIndex, list[Array]],
) -> None:
    index, lines = helsinki
    lat, lon = wander(lines, 60, seed=3)
    for n in (1, 2, 3):
        got, every = match(index, lat[:n], lon[:n]), match(index, lat[:n], lon[:n], sample_m=0)
        assert got.classes.tolist() == every.classes.tolist()
        assert got.metres == pytest.approx(every.metres)
        assert len(got.classes) == n


@needs_map
def test_a_run_with_gaps_keeps_missing_points_unknown_and_matches_both_sides(
    helsinki: tuple[SurfaceIndex, list[Array]],
) -> None:
    index, lines = helsinki
    lat, lon = wander(lines, 900, seed=5)
    far_lat, far_lon = wander(lines, 900, seed=6)  # somewhere else: a jump across the gap
    lat = np.r_[lat[:400], np.full(30, np.nan), far_lat[400:]]
    lon = np.r_[lon[:400], np.full(30, np.nan), far_lon[400:]]
    lat[100:110] = np.nan  # a short dropout too
    got, every = match(index, lat, lon), match(index, lat, lon, sample_m=0)
    missing = np.isnan(lat)
    assert set(got.classes[missing]) == {""}
    assert np.isnan(got.distance_m[missing]).all()
    after = slice(431, 481)  # the first 150 m after the jump
    assert (got.classes[after] == every.classes[after]).mean() >= 0.9
    ours, theirs = shares(got.metres), shares(every.metres)
    assert max(abs(ours[k] - theirs[k]) for k in ours) <= 2.0


@needs_map
def test_a_run_partly_off_the_map_is_unknown_off_it(
    helsinki: tuple[SurfaceIndex, list[Array]],
) -> None:
    index, lines = helsinki
    lat, lon = wander(lines, 1200, seed=8)
    lon = lon.copy()
    lon[600:] += 1.0  # the second half 55 km east, off the extract
    got = match(index, lat, lon)
    assert set(got.classes[600:]) == {""}
    assert (got.classes[:600] != "").mean() > 0.3
    off = match(index, lat + 2.0, lon)
    assert set(off.classes) == {""}
    assert off.metres["unknown"] == pytest.approx(sum(off.metres.values()))


def test_a_point_is_kept_past_every_mark_and_after_every_gap() -> None:
    along = np.array([0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0, 24.0, 27.0])
    breaks = np.zeros(len(along), dtype=bool)
    breaks[9] = True  # the first point after a gap
    kept, owner = sample(along, 10.0, breaks)
    assert kept.tolist() == [0, 4, 7, 9]
    assert along[kept][owner].tolist() == [0, 0, 0, 12, 12, 12, 21, 21, 24, 24, 24]
    every, same = sample(along, 0.0)
    assert every.tolist() == same.tolist() == list(range(len(along)))


def test_the_first_pass_takes_every_coarse_mark_and_the_last_sample() -> None:
    along = np.arange(0.0, 100.0, 10.0)
    top = first_pass(along, 40.0, None)
    assert top.tolist() == [0, 4, 8, 9]
    assert between(top, np.array([0, 2])).tolist() == [1, 2, 3]
    assert between(top, np.array([1])).tolist() == [5, 6, 7]
    assert between(top, np.zeros(0, dtype=np.intp)).tolist() == []
