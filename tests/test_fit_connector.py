"""The FIT connector: finding files (folders, zips) and normalising them into activities."""

from __future__ import annotations

import hashlib
import io
import sys
import types
import zipfile
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest

from builders import column
from fitdata import DATA, path_of
from loadguard.contract import (
    Activity,
    Connector,
    ConnectorError,
    FetchFailure,
    RawRecord,
    SampleWriter,
)
from loadguard_fit import FitConnector, decoder, reference
from loadguard_fit import profile as p

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared FIT data not in {DATA}")

RUN = "garmin-fenix-5-run.fit"
WALK = "garmin-fenix-5-walk.fit"


def fetch_all(target: Path | str) -> list[RawRecord | FetchFailure]:
    return list(FitConnector().fetch(str(target)))


def activities(name: str) -> list[Activity]:
    connector = FitConnector()
    (raw,) = connector.fetch(str(path_of(name)))
    assert isinstance(raw, RawRecord)
    return connector.normalise(raw)


def only(name: str) -> Activity:
    (activity,) = activities(name)
    return activity


# The contract


def test_the_connector_is_registered_and_satisfies_the_contract() -> None:
    (entry,) = (e for e in entry_points(group="loadguard.connectors") if e.name == "fit")
    connector = entry.load()()
    assert isinstance(connector, Connector)
    assert isinstance(connector, SampleWriter)
    assert connector.name == "fit"


def test_write_samples_delegates_to_the_writer_module(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[list[Activity], Path]] = []

    def write_samples(acts: list[Activity], folder: Path) -> list[Path]:
        calls.append((acts, folder))
        return [folder / "x.fit"]

    fake = types.ModuleType("loadguard_fit.writer")
    fake.write_samples = write_samples  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "loadguard_fit.writer", fake)
    assert FitConnector().write_samples([], tmp_path) == [tmp_path / "x.fit"]
    assert calls == [([], tmp_path)]


# Fetching


def test_a_single_file_is_fetched_as_one_record_keyed_by_its_sha256() -> None:
    (raw,) = fetch_all(path_of(RUN))
    assert isinstance(raw, RawRecord)
    payload = path_of(RUN).read_bytes()
    assert raw.payload == payload
    assert raw.key == hashlib.sha256(payload).hexdigest()
    assert raw.media_type == "application/vnd.ant.fit"
    assert raw.origin == str(path_of(RUN))
    assert raw.source == "fit"


def test_a_missing_target_yields_one_failure_saying_so(tmp_path: Path) -> None:
    missing = tmp_path / "no-watch-here"
    (failure,) = fetch_all(missing)
    assert isinstance(failure, FetchFailure)
    assert failure.origin == str(missing)
    assert "no such file or folder" in failure.reason


def test_folders_are_walked_recursively_in_sorted_order_ignoring_other_files(
    tmp_path: Path,
) -> None:
    activity = tmp_path / "GARMIN" / "Activity"
    (activity / "2017").mkdir(parents=True)
    (activity / "b.fit").write_bytes(path_of(RUN).read_bytes())
    (activity / "2017" / "a.FIT").write_bytes(path_of(WALK).read_bytes())
    (activity / "notes.txt").write_text("not a fit file")
    (activity / "export.zip").write_bytes(b"zips inside folders are not opened")
    found = fetch_all(tmp_path)
    assert [r.origin for r in found] == [
        str(activity / "2017" / "a.FIT"),
        str(activity / "b.fit"),
    ]
    assert all(isinstance(r, RawRecord) for r in found)


def zip_bytes(members: dict[str, bytes], stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def test_a_garmin_export_zip_is_read_including_nested_zips(tmp_path: Path) -> None:
    run, walk = path_of(RUN).read_bytes(), path_of(WALK).read_bytes()
    nested = zip_bytes({"inner/walk.FIT": walk, "inner/readme.md": b"# hi"})
    export = tmp_path / "export.zip"
    export.write_bytes(
        zip_bytes({"DI_CONNECT/run.fit": run, "junk/summary.json": b"{}", "uploads.zip": nested})
    )
    found = fetch_all(export)
    assert [r.origin for r in found] == [
        f"{export}!DI_CONNECT/run.fit",
        f"{export}!uploads.zip!inner/walk.FIT",
    ]
    assert [r.payload for r in found if isinstance(r, RawRecord)] == [run, walk]


def test_a_damaged_zip_member_fails_alone_and_the_batch_goes_on(tmp_path: Path) -> None:
    run = path_of(RUN).read_bytes()
    archive = bytearray(zip_bytes({"a.fit": run, "b.fit": run[::-1]}, stored=True))
    start = archive.index(run[::-1][:64])
    archive[start + 100] ^= 0xFF  # b.fit's bytes no longer match its CRC-32
    export = tmp_path / "export.zip"
    export.write_bytes(bytes(archive))
    good, bad = fetch_all(export)
    assert isinstance(good, RawRecord)
    assert isinstance(bad, FetchFailure)
    assert bad.origin == f"{export}!b.fit"
    assert "b.fit" in bad.reason


def test_a_file_that_is_not_a_zip_yields_a_failure_naming_it(tmp_path: Path) -> None:
    fake = tmp_path / "export.zip"
    fake.write_bytes(b"this is not a zip archive at all")
    (failure,) = fetch_all(fake)
    assert isinstance(failure, FetchFailure)
    assert str(fake) in failure.reason
    assert "not a readable zip" in failure.reason


def test_a_batch_with_bad_items_goes_on_and_each_gets_a_clear_outcome(tmp_path: Path) -> None:
    (tmp_path / "1-good.fit").write_bytes(path_of(RUN).read_bytes())
    (tmp_path / "2-empty.fit").write_bytes(b"")
    (tmp_path / "3-notes.fit").write_text("my notes")
    (tmp_path / "4-gone.fit").symlink_to(tmp_path / "deleted.fit")
    connector = FitConnector()
    outcomes: list[str] = []
    for item in connector.fetch(str(tmp_path)):
        if isinstance(item, FetchFailure):
            outcomes.append(f"fetch failed: {item.reason}")
            continue
        try:
            outcomes.append(f"{len(connector.normalise(item))} activity")
        except ConnectorError as err:
            outcomes.append(f"rejected: {err}")
    assert outcomes[0] == "1 activity"
    assert outcomes[1] == "rejected: empty file (0 bytes)"
    assert outcomes[2].startswith("rejected: not a FIT file")
    assert outcomes[3].startswith(f"fetch failed: cannot read {tmp_path / '4-gone.fit'}")


# Normalising


def test_a_run_becomes_one_activity_with_session_totals_and_aware_utc_start() -> None:
    run = only("activity-small-fenix2-run.fit")
    assert (run.sport, run.sub_sport) == ("running", "generic")
    assert run.start_utc == datetime(2015, 8, 15, 14, 45, 8, tzinfo=UTC)
    assert run.distance_m == pytest.approx(9008.22)
    assert run.timer_s == pytest.approx(2832.0)
    assert run.elapsed_s == pytest.approx(2832.0)
    assert run.source == "fit"
    sha = hashlib.sha256(path_of("activity-small-fenix2-run.fit").read_bytes()).hexdigest()
    assert run.source_id == f"{sha}:0"
    assert len(run.streams or ()) == 2809


def test_streams_are_seconds_from_start_and_positions_are_degrees_nan_without_fix() -> None:
    run = only("activity-small-fenix2-run.fit")
    raw = decoder.decode(path_of("activity-small-fenix2-run.fit").read_bytes()).table(p.RECORD)
    t = column(run, "t")
    assert t[0] == 0
    assert (np.diff(t) > 0).all()
    lat, lon = column(run, "lat"), column(run, "lon")
    assert np.array_equal(np.isnan(lat), np.isnan(raw.get(p.POSITION_LAT)))
    assert np.nanmin(lat) > -90
    assert np.nanmax(lat) < 90
    np.testing.assert_allclose(lon, raw.get(p.POSITION_LONG) * 180 / 2**31)
    assert column(run, "speed_mps").dtype == np.float32


@pytest.mark.parametrize("name", ["activity-small-fenix2-run.fit", RUN])
def test_running_cadence_is_doubled_from_strides_to_steps_per_minute(name: str) -> None:
    run = only(name)
    raw = decoder.decode(path_of(name).read_bytes()).table(p.RECORD)
    cadence, fraction = raw.get(p.CADENCE), np.nan_to_num(raw.get(p.FRACTIONAL_CADENCE))
    np.testing.assert_allclose(column(run, "cadence_spm"), 2 * (cadence + fraction), rtol=1e-6)
    assert 150 < np.nanmedian(column(run, "cadence_spm")) < 200


def test_the_fractional_part_counts_in_running_cadence() -> None:
    run = only(RUN)
    raw = decoder.decode(path_of(RUN).read_bytes()).table(p.RECORD)
    half = np.flatnonzero(raw.get(p.FRACTIONAL_CADENCE) == 0.5)
    assert len(half)
    np.testing.assert_allclose(column(run, "cadence_spm")[half], 2 * raw.get(p.CADENCE)[half] + 1)
    assert run.extras["avg_cadence_spm"] == pytest.approx(2 * (83 + 0.671875), abs=0.01)


def test_walking_cadence_is_doubled_too_because_garmin_stores_strides_for_walks() -> None:
    """A fenix 5 walk records 53-68 per minute: strides, i.e. 106-136 steps per minute."""
    walk = only(WALK)
    assert walk.sport == "walking"
    assert 100 < np.nanmedian(column(walk, "cadence_spm")) < 150


def test_cycling_cadence_is_kept_as_revolutions_per_minute() -> None:
    ride = only("Edge810-Vector-2013-08-16-15-35-10.fit")
    raw = decoder.decode(path_of("Edge810-Vector-2013-08-16-15-35-10.fit").read_bytes())
    np.testing.assert_array_equal(column(ride, "cadence_spm"), raw.table(p.RECORD).get(p.CADENCE))


def test_garmin_stamina_carries_rpe_and_feel_extras_a_utc_offset_and_a_named_device() -> None:
    run = only("garmin-stamina.fit")
    assert run.extras["workout_rpe"] == 40
    assert run.extras["workout_feel"] == 50
    assert run.utc_offset == timedelta(hours=8)
    assert run.device == "garmin fr965"


def test_a_negative_utc_offset_is_kept() -> None:
    assert only("mornindew-broken.fit").utc_offset == timedelta(hours=-6)


def test_without_an_activity_local_timestamp_the_utc_offset_is_none() -> None:
    run = only("developer-types-sample.fit")
    assert run.utc_offset is None
    assert run.device == "stryd"


def test_a_chained_triathlon_file_gives_swim_bike_and_run_with_their_own_records() -> None:
    legs = activities("sample_mulitple_header.fit")
    assert [a.sport for a in legs] == ["swimming", "transition", "cycling", "transition", "running"]
    assert legs[0].sub_sport == "open_water"
    assert [a.source_id[-2:] for a in legs] == [":0", ":1", ":2", ":3", ":4"]
    for leg in legs:
        t = column(leg, "t")
        assert len(t) > 0
        assert t.min() >= 0
        assert t.max() <= leg.elapsed_s


def test_multisport_records_are_split_by_session_time_windows() -> None:
    legs = activities("activity-large-fenxi2-multisport.fit")
    assert [a.sport for a in legs].count("running") == 2
    for leg in legs:
        t = column(leg, "t")
        assert t.min() >= 0
        assert t.max() <= leg.elapsed_s


def test_the_coros_file_with_a_misaligned_field_imports() -> None:
    ride = only("coros-pace-2-cycling-misaligned-fields.fit")
    assert ride.sport == "cycling"
    assert ride.device == "coros 802"
    assert len(ride.streams or ()) == 11272


def test_compressed_speed_distance_gives_a_run_with_distance() -> None:
    """FR70 times count from the device's power-on, so the start comes from the local
    clock of the activity message; the extras say so."""
    run = only("compressed-speed-distance.fit")
    assert run.sport == "running"
    assert run.distance_m == pytest.approx(10248.67)
    assert np.nanmax(column(run, "distance_m")) == pytest.approx(10248.6875)
    assert np.nanmax(column(run, "speed_mps")) > 3
    assert run.start_utc == datetime(2012, 2, 13, 11, 16, 16, tzinfo=UTC)
    assert run.extras["clock"] == "device_local"


@pytest.mark.parametrize(
    ("name", "file_type"),
    [
        ("Settings.fit", "settings"),
        ("WorkoutRepeatSteps.fit", "workout"),
        ("MonitoringFile.fit", "monitoring_b"),
        ("WeightScaleSingleUser.fit", "weight"),
    ],
)
def test_files_without_a_session_are_rejected_naming_their_fit_file_type(
    name: str, file_type: str
) -> None:
    with pytest.raises(ConnectorError, match=f"a FIT {file_type} file, not an activity"):
        activities(name)


def test_an_activity_with_records_but_no_session_is_rejected_as_cut_off() -> None:
    with pytest.raises(ConnectorError, match="3 records but no session message"):
        activities("DeveloperData.fit")


def test_a_damaged_file_is_rejected_without_trying_fitparse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(payload: bytes) -> None:
        raise AssertionError("fitparse must not be tried on a damaged file")

    monkeypatch.setattr(reference, "decode", fail)
    with pytest.raises(ConnectorError, match="file CRC mismatch"):
        activities("activity-filecrc.fit")


def test_a_fast_decoder_bug_falls_back_to_fitparse_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = only(RUN)

    def bug(payload: bytes) -> None:
        raise IndexError("a decoder bug")

    monkeypatch.setattr(decoder, "decode", bug)
    slow = only(RUN)
    assert (slow.sport, slow.start_utc, slow.utc_offset) == (
        fast.sport,
        fast.start_utc,
        fast.utc_offset,
    )
    assert (slow.distance_m, slow.timer_s, slow.extras) == (
        fast.distance_m,
        fast.timer_s,
        fast.extras,
    )
    for name in ("t", "lat", "lon", "distance_m", "speed_mps", "cadence_spm", "heart_rate"):
        np.testing.assert_allclose(column(slow, name), column(fast, name), equal_nan=True)
