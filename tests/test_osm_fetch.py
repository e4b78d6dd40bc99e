"""`loadguard osm fetch` against a real extract server on 127.0.0.1: it finds the
smallest region holding the runner's tracks, downloads it with a progress bar, builds
the index and works the surfaces out again; a server that is down, a damaged or
broken-off download, or a bad index is named, and the maps already there stay as they
were."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from clirun import lg
from helsinki import ASPHALT_FOOTWAY, PLAN_START, run_along
from loadguard import settings
from loadguard.contract import SampleWriter
from loadguard.sources import registry
from mapserver import HELSINKI_PBF, MapServer, map_server
from receivers import free_port

EXE = Path(sys.executable).with_name("loadguard")
IN_WEEK_2 = date(2026, 3, 10)
AS_OF = "2026-03-15"


@pytest.fixture
def server() -> Iterator[MapServer]:
    with map_server() as s:
        yield s


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index_url: str) -> Path:
    conf = tmp_path / "settings.toml"
    conf.write_text(f'[maps]\nindex_url = "{index_url}"\ntimeout_s = 5\n')
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    return conf


@pytest.fixture
def anna(tmp_path: Path, server: MapServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """anna in Helsinki, one run on an asphalt footway in week 2, from a real FIT file
    with GPS, and no map yet: its surface is unknown."""
    configure(tmp_path, monkeypatch, server.index_url)
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", PLAN_START.isoformat(), "--tz", "Europe/Helsinki")
    writer = registry.connector("fit")
    assert isinstance(writer, SampleWriter)
    writer.write_samples([run_along(ASPHALT_FOOTWAY, IN_WEEK_2)], tmp_path / "watch")
    assert lg(db, "import", str(tmp_path / "watch"))[0] == 0
    return db


def week_2(db: Path) -> tuple[dict[str, float], list[str]]:
    _, out = lg(db, "check", "--as-of", AS_OF, "--json")
    report = json.loads(out)
    week = next(w for w in report["weeks"] if w["plan_week"] == 2)
    return week["surface_km"], [f["rule"] for f in report["findings"]]


def test_osm_fetch_downloads_the_smallest_region_of_the_runs_and_the_guard_sees_asphalt(
    anna: Path, server: MapServer
) -> None:
    surface, rules = week_2(anna)
    assert surface["unknown"] > 0
    assert "surface_phase" not in rules  # unknown ground is never judged
    _, out = lg(anna, "check", "--as-of", AS_OF, "--json")
    (unknown,) = [f for f in json.loads(out)["findings"] if f["rule"] == "surface_unknown"]
    assert "`loadguard osm fetch` downloads the map" in unknown["message"]  # the one command

    done = subprocess.run(
        [str(EXE), "--db", str(anna), "osm", "fetch"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Helsinki: downloaded and indexed" in done.stdout
    assert "surfaces of 1 run worked out again" in done.stdout
    assert [p for p in server.requested if p.endswith(".pbf")] == [HELSINKI_PBF]

    surface, rules = week_2(anna)
    assert surface["paved"] > 0.85 * sum(surface.values())
    assert "surface_phase" in rules
    assert "helsinki.npz" in lg(anna, "osm", "list")[1]

    code, out = lg(anna, "osm", "fetch")  # a second time: nothing to download
    assert code == 0
    assert "Helsinki: here already" in out
    assert [p for p in server.requested if p.endswith(".pbf")] == [HELSINKI_PBF]


def maps_folder(db: Path) -> dict[str, bytes]:
    folder = db.parent / "osm"
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("damaged", "could not be read as an OSM extract"),
        ("broken-off", "ended early"),
        ("bad-index", "is not JSON"),
    ],
)
def test_a_bad_download_is_named_and_leaves_the_map_that_was_there(
    anna: Path, server: MapServer, fault: str, said: str
) -> None:
    assert lg(anna, "osm", "fetch")[0] == 0
    before = maps_folder(anna)
    assert list(before) == ["helsinki.npz"]
    server.fault = fault
    code, out = lg(anna, "osm", "fetch", "--refresh")
    out = " ".join(out.split())
    assert code == 1
    assert said in out
    assert "the maps you had are unchanged" in out
    assert maps_folder(anna) == before  # nothing half-written left beside it either
    assert "surface_phase" in week_2(anna)[1]


def test_a_server_that_is_down_is_named(
    anna: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"http://127.0.0.1:{free_port()}/index-v1.json"
    configure(tmp_path, monkeypatch, down)
    code, out = lg(anna, "osm", "fetch")
    assert code == 1
    assert f"cannot reach the map server for {down}" in out


def test_runs_outside_every_region_or_without_gps_are_explained(
    tmp_path: Path, server: MapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(tmp_path, monkeypatch, server.index_url)
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "bo", "--start", PLAN_START.isoformat())
    code, out = lg(db, "osm", "fetch")
    assert code == 1
    assert "no run with GPS yet" in out


def test_a_bad_index_url_in_the_settings_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "bo", "--start", PLAN_START.isoformat())
    configure(tmp_path, monkeypatch, "ftp://mirror/index.json")
    code, out = lg(db, "osm", "fetch")
    out = " ".join(out.split())
    assert code == 1
    assert "maps.index_url" in out
    assert "not an http(s) URL" in out
