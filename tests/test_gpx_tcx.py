"""The GPX and TCX connector on the 20 shared real files, each checked against the file's
own figures read independently: TCX laps with the standard library's ElementTree, GPX
tracks with gpxpy (the reference, as fitparse is for FIT)."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.metadata import entry_points

import gpxpy
import gpxpy.gpx
import numpy as np
import pytest

from builders import column
from fitdata import DATA as FIT_DATA
from loadguard.contract import Activity, Connector, RawRecord
from loadguard_gpx_tcx import GpxConnector, TcxConnector, gpx

SHARED = FIT_DATA.parent / "gpx-tcx" / "sports-lib"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared GPX/TCX data not in {SHARED}")

TCX_NS = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
GPXDATA = 'xmlns:gpxdata="http://www.cluetrust.com/XML/GPXDATA/1/0"'
UNDECLARED_PREFIX = ("fixtures-runs-gpx-6037744996.gpx", "fixtures-runs-gpx-6048438275.gpx")

# Every shared file: (name, sport, activities, km, timer minutes). km and minutes are
# regression figures, to 0.1 (TENTH: a figure like 25.75 may be written either way). Files without a <type> (MyTrails, Movescount, Sports
# Tracker, Strava's sample) are runs by their pace; MyTrails' 40.8 km is a mountain day.
EXPECTED = [
    ("fixtures-runs-gpx-1681613317.gpx", "running", 1, 4.6, 32.6),
    ("fixtures-runs-gpx-2067489619.gpx", "running", 1, 4.4, 47.0),
    ("fixtures-runs-gpx-6037744996.gpx", "running", 1, 5.1, 67.3),
    ("fixtures-runs-gpx-6048438275.gpx", "running", 1, 16.7, 82.8),
    ("fixtures-runs-gpx-6782987395.gpx", "running", 1, 14.2, 83.2),
    ("fixtures-runs-gpx-6909258631.gpx", "running", 1, 40.8, 331.0),
    ("fixtures-runs-tcx-1604524853.tcx", "running", 1, 6.1, 67.8),
    ("fixtures-runs-tcx-6281425038.tcx", "running", 1, 4.2, 25.8),
    ("fixtures-runs-tcx-6782987395.tcx", "running", 1, 14.0, 83.2),
    ("fixtures-runs-tcx-6860622783.tcx", "running", 1, 10.6, 51.6),
    ("fixtures-runs-tcx-6860622916.tcx", "running", 1, 14.0, 62.3),
    ("samples-gpx-amazfit.gpx", "running", 1, 8.7, 42.2),
    ("samples-gpx-garmin.gpx", "running", 1, 3.9, 22.9),
    ("samples-gpx-movescount.gpx", "running", 1, 12.3, 80.8),
    ("samples-gpx-sports-tracker.gpx", "running", 1, 12.3, 109.7),
    ("samples-gpx-strava.gpx", "running", 1, 21.1, 121.8),
    ("samples-tcx-garmin.tcx", "running", 1, 11.1, 86.2),
    ("samples-tcx-movescount.tcx", "running", 1, 2.0, 10.4),
    ("samples-tcx-polar.tcx", "running", 1, 10.8, 105.2),
    ("samples-tcx-unknown_example.tcx", "running", 1, 5.7, 31.9),
]
TENTH = 0.06
GPX_FILES = [row[0] for row in EXPECTED if row[0].endswith(".gpx")]
TCX_FILES = [row[0] for row in EXPECTED if row[0].endswith(".tcx")]


@cache
def activities(name: str) -> list[Activity]:
    connector = GpxConnector() if name.endswith(".gpx") else TcxConnector()
    (raw,) = connector.fetch(str(SHARED / name))
    assert isinstance(raw, RawRecord)
    return connector.normalise(raw)


def only(name: str) -> Activity:
    (activity,) = activities(name)
    return activity


def sample_at(activity: Activity, moment: datetime) -> int:
    """The index of the stream sample recorded at ``moment``."""
    t = activity.start_utc.timestamp() + column(activity, "t")
    (index,) = np.flatnonzero(np.isclose(t, moment.timestamp(), rtol=0, atol=1e-3))
    return int(index)


@dataclass(frozen=True)
class Point:
    """One track point as the reference parser reads it."""

    time: datetime
    heart_rate: float | None
    cadence: float | None


# GPX, read by gpxpy


@cache
def gpx_reference(name: str) -> gpxpy.gpx.GPX:
    text = (SHARED / name).read_text(encoding="utf-8-sig")
    if name in UNDECLARED_PREFIX:  # gpxpy refuses the undeclared prefix: declare it
        text = text.replace("<gpx ", f"<gpx {GPXDATA} ", 1)
    return gpxpy.parse(text)


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def value(text: str | None) -> float:
    try:
        return float(text or "nan")
    except ValueError:  # Strava writes <gpxx:Temperature>null</gpxx:Temperature>
        return math.nan


def gpx_points(name: str) -> list[Point]:
    out = []
    for point in gpx_reference(name).tracks[0].walk(only_points=True):
        leaves = (e for x in point.extensions for e in x.iter() if not len(e))
        found = {local(e.tag): value(e.text) for e in leaves}
        hr = found.get("hr", found.get("heartrate"))
        assert point.time is not None
        out.append(Point(point.time, hr, found.get("cad", found.get("cadence"))))
    return out


# TCX, read by ElementTree


@dataclass(frozen=True)
class TcxTotals:
    distance_m: float
    timer_s: float
    first_lap: datetime
    points: list[Point]


def tcx_reference(name: str) -> list[TcxTotals]:
    # Polar's export puts blank lines before <?xml, which ElementTree refuses
    root = ET.fromstring((SHARED / name).read_bytes().lstrip())
    out = []
    for activity in root.iter(f"{TCX_NS}Activity"):
        laps = activity.findall(f"{TCX_NS}Lap")
        points = []
        for tp in activity.iter(f"{TCX_NS}Trackpoint"):
            hr = tp.findtext(f"{TCX_NS}HeartRateBpm/{TCX_NS}Value")
            run = next((e.text for e in tp.iter() if local(e.tag) == "runcadence"), None)
            cad = run or tp.findtext(f"{TCX_NS}Cadence")
            when = datetime.fromisoformat(tp.findtext(f"{TCX_NS}Time") or "")
            points.append(Point(when, float(hr) if hr else None, float(cad) if cad else None))
        out.append(
            TcxTotals(
                distance_m=math.fsum(
                    float(lap.findtext(f"{TCX_NS}DistanceMeters") or 0) for lap in laps
                ),
                timer_s=math.fsum(
                    float(lap.findtext(f"{TCX_NS}TotalTimeSeconds") or 0) for lap in laps
                ),
                first_lap=datetime.fromisoformat(laps[0].get("StartTime") or ""),
                points=points,
            )
        )
    return out


def file_points(name: str) -> list[Point]:
    if name.endswith(".gpx"):
        return gpx_points(name)
    (reference,) = tcx_reference(name)
    return reference.points


# The contract


@pytest.mark.parametrize("kind", ["gpx", "tcx"])
def test_both_connectors_are_registered_under_their_file_kind(kind: str) -> None:
    (entry,) = (e for e in entry_points(group="loadguard.connectors") if e.name == kind)
    connector = entry.load()()
    assert isinstance(connector, Connector)
    assert connector.name == kind


def test_every_shared_file_has_an_expected_outcome() -> None:
    assert sorted(p.name for p in SHARED.iterdir()) == [row[0] for row in EXPECTED]


# Every shared file, against its own figures


@pytest.mark.parametrize(("name", "sport", "count", "km", "minutes"), EXPECTED)
def test_every_shared_file_gives_its_expected_runs(
    name: str, sport: str, count: int, km: float, minutes: float
) -> None:
    found = activities(name)
    assert [a.sport for a in found] == [sport] * count
    assert sum(a.distance_m for a in found) / 1000 == pytest.approx(km, abs=TENTH)
    assert sum(a.timer_s for a in found) / 60 == pytest.approx(minutes, abs=TENTH)
    assert all(a.start_utc.tzinfo is not None for a in found)


@pytest.mark.parametrize("name", TCX_FILES)
def test_every_shared_tcx_file_imports_with_its_laps_totals(name: str) -> None:
    for activity, laps in zip(activities(name), tcx_reference(name), strict=True):
        assert activity.distance_m == pytest.approx(laps.distance_m, abs=0.5)
        assert activity.timer_s == pytest.approx(laps.timer_s, abs=0.5)
        assert activity.start_utc == min(laps.first_lap, *(p.time for p in laps.points))
        assert activity.elapsed_s >= activity.timer_s


@pytest.mark.parametrize("name", GPX_FILES)
def test_every_shared_gpx_file_agrees_with_gpxpy(name: str) -> None:
    (track,) = gpx_reference(name).tracks
    run = only(name)
    assert run.distance_m == pytest.approx(track.length_2d(), rel=0.01)
    assert run.elapsed_s == track.get_duration()
    points = gpx_points(name)
    assert run.start_utc == points[0].time
    assert len(run.streams or ()) == len({p.time for p in points})
    assert np.all(np.diff(column(run, "t")) > 0)
    assert np.all(np.diff(column(run, "distance_m")) >= 0)


@pytest.mark.parametrize("name", [row[0] for row in EXPECTED])
def test_heart_rate_is_there_exactly_where_the_file_has_it(name: str) -> None:
    beats = [p.heart_rate for p in file_points(name) if p.heart_rate]
    run = only(name)
    if not beats:
        assert "avg_heart_rate" not in run.extras
        assert np.isnan(column(run, "heart_rate")).all()
        return
    assert abs(float(run.extras["avg_heart_rate"]) - float(np.mean(beats))) <= 1


NO_CADENCE = [
    "fixtures-runs-gpx-6909258631.gpx",
    "samples-gpx-amazfit.gpx",
    "samples-gpx-sports-tracker.gpx",
]
WITH_CADENCE = [row[0] for row in EXPECTED if row[0] not in NO_CADENCE]


@pytest.mark.parametrize("name", NO_CADENCE)
def test_a_file_without_cadence_gives_none(name: str) -> None:
    assert not any(p.cadence for p in file_points(name))
    assert np.isnan(column(only(name), "cadence_spm")).all()


@pytest.mark.parametrize("name", WITH_CADENCE)
def test_running_cadence_is_the_files_strides_doubled_to_steps(name: str) -> None:
    points = file_points(name)
    times = [p.time for p in points]
    # a point in the middle with a cadence, at a time no other point has
    point = next(p for p in points[len(points) // 2 :] if p.cadence and times.count(p.time) == 1)
    run = only(name)
    assert point.cadence is not None
    assert column(run, "cadence_spm")[sample_at(run, point.time)] == 2 * point.cadence
    cadence = column(run, "cadence_spm")
    assert 120 <= np.nanmedian(cadence[cadence > 0]) <= 190  # steps, not strides


# The files gpxpy cannot read, and the file whose times run backwards


@pytest.mark.parametrize("name", UNDECLARED_PREFIX)
def test_stravas_undeclared_gpxdata_prefix_is_read_past_where_gpxpy_refuses(name: str) -> None:
    with pytest.raises(gpxpy.gpx.GPXXMLSyntaxException):
        gpxpy.parse((SHARED / name).read_text(encoding="utf-8-sig"))
    run = only(name)
    assert run.name == gpx_reference(name).tracks[0].name
    assert np.isfinite(column(run, "cadence_spm")).all()


def test_sports_trackers_backward_sensor_times_do_not_lengthen_the_run() -> None:
    """Sports Tracker writes each fix, then the sensor samples since the last one at the
    fix's position with their own earlier times; the same run as the Suunto watch
    recorded it (Movescount) is the length to match."""
    times = [p.time for p in gpx_points("samples-gpx-sports-tracker.gpx")]
    assert sum(b < a for a, b in itertools.pairwise(times)) > 1000
    phone, watch = only("samples-gpx-sports-tracker.gpx"), only("samples-gpx-movescount.gpx")
    assert abs(phone.start_utc - watch.start_utc) < timedelta(seconds=10)
    assert phone.distance_m == pytest.approx(watch.distance_m, rel=0.01)


def gpx_track(points: list[tuple[float, int]]) -> bytes:
    """A GPX track due north along 25° E, (latitude, seconds after 07:00) per point."""
    start = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    pts = "".join(
        f'<trkpt lat="{lat}" lon="25.0"><time>{(start + timedelta(seconds=s)).isoformat()}'
        "</time></trkpt>"
        for lat, s in points
    )
    return (
        '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><type>running</type><trkseg>{pts}</trkseg></trk></gpx>"
    ).encode()


def test_a_point_out_of_time_order_does_not_send_the_path_back_and_forth() -> None:
    step = 2 * 6_371_008.8 * math.asin(math.sin(math.radians(0.001) / 2))  # 0.001° north
    # fixes at 0 s, 10 s and 20 s; then a sensor sample at the last fix, timed 9 s
    (run,) = gpx.activities(gpx_track([(60.0, 0), (60.001, 10), (60.002, 20), (60.002, 9)]), "s")
    assert run.distance_m == pytest.approx(2 * step)
    assert np.all(np.diff(column(run, "distance_m")) >= 0)
    assert column(run, "t").tolist() == [0, 9, 10, 20]


def test_a_second_track_with_times_is_a_second_activity() -> None:
    one = gpx_track([(60.0, 0), (60.001, 10)]).decode()
    two = one.replace("</trk>", "</trk><trk><trkseg><trkpt lat='61' lon='25'/></trkseg></trk>")
    both = one.replace("</trk>", "</trk>" + one[one.index("<trk>") : one.index("</gpx>")])
    assert len(gpx.activities(two.encode(), "s")) == 1  # a track without times is not one
    assert [a.source_id for a in gpx.activities(both.encode(), "s")] == ["s:0", "s:1"]


def tcx_activity(sport: str, start: str, seconds: int, metres: float) -> str:
    """One <Activity> with one lap and two track points, as Garmin writes it."""
    begin = datetime.fromisoformat(start)
    end = (begin + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    points = "".join(
        f"<Trackpoint><Time>{t}</Time><DistanceMeters>{d}</DistanceMeters></Trackpoint>"
        for t, d in ((start, 0.0), (end, metres))
    )
    return (
        f'<Activity Sport="{sport}"><Id>{start}</Id><Lap StartTime="{start}">'
        f"<TotalTimeSeconds>{seconds}</TotalTimeSeconds><DistanceMeters>{metres}</DistanceMeters>"
        f"<Track>{points}</Track></Lap></Activity>"
    )


def test_several_activities_in_one_tcx_are_each_an_activity_with_its_sport() -> None:
    head = '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
    body = tcx_activity("Running", "2024-05-01T06:00:00Z", 1800, 5000.0) + tcx_activity(
        "Biking", "2024-05-01T17:00:00Z", 3600, 25000.0
    )
    raw = TcxConnector().record(f"{head}{body}</Activities></TrainingCenterDatabase>".encode(), "x")
    run, ride = TcxConnector().normalise(raw)
    assert (run.sport, run.distance_m, run.timer_s) == ("running", 5000.0, 1800.0)
    assert (ride.sport, ride.distance_m, ride.timer_s) == ("cycling", 25000.0, 3600.0)
    assert ride.start_utc == datetime(2024, 5, 1, 17, tzinfo=UTC)


def test_a_gpx_type_in_stravas_numbers_or_words_names_the_sport() -> None:
    track = gpx_track([(60.0, 0), (60.01, 600)]).decode()
    for kind, sport in (("1", "cycling"), ("9", "running"), ("walking", "walking")):
        typed = track.replace("<trk>", f"<trk><type>{kind}</type>", 1)
        (activity,) = gpx.activities(typed.encode(), "s")
        assert activity.sport == sport, kind
        assert "sport_from" not in activity.extras
