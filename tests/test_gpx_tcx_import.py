"""GPX and TCX files through `loadguard import` into a real SQLite store: the shared folder,
one run from three files, gzip and zips, bad files, surfaces from the map, run/walk."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from clirun import lg
from fitdata import DATA as FIT_DATA
from helsinki import COMPACTED_CYCLEWAY, HELSINKI, run_along
from loadguard.contract import Activity, RawRecord, SampleWriter
from loadguard.sources import registry
from loadguard.store import maps
from loadguard.store.db import Store

SHARED = FIT_DATA.parent / "gpx-tcx" / "sports-lib"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared GPX/TCX data not in {SHARED}")

SAME_GPX = "fixtures-runs-gpx-6782987395.gpx"  # one run, exported as GPX and as TCX
SAME_TCX = "fixtures-runs-tcx-6782987395.tcx"
HELSINKI_RUNS = ("samples-gpx-amazfit.gpx", "samples-gpx-garmin.gpx")
GPX_OPEN = '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'


@pytest.fixture
def lgdb(tmp_path: Path) -> Path:
    """A SQLite store with one athlete, as the command line makes it."""
    path = tmp_path / "lg.sqlite"
    code, out = lg(path, "athlete", "add", "anna", "--start", "2014-01-06", "--tz", "Europe/Paris")
    assert code == 0, out
    return path


def rows(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with Store(db) as store:
        return [tuple(row) for row in store.conn.execute(sql, params).fetchall()]


def gpx_file(points: str, head: str = "", name: str = "") -> str:
    named = f"<name>{name}</name>" if name else ""
    body = f"<trk>{named}<type>running</type><trkseg>{points}</trkseg></trk></gpx>"
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{head}{GPX_OPEN}{body}'


def timed_points(extension: str = "") -> str:
    ext = f"<extensions>{extension}</extensions>" if extension else ""
    return "".join(
        f'<trkpt lat="{60 + i / 1000}" lon="25"><time>2026-03-10T07:0{i}:00Z</time>{ext}</trkpt>'
        for i in range(3)
    )


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


# The shared folder, and one run from three files


def test_the_whole_shared_folder_imports_with_0_failures_and_again_all_unchanged(
    lgdb: Path,
) -> None:
    code, out = lg(lgdb, "import", str(SHARED))
    assert code == 0, out
    assert "20 items: 20 new (20 activities, 20 runs, 2 already known" in out
    assert "0 unchanged, 0 not activities, 0 failed" in out
    pairs = rows(
        lgdb,
        "SELECT r.origin, o.origin FROM activities a JOIN raw_records r ON r.id = a.raw_id"
        " JOIN activities b ON b.id = a.duplicate_of JOIN raw_records o ON o.id = b.raw_id",
    )
    assert sorted((Path(a).name, Path(b).name) for a, b in pairs) == [
        (SAME_TCX, SAME_GPX),
        # Sports Tracker on the phone and the Suunto watch (Movescount) recorded one run
        ("samples-gpx-sports-tracker.gpx", "samples-gpx-movescount.gpx"),
    ]
    code, again = lg(lgdb, "import", str(SHARED))
    assert code == 0, again
    assert "20 items: 0 new (0 activities, 0 runs, 0 already known" in again
    assert "20 unchanged, 0 not activities, 0 failed" in again
    assert rows(lgdb, "SELECT COUNT(*) FROM activities") == [(20,)]


def test_the_same_run_as_gpx_tcx_and_fit_counts_once(lgdb: Path, tmp_path: Path) -> None:
    reader, writer = registry.connector("gpx"), registry.connector("fit")
    assert isinstance(writer, SampleWriter)
    (raw,) = reader.fetch(str(SHARED / SAME_GPX))
    assert isinstance(raw, RawRecord)
    (run,) = reader.normalise(raw)
    (fit,) = writer.write_samples([run], tmp_path / "watch")
    for target, known in ((SHARED / SAME_GPX, 0), (SHARED / SAME_TCX, 1), (fit, 1)):
        code, out = lg(lgdb, "import", str(target))
        assert code == 0, out
        assert f"1 items: 1 new (1 activities, 1 runs, {known} already known" in out
    counted = rows(lgdb, "SELECT source, distance_m FROM activities WHERE duplicate_of IS NULL")
    assert counted == [("gpx", pytest.approx(run.distance_m))]
    repeats = rows(lgdb, "SELECT source FROM activities WHERE duplicate_of IS NOT NULL")
    assert sorted(repeats) == [("fit",), ("tcx",)]


# Gzipped, zipped, nested


def test_gzipped_zipped_and_nested_files_import_once_each_named_by_their_zip(
    lgdb: Path, tmp_path: Path
) -> None:
    watch = tmp_path / "watch"
    watch.mkdir()
    garmin = (SHARED / "samples-gpx-garmin.gpx").read_bytes()
    (watch / "run.gpx.gz").write_bytes(gzip.compress(garmin))
    inner = zip_bytes({"b.gpx": (SHARED / "fixtures-runs-gpx-2067489619.gpx").read_bytes()})
    export = tmp_path / "export.zip"
    polar = gzip.compress((SHARED / "samples-tcx-polar.tcx").read_bytes())
    export.write_bytes(zip_bytes({"a.tcx.gz": polar, "deep/inner.zip": inner, "x.txt": b"hi"}))
    code, out = lg(lgdb, "import", str(watch), str(export))
    assert code == 0, out
    assert "3 items: 3 new (3 activities, 3 runs, 0 already known" in out
    assert sorted(rows(lgdb, "SELECT origin, source FROM raw_records")) == sorted(
        [
            (str(watch / "run.gpx.gz"), "gpx"),
            (f"{export}!a.tcx.gz", "tcx"),
            (f"{export}!deep/inner.zip!b.gpx", "gpx"),
        ]
    )
    # stored gunzipped: the same file, plain, is the same record
    origin = str(watch / "run.gpx.gz")
    assert rows(lgdb, "SELECT payload FROM raw_records WHERE origin = ?", origin) == [(garmin,)]
    (watch / "run.gpx").write_bytes(garmin)
    code, again = lg(lgdb, "import", str(watch), str(export))
    assert "4 items: 0 new (0 activities, 0 runs, 0 already known" in again
    assert "4 unchanged, 0 not activities, 0 failed" in again
    assert rows(lgdb, "SELECT COUNT(*) FROM activities") == [(3,)]


# Bad input: a clear reason each, and the batch goes on


def test_bad_files_get_a_clear_reason_and_the_batch_goes_on(lgdb: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.gpx").write_text(gpx_file(timed_points()).removesuffix("</trk></gpx>"))
    (bad / "route.gpx").write_text(
        f'<?xml version="1.0"?>\n{GPX_OPEN}<rte><rtept lat="60" lon="25"/></rte></gpx>'
    )
    (bad / "planned.gpx").write_text(
        gpx_file('<trkpt lat="60" lon="25"/><trkpt lat="61" lon="25"/>')
    )
    tcx_ns = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
    (bad / "course.tcx").write_text(
        f'<TrainingCenterDatabase xmlns="{tcx_ns}"><Courses><Course><Name>Loop</Name>'
        "</Course></Courses></TrainingCenterDatabase>"
    )
    packed = gzip.compress((SHARED / "samples-gpx-garmin.gpx").read_bytes())
    (bad / "cut.gpx.gz").write_bytes(packed[: len(packed) // 2])
    shutil.copy(SHARED / "samples-gpx-garmin.gpx", bad / "good.gpx")  # after the failures
    code, out = lg(lgdb, "import", str(bad), "--verbose", columns=400)
    assert code == 1
    assert "6 items: 1 new (1 activities, 1 runs, 0 already known" in out
    assert "3 not activities, 2 failed" in out
    lines = {line.split(": ", 1)[0].strip(): line for line in out.splitlines() if ": " in line}
    assert f"{bad / 'broken.gpx'}: not a readable GPX file" in lines[f"failed {bad / 'broken.gpx'}"]
    assert "gzip" in lines[f"failed {bad / 'cut.gpx.gz'}"]
    route = lines[f"not an activity {bad / 'route.gpx'}"]
    assert "a GPX file with 1 route(s): a planned course, not an activity" in route
    assert "1 track(s) without times" in lines[f"not an activity {bad / 'planned.gpx'}"]
    assert "1 course(s): not a recorded activity" in lines[f"not an activity {bad / 'course.tcx'}"]
    listed = lg(lgdb, "failures", columns=400)[1]
    assert sorted(Path(line.split(": ", 1)[0]).name for line in listed.splitlines()) == [
        "broken.gpx",
        "cut.gpx.gz",
    ]


@pytest.mark.parametrize(
    "extension",
    ["", "<gpxdata:cadence>85</gpxdata:cadence>"],  # undeclared: read by the recovering parser
    ids=["strict", "recovering"],
)
def test_an_external_entity_never_reaches_the_activity_name(
    lgdb: Path, tmp_path: Path, extension: str
) -> None:
    doctype = '<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    path = tmp_path / "xxe.gpx"
    path.write_text(gpx_file(timed_points(extension), head=doctype, name="Easy &x; jog"))
    code, out = lg(lgdb, "import", str(path))
    assert code == 0, out
    ((name, description),) = rows(lgdb, "SELECT name, description FROM activities")
    for text in (name, description):
        assert "root:" not in text
        assert "/bin/" not in text


def test_a_file_of_an_unknown_kind_named_on_the_command_line_is_refused(
    lgdb: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("ran 5 km today, heel fine")
    code, out = lg(lgdb, "import", str(notes), columns=400)
    assert code == 1
    assert f"{notes}: not a kind of file loadguard reads (it reads .fit, .gpx, .tcx" in out
    # a GPX named otherwise is known by its first bytes; in a folder neither is read
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.move(notes, folder / notes.name)
    (folder / "track.xml").write_text(gpx_file(timed_points()))
    code, out = lg(lgdb, "import", str(folder / "track.xml"))
    assert code == 0, out
    assert "1 items: 1 new (1 activities, 1 runs" in out
    code, out = lg(lgdb, "import", str(folder))
    assert code == 0, out
    assert "0 items: 0 new" in out


# Surfaces from the map, run/walk from cadence


@pytest.fixture(scope="module")
def built_map(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[float, ...]]:
    """The Helsinki extract's surface index, and its bounds (west, south, east, north)."""
    with Store(tmp_path_factory.mktemp("map") / "lg.sqlite") as store:
        path, stats = maps.add_map(store, HELSINKI)
    return path, tuple(stats.bounds)


@pytest.fixture
def mapped(lgdb: Path, built_map: tuple[Path, tuple[float, ...]]) -> Path:
    """The store, with the Helsinki map installed beside it."""
    (lgdb.parent / "osm").mkdir()
    shutil.copy(built_map[0], lgdb.parent / "osm" / built_map[0].name)
    return lgdb


def surfaces(db: Path) -> dict[str, Any]:
    cols = ("grass_m", "gravel_m", "trail_m", "track_m", "paved_m", "treadmill_m", "unknown_m")
    ((*metres, method),) = rows(db, f"SELECT {', '.join(cols)}, method FROM activity_surfaces")
    total = sum(metres)
    shares = {c.removesuffix("_m"): m / total for c, m in zip(cols, metres, strict=True)}
    return shares | {"method": method}


def as_gpx(run: Activity) -> str:
    """A run as a GPX file with a running cadence (85 strides a minute)."""
    assert run.streams is not None
    lat, lon, t = (run.streams.columns[c] for c in ("lat", "lon", "t"))
    points = "".join(
        f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><time>'
        f"{(run.start_utc + timedelta(seconds=float(s))).isoformat()}</time>"
        "<extensions><cad>85</cad></extensions></trkpt>"
        for la, lo, s in zip(lat, lon, t, strict=True)
    )
    return gpx_file(points, name="Along the cycleway")


def test_a_gpx_run_in_the_maps_area_gets_its_surfaces_from_the_map(
    mapped: Path, tmp_path: Path
) -> None:
    path = tmp_path / "cycleway.gpx"
    path.write_text(as_gpx(run_along(COMPACTED_CYCLEWAY, date(2026, 3, 10))))
    code, out = lg(mapped, "import", str(path))
    assert code == 0, out
    found = surfaces(mapped)
    assert found["method"] == "gps"
    assert found["gravel"] >= 0.85  # the way is surface=compacted
    assert found["unknown"] < 0.15


@pytest.mark.parametrize("name", HELSINKI_RUNS)
def test_the_shared_helsinki_runs_are_matched_but_lie_north_of_the_extract(
    mapped: Path, built_map: tuple[Path, tuple[float, ...]], name: str
) -> None:
    """The shared extract is central Helsinki; Amazfit's and Garmin's sample runs are
    11-14 km north of it, so the map knows none of their ways."""
    code, out = lg(mapped, "import", str(SHARED / name))
    assert code == 0, out
    (raw,) = registry.connector("gpx").fetch(str(SHARED / name))
    assert isinstance(raw, RawRecord)
    (run,) = registry.connector("gpx").normalise(raw)
    assert run.streams is not None
    north = built_map[1][3]
    assert float(run.streams.columns["lat"].min()) > north + 0.09
    found = surfaces(mapped)
    assert (found["method"], found["unknown"]) == ("gps", 1.0)


def test_a_real_gpx_run_with_cadence_gets_its_run_walk_structure(lgdb: Path) -> None:
    """Corenc (Garmin Connect's GPX): a run with walking in it, cadence in strides."""
    code, out = lg(lgdb, "import", str(SHARED / "fixtures-runs-gpx-2067489619.gpx"))
    assert code == 0, out
    ((run_s, walk_s, run_bouts, walk_bouts, elapsed_s, extras),) = rows(
        lgdb, "SELECT run_s, walk_s, run_bouts, walk_bouts, elapsed_s, extras FROM activities"
    )
    assert run_s > 0
    assert walk_s > 0
    assert run_bouts >= 1
    assert walk_bouts >= 1
    assert run_s + walk_s <= elapsed_s
    assert "jog_mps" in json.loads(extras)  # told from cadence, not speed
