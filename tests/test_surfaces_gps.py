"""Surfaces from the GPS track through the whole import: a real map, real ways, FIT files."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from helsinki import (
    ASPHALT_FOOTWAY,
    COMPACTED_CYCLEWAY,
    HELSINKI,
    PLAN_START,
    run_along,
    way_points,
)
from loadguard.app import service
from loadguard.contract import Activity, Athlete, SampleWriter, Streams
from loadguard.sources import registry
from loadguard.store import maps
from loadguard.store.db import Store
from loadguard.surfaces import mix


@pytest.fixture(scope="module")
def built_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with Store(tmp_path_factory.mktemp("map") / "lg.sqlite") as store:
        path, stats = maps.add_map(store, HELSINKI)
    assert stats.segments > 1000
    return path


@pytest.fixture
def store(tmp_path: Path, built_map: Path) -> Store:
    s = Store(tmp_path / "lg.sqlite")
    s.add_athlete("anna", "Anna", "heel-fat-pad", PLAN_START, "Europe/Helsinki")
    (tmp_path / "osm").mkdir()
    shutil.copy(built_map, tmp_path / "osm" / built_map.name)
    return s


def import_runs(store: Store, tmp_path: Path, runs: list[Activity]) -> Athlete:
    writer = registry.connector("fit")
    assert isinstance(writer, SampleWriter)
    folder = tmp_path / "watch"
    writer.write_samples(runs, folder)
    athlete = store.athlete("anna")
    summary = service.import_from(store, athlete, str(folder))
    assert summary.new == len(runs)
    return athlete


def shares(store: Store) -> dict[str, float]:
    cols = ("grass_m", "gravel_m", "trail_m", "track_m", "paved_m", "treadmill_m", "unknown_m")
    row = store.conn.execute(f"SELECT {', '.join(cols)}, method FROM activity_surfaces").fetchone()
    total = sum(row[:-1])
    return {c.removesuffix("_m"): v / total for c, v in zip(cols, row[:-1], strict=True)} | {
        "method": row[-1]
    }


def test_a_run_on_a_compacted_cycleway_counts_as_gravel(store: Store, tmp_path: Path) -> None:
    import_runs(store, tmp_path, [run_along(COMPACTED_CYCLEWAY, date(2026, 3, 10))])
    got = shares(store)
    assert got["method"] == "gps"
    assert got["gravel"] >= 0.85


def test_a_week_2_run_on_an_asphalt_footway_is_flagged_by_the_guard(
    store: Store, tmp_path: Path
) -> None:
    athlete = import_runs(store, tmp_path, [run_along(ASPHALT_FOOTWAY, date(2026, 3, 10))])
    assert shares(store)["paved"] >= 0.85
    report = service.check(store, athlete, date(2026, 3, 15))
    assert "surface_phase" in {f.rule for f in report.findings}
    week = next(w for w in report.weeks if w["plan_week"] == 2)
    assert week["surface_km"]["paved"] > 0.85 * week["run_km"]


def test_a_saved_grass_place_beats_the_map_after_a_recompute(store: Store, tmp_path: Path) -> None:
    athlete = import_runs(store, tmp_path, [run_along(ASPHALT_FOOTWAY, date(2026, 3, 10))])
    lat, lon = way_points(ASPHALT_FOOTWAY)
    pad = 0.002
    ring = [
        [float(lon.min()) - pad, float(lat.min()) - pad],
        [float(lon.max()) + pad, float(lat.min()) - pad],
        [float(lon.max()) + pad, float(lat.max()) + pad],
        [float(lon.min()) - pad, float(lat.max()) + pad],
        [float(lon.min()) - pad, float(lat.min()) - pad],
    ]
    geojson = tmp_path / "lawn.geojson"
    geojson.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    assert maps.add_places(store, athlete, geojson, "the lawn", "grass") == ["the lawn"]
    count, failed = service.recompute_surfaces(store, athlete)
    assert (count, failed) == (1, [])
    assert shares(store)["grass"] >= 0.99


def test_a_runners_tag_beats_everything(store: Store) -> None:
    run = run_along(ASPHALT_FOOTWAY, date(2026, 3, 10))
    tagged = dataclasses.replace(run, name="Along the river #gravel")
    athlete = store.athlete("anna")
    found = mix.mix(tagged, maps.context(store, athlete))
    assert found.method == "tags"
    assert found.metres["gravel"] == pytest.approx(tagged.distance_m)
    assert mix.mix(run, maps.context(store, athlete)).method == "gps"


def test_a_run_outside_the_map_stays_unknown_and_says_so(store: Store, tmp_path: Path) -> None:
    run = run_along(COMPACTED_CYCLEWAY, date(2026, 3, 10))
    assert run.streams is not None
    far = Streams({**run.streams.columns, "lat": run.streams.columns["lat"] - 2.0})
    athlete = import_runs(store, tmp_path, [dataclasses.replace(run, streams=far)])
    assert shares(store)["unknown"] >= 0.99
    report = service.check(store, athlete, date(2026, 3, 15))
    assert "surface_unknown" in {f.rule for f in report.findings}


def test_bad_places_files_are_refused_with_the_reason(store: Store, tmp_path: Path) -> None:
    athlete = store.athlete("anna")
    point = tmp_path / "point.geojson"
    point.write_text(json.dumps({"type": "Point", "coordinates": [24.9, 60.1]}))
    with pytest.raises(Exception, match="not a polygon or a line"):
        maps.add_places(store, athlete, point, None, "grass")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{nope")
    with pytest.raises(Exception, match="cannot read GeoJSON"):
        maps.add_places(store, athlete, broken, None, "grass")
    line = tmp_path / "path.geojson"
    line.write_text(
        json.dumps({"type": "LineString", "coordinates": [[24.9, 60.1], [24.91, 60.1]]})
    )
    with pytest.raises(Exception, match="surface 'lava'"):
        maps.add_places(store, athlete, line, None, "lava")


def test_a_treadmill_run_is_treadmill_whatever_its_gps_says(store: Store) -> None:
    run = dataclasses.replace(run_along(ASPHALT_FOOTWAY, date(2026, 3, 10)), sub_sport="treadmill")
    found = mix.mix(run, maps.context(store, store.athlete("anna")))
    assert found.method == "label"
    assert found.metres["treadmill"] == pytest.approx(run.distance_m)


def test_a_run_without_gps_falls_back_to_its_label_or_unknown(store: Store) -> None:
    run = dataclasses.replace(run_along(COMPACTED_CYCLEWAY, date(2026, 3, 10)), streams=None)
    context = maps.context(store, store.athlete("anna"))
    trail = mix.mix(dataclasses.replace(run, sub_sport="trail"), context)
    assert (trail.method, trail.metres["trail"]) == ("label", pytest.approx(run.distance_m))
    nothing = mix.mix(run, context)
    assert (nothing.method, nothing.unknown_share) == ("none", 1.0)
