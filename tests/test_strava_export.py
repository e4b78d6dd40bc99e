"""Strava's bulk export (``export_12345.zip``) through `loadguard import`: each run with
the title, description, shoe and sport Strava's index gives it; a missing file named
with its line; and the same runs coming again through the API (the stand-in) counted
once, whichever of the two arrives first, however the distances differ."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from loadguard.cli.main import with_plugins
from loadguard.contract import EXTERNAL_ID
from loadguard.store import activities as stored
from loadguard.store import frames
from loadguard.store.db import Store
from loadguard.store.frames import pain_frame
from stravaexport import (
    FIT_RUN,
    GPX_RUN,
    RIDE_GPX,
    TCX_RUN,
    Row,
    from_file,
    read,
    write_export,
)
from stravaworld import STRAVA_ATHLETE, World, standin_world

RUN_IDS = (4112345601, 4112345602, 4112345603)  # the FIT, GPX and TCX runs
MANUAL, MISSING, RIDE = 4112345604, 4112345605, 4112345606
HOKA = "Hoka Clifton 9"
AS_OF = "2018-06-01"


def export_rows(run_ids: Sequence[int] = RUN_IDS) -> list[Row]:
    """The athlete's export, oldest first: three runs from three kinds of file, a run
    entered by hand, a run whose file the zip lacks, and a ride (its gear is a bike)."""
    fit, gpx, tcx = run_ids
    return [
        from_file(fit, FIT_RUN, "Run", "Fælledløb på Åboulevarden", gear=HOKA),
        from_file(gpx, GPX_RUN, "Run", "Forest loop", "Soft and hilly #gravel", gear=HOKA),
        from_file(tcx, TCX_RUN, "Run", "Long run by the lakes", "Easy.\nHeel pain 3/10 after"),
        manual_or_lost(MANUAL, "Treadmill", at(2018, 2, 1, 17), filename=""),
        manual_or_lost(MISSING, "Lost file", at(2018, 3, 1, 7), f"activities/{MISSING}.fit.gz"),
        from_file(RIDE, RIDE_GPX, "Ride", "Commute home", gear="Canyon Grail"),
    ]


# activities.csv: the header on line 1, the TCX run's description spans lines 4 and 5,
# so the row of the missing file starts on line 7.
MISSING_LINE = 7


def at(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def manual_or_lost(strava_id: int, name: str, start: datetime, filename: str) -> Row:
    """A run of 8 km with no file in the zip: entered by hand (no Filename), or lost."""
    return Row(strava_id, "Run", name, "", HOKA, start, 8000.0, 2700.0, 2800.0, filename)


def lg(db: str | Path, *args: str, columns: int = 200) -> tuple[int, str]:
    """``loadguard --db DB ARGS...`` as the installed command runs it (with plugins)."""
    result = CliRunner().invoke(
        with_plugins(), ["--db", str(db), *args], env={"COLUMNS": str(columns)}
    )
    return result.exit_code, result.output


def flat(text: str) -> str:
    """The output as one line: a narrow terminal breaks lines after a space and folds a
    word longer than a line (a path) anywhere."""
    return text.replace("\n", "")


def report(db: str | Path, as_of: str = AS_OF) -> dict[str, Any]:
    code, out = lg(db, "check", "--as-of", as_of, "--json")
    assert code in (0, 3, 4), out
    found: dict[str, Any] = json.loads(out)
    return found


def weekly_km(db: str | Path, as_of: str = AS_OF) -> dict[str, float]:
    """Run km per calendar week, as the check report counts them."""
    return {w["week_start"]: w["run_km"] for w in report(db, as_of)["calendar_weeks"]}


def counted(store: Store) -> dict[str, dict[str, Any]]:
    """Each counted activity by its name."""
    return {r["name"]: r for r in frames.activities_frame(store, ["anna"]).iter_rows(named=True)}


@dataclass(frozen=True)
class Copy:
    id: int
    distance_m: float
    duplicate_of: int | None


def copies(store: Store, strava_id: int) -> dict[str, Copy]:
    """The stored copies of one Strava activity: "api" and "export"."""
    rows = store.conn.execute(
        "SELECT id, source, extras, distance_m, duplicate_of FROM activities"
    ).fetchall()
    return {
        "api" if source == "strava" else "export": Copy(row_id, distance_m, duplicate_of)
        for row_id, source, extras, distance_m, duplicate_of in rows
        if json.loads(extras).get(EXTERNAL_ID) == f"strava:{strava_id}"
    }


@dataclass(frozen=True)
class Imported:
    db: Path
    store: Store
    export: Path
    code: int
    out: str  # as printed at 80 columns


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Imported]:
    """The export imported once, as a runner in a narrow terminal would."""
    db = tmp_path / "lg.sqlite"
    code, out = lg(db, "athlete", "add", "anna", "--start", "2017-10-02", "--tz", "Europe/Oslo")
    assert code == 0, out
    export = write_export(tmp_path, export_rows())
    code, out = lg(db, "import", str(export), columns=80)
    store = Store(db)
    yield Imported(db, store, export, code, out)
    store.close()


def test_the_export_is_recognised_and_its_runs_and_ride_are_stored(imported: Imported) -> None:
    assert "6 items: 5 new (5 activities, 4 runs," in flat(imported.out)


def test_the_members_an_export_holds_besides_activities_are_left_alone(
    imported: Imported,
) -> None:
    assert "profile.csv" not in flat(imported.out)
    assert "media/" not in flat(imported.out)


def test_the_runs_have_the_titles_and_descriptions_of_the_index_not_of_their_files(
    imported: Imported,
) -> None:
    runs = counted(imported.store)
    assert read(GPX_RUN).name == "Corenc Running"  # what the file itself says
    assert {name: runs[name]["description"] for name in runs} == {
        "Fælledløb på Åboulevarden": "",
        "Forest loop": "Soft and hilly #gravel",
        "Long run by the lakes": "Easy.\nHeel pain 3/10 after",
        "Treadmill": "",
        "Commute home": "",
    }


def test_the_ride_is_a_ride_and_not_counted_as_a_run(imported: Imported) -> None:
    assert read(RIDE_GPX).sport == "running"  # the file alone would say so
    assert counted(imported.store)["Commute home"]["sport"] == "cycling"
    assert len(report(imported.db)["runs"]) == 4  # the three files and the treadmill


def test_a_gravel_tag_gives_that_run_gravel_as_its_surface(imported: Imported) -> None:
    names = {r["activity_id"]: name for name, r in counted(imported.store).items()}
    surfaces = {names[r["id"]]: r["surface_km"] for r in report(imported.db)["runs"]}
    assert surfaces == {
        "Fælledløb på Åboulevarden": {"unknown": 9.01},
        "Forest loop": {"gravel": 4.4},
        "Long run by the lakes": {"unknown": 10.82},
        "Treadmill": {"unknown": 8.0},
    }


def test_a_pain_note_in_a_description_is_logged_after_that_run(imported: Imported) -> None:
    store = imported.store
    lakes = counted(store)["Long run by the lakes"]["activity_id"]
    pain = pain_frame(store, ["anna"]).select("day", "moment", "score", "activity_id")
    assert pain.rows() == [(date(2018, 1, 21), "after", 3, lakes)]


def test_the_named_shoe_is_created_and_counts_its_two_runs_and_the_bike_is_no_shoe(
    imported: Imported,
) -> None:
    shoes = {s["name"]: s["km"] for s in report(imported.db)["shoes"]}
    assert shoes == {HOKA: pytest.approx(9.01 + 4.40, abs=0.05)}
    code, out = lg(imported.db, "shoe", "list")
    assert code == 0
    assert HOKA in out


def test_a_file_the_zip_lacks_is_a_failure_naming_it_and_its_line(imported: Imported) -> None:
    assert imported.code == 1
    member = f"{imported.export}!activities/{MISSING}.fit.gz"
    assert f"failed {member}:" in flat(imported.out)
    assert f"activities.csv line {MISSING_LINE} names it, the zip lacks it" in flat(imported.out)
    assert [f.origin for f in imported.store.failures("anna")] == [member]


def test_a_run_entered_by_hand_counts_as_the_api_would_give_it(imported: Imported) -> None:
    treadmill = counted(imported.store)["Treadmill"]
    assert treadmill["source"] == "strava"  # stored as a sync would store it, by its id
    assert treadmill["sport"] == "running"
    assert treadmill["distance_m"] == pytest.approx(8000.0)
    assert imported.store.conn.execute(
        "SELECT key FROM raw_records WHERE source = 'strava'"
    ).fetchall() == [(str(MANUAL),)]


def test_importing_the_export_again_adds_nothing(imported: Imported) -> None:
    before = counted(imported.store)
    code, out = lg(imported.db, "import", str(imported.export))
    assert code == 1  # the missing file is still missing
    assert "0 new (0 activities, 0 runs, 0 already known from another source), 5 unchanged" in out
    assert counted(imported.store).keys() == before.keys()
    count = imported.store.conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0]
    assert count == 5


# The same runs through the Strava API, served by the stand-in.

# The API's distance differs from the file's by more than the 3 % the store allows two
# copies of a run found by start and distance alone: the Strava id tells them apart.
API_SCALE = (1.10, 0.90, 1.05)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with standin_world(tmp_path, monkeypatch) as w:
        yield w


def served(world: World, folder: Path) -> tuple[list[int], Path]:
    """The three runs on Strava (each started as its file, its distance scaled), and the
    export with Strava's ids for them."""
    ids = []
    for path, scale in zip((FIT_RUN, GPX_RUN, TCX_RUN), API_SCALE, strict=True):
        own = read(path)
        ids.append(
            world.standin.add_activity(
                STRAVA_ATHLETE,
                start=own.start_utc,
                distance_m=own.distance_m * scale,
                moving_s=round(own.timer_s),
                with_gps=False,
            )
        )
    return ids, write_export(folder, export_rows(ids))


def sync(world: World) -> str:
    world.connect()
    code, out = lg(world.db, "strava", "sync")
    assert code == 0, out
    return out


FILE_WEEKS = {"2015-08-10": 9.01, "2017-10-02": 4.4, "2018-01-15": 10.82, "2018-01-29": 8.0}


def test_the_api_after_the_export_stores_each_run_as_a_duplicate_of_the_exports(
    world: World, tmp_path: Path
) -> None:
    ids, export = served(world, tmp_path)
    assert lg(world.db, "import", str(export))[0] == 1  # the missing file
    assert weekly_km(world.db) == FILE_WEEKS
    assert "3 new" in sync(world)
    for strava_id in ids:
        found = copies(world.store, strava_id)
        assert found["export"].duplicate_of is None
        assert found["api"].duplicate_of == found["export"].id
    assert weekly_km(world.db) == FILE_WEEKS


def test_the_api_copy_is_matched_by_its_id_however_far_its_distance_is_from_the_files(
    world: World, tmp_path: Path
) -> None:
    ids, export = served(world, tmp_path)
    lg(world.db, "import", str(export))
    sync(world)
    for strava_id in ids:
        found = copies(world.store, strava_id)
        apart = abs(found["api"].distance_m / found["export"].distance_m - 1.0)
        assert apart > stored.DUPLICATE_DISTANCE  # too far apart to match by distance
        assert found["api"].duplicate_of == found["export"].id


def test_the_export_after_the_api_counts_each_run_once(world: World, tmp_path: Path) -> None:
    ids, export = served(world, tmp_path)
    sync(world)
    api_weeks = weekly_km(world.db)
    code, out = lg(world.db, "import", str(export))
    assert code == 1  # the missing file
    assert "3 already known from another source" in out
    for strava_id in ids:
        found = copies(world.store, strava_id)
        assert found["api"].duplicate_of is None
        assert found["export"].duplicate_of == found["api"].id
    assert weekly_km(world.db) == {**api_weeks, "2018-01-29": 8.0}  # + the treadmill run
    assert all(w["runs"] == 1 for w in report(world.db)["calendar_weeks"])


# Zips that are not (quite) Strava's export.


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    db = tmp_path / "lg.sqlite"
    assert lg(db, "athlete", "add", "anna", "--start", "2017-10-02")[0] == 0
    return db


def test_an_activities_csv_without_stravas_columns_is_a_clear_failure(
    db: Path, tmp_path: Path
) -> None:
    (gpx,) = (r for r in export_rows() if r.id == RUN_IDS[1])
    assert gpx.payload is not None
    own = zip_of(
        tmp_path / "my_runs.zip",
        {"activities.csv": b"date,km\n2017-10-08,4.4\n", gpx.filename: gpx.payload},
    )
    code, out = lg(db, "import", str(own))
    assert code == 1
    assert f"{own}!activities.csv: not Strava's activity index" in flat(out)
    assert "'Activity ID'" in out


def test_a_zip_without_an_activities_csv_is_read_as_a_plain_zip_of_files(
    db: Path, tmp_path: Path
) -> None:
    rows = [r for r in export_rows() if r.id in RUN_IDS[:2]]
    plain = zip_of(tmp_path / "runs.zip", {r.filename: r.payload or b"" for r in rows})
    code, out = lg(db, "import", str(plain))
    assert code == 0, out
    assert "2 runs" in out
    with Store(db) as store:
        runs = counted(store)
    assert sorted(runs) == ["", "Corenc Running"]  # the files' own names (the FIT has none)
    assert all(r["gear_id"] is None for r in runs.values())


def test_a_shoe_the_export_named_becomes_stravas_shoe_at_the_first_sync_not_a_second_one(
    world: World, tmp_path: Path
) -> None:
    gear_id = f"g{STRAVA_ATHLETE}01"  # the stand-in's primary shoe, "Daily trainer"
    ids = [
        world.standin.add_activity(
            STRAVA_ATHLETE,
            start=read(path).start_utc,
            distance_m=read(path).distance_m,
            moving_s=round(read(path).timer_s),
            gear_id=gear_id,
            with_gps=False,
        )
        for path in (FIT_RUN, GPX_RUN)
    ]
    rows = [replace(r, gear="Daily trainer") for r in export_rows([*ids, 4112345603])]
    export = write_export(tmp_path, rows)
    lg(world.db, "import", str(export))
    sync(world)
    shoes = {s.name: s for s in world.store.shoes("anna")}
    assert "Daily trainer (2)" not in shoes
    assert shoes["Daily trainer"].gear_id == gear_id
    km = {s["name"]: s["km"] for s in report(world.db)["shoes"]}
    total = 412.3 + sum(read(p).distance_m for p in (FIT_RUN, GPX_RUN)) / 1000  # base + runs
    assert km["Daily trainer"] == pytest.approx(total, abs=0.1)  # Strava's total, once


def test_a_hand_entered_row_with_an_unreadable_date_is_a_failure_naming_its_line(
    db: Path, tmp_path: Path
) -> None:
    good = write_export(tmp_path, export_rows())
    with zipfile.ZipFile(good) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["activities.csv"] = members["activities.csv"].replace(
        b'"Feb 1, 2018, 5:00:00 PM"', b"yesterday"
    )
    code, out = lg(db, "import", str(zip_of(tmp_path / "export_2.zip", members)))
    assert code == 1
    assert "activities.csv line 6: Activity Date 'yesterday' is not a date like" in flat(out)
    with Store(db) as store:
        assert "Forest loop" in counted(store)  # the other rows go on
