"""Files a watch folder holds that are not activities (settings, monitoring, weight,
workouts) are skipped and counted, never failures; a damaged activity still is one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clirun import lg
from fitdata import path_of

NOT_ACTIVITIES = [
    "Settings.fit",
    "Settings2.fit",
    "MonitoringFile.fit",
    "WeightScaleSingleUser.fit",
    "WorkoutIndividualSteps.fit",
]
RUN = "activity-small-fenix2-run.fit"
DAMAGED = "activity-unexpected-eof.fit"


@pytest.fixture
def watch(tmp_path: Path) -> Path:
    folder = tmp_path / "watch"
    folder.mkdir()
    for name in [*NOT_ACTIVITIES, RUN]:
        shutil.copy(path_of(name), folder / name)
    return folder


def test_a_watch_folder_with_settings_and_workouts_imports_with_exit_0(
    tmp_path: Path, watch: Path
) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", "2015-08-10")
    code, out = lg(db, "import", str(watch))
    assert code == 0, out
    assert "6 items: 1 new (1 activities, 1 runs" in out
    assert "5 not activities, 0 failed" in out
    assert "--verbose lists them" in out
    assert "Fix or replace" not in out
    assert lg(db, "failures")[1].strip() == "no failures"


def test_verbose_lists_them_and_a_second_import_does_not_read_them_again(
    tmp_path: Path, watch: Path
) -> None:
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", "2015-08-10")
    code, out = lg(db, "import", str(watch), "--verbose")
    assert code == 0
    assert "not an activity" in out
    assert "Settings.fit: a FIT settings file, not an activity" in out
    code, again = lg(db, "import", str(watch))
    assert code == 0
    assert "6 unchanged, 0 not activities, 0 failed" in again
    code, rebuilt = lg(db, "rebuild")
    assert code == 0
    assert "0 files kept as they were" in rebuilt


def test_a_damaged_activity_file_is_still_a_failure(tmp_path: Path, watch: Path) -> None:
    shutil.copy(path_of(DAMAGED), watch / DAMAGED)
    db = tmp_path / "lg.sqlite"
    lg(db, "athlete", "add", "anna", "--start", "2015-08-10")
    code, out = lg(db, "import", str(watch))
    assert code == 1
    assert "5 not activities, 1 failed" in out
    assert f"failed {watch / DAMAGED}" in out
    assert "Fix or replace them" in out
