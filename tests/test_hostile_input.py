"""Hostile and careless input gets a clear refusal naming the thing and the reason, never
a traceback: archives built to exhaust (nested, packed past any real file, too many
members), plan and settings files out of bounds or inconsistent, odd GeoJSON, dates
outside the calendar, numbers past any sense, ids and names no one should have. And a
new store is private to its owner."""

from __future__ import annotations

import os
import stat
import tomllib
import zipfile
from pathlib import Path

import pytest

from clirun import lg
from fitdata import DATA
from loadguard import files
from loadguard.guard.plan import PlanError, load_plan_file
from loadguard.settings import SettingsError, load_settings
from zips import nested

PLAN = Path(__file__).resolve().parents[1] / "config" / "plans" / "heel-fat-pad.toml"
A_RUN = DATA / "python-fitparse" / "activity-small-fenix2-run.fit"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "lg.db"
    code, said = lg(path, "athlete", "add", "anna", "--start", "2026-09-07")
    assert code == 0, said
    return path


def test_a_zip_nested_four_deep_is_refused_whole_before_anything_is_read(
    db: Path, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(nested(4, 8, A_RUN.read_bytes()))
    code, said = lg(db, "import", str(bomb))
    assert code == 1
    assert "is refused" in said
    assert "zips nested more than 3 deep" in " ".join(said.split())
    assert "Traceback" not in said
    assert lg(db, "runs")[1].count("2015-08-15") == 0  # not one of its runs was stored


def test_a_member_packed_past_any_real_files_ratio_is_refused(db: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "export.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("run.fit", A_RUN.read_bytes())
        archive.writestr("big.fit", b"\0" * (64 * 2**20))  # 64 MB of zeros: about 64 KB packed
    code, said = lg(db, "import", str(bomb))
    assert code == 1
    assert "big.fit unpacks" in " ".join(said.split())
    assert "a zip bomb?" in " ".join(said.split())


def test_an_archive_of_more_files_than_any_export_is_refused(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_MEMBERS", 50)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(51):
            archive.writestr(f"{i}.fit", b"x")
    code, said = lg(db, "import", str(many))
    assert code == 1
    assert "it holds more than 50 files; unpack it and import the folder" in " ".join(said.split())


def test_a_real_nested_export_two_deep_is_still_read(db: Path, tmp_path: Path) -> None:
    export = tmp_path / "garmin.zip"
    export.write_bytes(nested(2, 2, A_RUN.read_bytes()))
    code, said = lg(db, "import", str(export))
    assert code == 0, said
    assert "4 items: 1 new" in said  # four copies of one run: one new, three unchanged


def test_a_binary_plan_file_is_refused_as_not_text(tmp_path: Path) -> None:
    path = tmp_path / "heel-fat-pad.toml"
    path.write_bytes(A_RUN.read_bytes())
    with pytest.raises(PlanError, match="is not UTF-8 text"):
        load_plan_file(path)


def test_the_shipped_plan_keeps_its_bounds(tmp_path: Path) -> None:
    plan = load_plan_file(PLAN)
    assert plan.weekly_cap.critical_over >= plan.weekly_cap.increase_max
    assert tomllib.loads(PLAN.read_text())["pain"]["green_max"] <= plan.pain.yellow_max


@pytest.mark.parametrize("value", ["1e308", "0", "-5"])
def test_a_scheduler_interval_past_a_day_or_not_positive_is_refused(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"[scheduler]\nretry_s = {value}\n")
    with pytest.raises(SettingsError, match=r"scheduler\.retry_s"):
        load_settings(path)


def test_a_binary_settings_file_is_refused_as_not_text(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(SettingsError, match="is not UTF-8 text"):
        load_settings(path)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("check", "--as-of", "0001-01-01"), "--as-of 0001-01-01 is outside 1990-2099"),
        (("alerts", "outbox", "--last", "99999999999999999999"), "Invalid value for '--last'"),
        (("runs", "--last", "0"), "Invalid value for '--last'"),
        (("athlete", "add", "", "--start", "2026-09-07"), "athlete id '' must be 1-64 letters"),
        (("athlete", "add", "x" * 100_000, "--start", "2026-09-07"), "(100000 characters)"),
        (("athlete", "add", "bo", "--start", "2026-09-07", "--tz", ""), "--tz is empty"),
        (("athlete", "add", "bo", "--start", "2026-09-07", "--name", "a\x00b"), "control"),
        (("athlete", "set", "anna", "--name", ""), "--name is empty"),
    ],
)
def test_an_argument_past_any_sense_gets_a_clear_error_and_no_traceback(
    db: Path, args: tuple[str, ...], said: str
) -> None:
    code, out = lg(db, *args)
    assert code in (1, 2)
    assert said in " ".join(out.split())
    assert "Traceback" not in out
    assert len(out) < 2000  # a huge id is cut in the message, not echoed whole


@pytest.mark.parametrize(
    ("geojson", "said"),
    [
        (
            '{"type":"Feature","properties":{"surface":"grass"},'
            '"geometry":{"type":"LineString","coordinates":[[12.5,55.6]]}}',
            "feature 1 has bad coordinates",
        ),
        ("[" * 50_000 + "]" * 50_000, "cannot read GeoJSON: nested too deeply"),
    ],
)
def test_odd_geojson_places_get_a_clear_error(
    db: Path, tmp_path: Path, geojson: str, said: str
) -> None:
    path = tmp_path / "park.geojson"
    path.write_text(geojson)
    code, out = lg(db, "places", "add", str(path))
    assert code == 1
    assert said in " ".join(out.split())


def test_a_new_store_is_private_and_an_exposed_one_is_named(tmp_path: Path) -> None:
    db = tmp_path / "new" / "deeper" / "lg.db"
    assert lg(db, "athlete", "add", "anna", "--start", "2026-09-07")[0] == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    os.chmod(db, 0o644)
    code, out = lg(db, "athlete", "list")
    assert code == 0
    assert "can be read by other users of this machine (mode 644)" in " ".join(out.split())


def test_a_run_with_a_stray_byte_appended_is_kept_and_the_byte_reported(
    db: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "run.fit"
    damaged.write_bytes(A_RUN.read_bytes() + b"\x07")
    code, said = lg(db, "import", str(damaged))
    assert code == 0, said
    flat = " ".join(said.split())
    assert "1 new (1 activities, 1 runs" in flat
    assert f"kept what was intact {damaged}: 1 byte from byte {A_RUN.stat().st_size}" in flat
    assert "too short for a FIT header" in flat


def test_a_chained_file_whose_second_part_is_damaged_keeps_the_first(
    db: Path, tmp_path: Path
) -> None:
    first = (DATA / "python-fitparse" / "garmin-fenix-5-run.fit").read_bytes()
    second = bytearray(A_RUN.read_bytes())
    second[200] ^= 0xFF  # a bit flip inside the second file: its CRC fails
    chained = tmp_path / "chained.fit"
    chained.write_bytes(first + bytes(second))
    code, said = lg(db, "import", str(chained))
    assert code == 0, said
    flat = " ".join(said.split())
    assert "1 new (1 activities, 1 runs" in flat
    assert f"dropped: file CRC mismatch of the chained file at byte {len(first)}" in flat


def test_a_file_damaged_in_its_only_part_still_fails_whole(db: Path, tmp_path: Path) -> None:
    broken = bytearray(A_RUN.read_bytes())
    broken[200] ^= 0xFF
    path = tmp_path / "broken.fit"
    path.write_bytes(bytes(broken))
    code, said = lg(db, "import", str(path))
    assert code == 1
    assert "file CRC mismatch" in " ".join(said.split())
