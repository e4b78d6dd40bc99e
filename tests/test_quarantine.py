"""Implausible values: an activity that passes its checksum but cannot be right (a date
before GPS watches or in the future, a week-long recording, 60 km/h on foot, a sport its
format does not know) is stored but held for review, listed by `failures`, kept out of
the guard until the runner accepts or deletes it, in English and Danish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clirun import lg
from loadguard.contract import Activity
from loadguard.sources.plausible import Held, implausible
from loadguard.store import frames
from loadguard.store.db import Store
from test_gpx_tcx_import import gpx_file

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def activity(**changed: object) -> Activity:
    values: dict[str, object] = {
        "source": "fit",
        "source_id": "x:0",
        "sport": "running",
        "sub_sport": "generic",
        "start_utc": datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
        "distance_m": 8000.0,
        "timer_s": 2700.0,
        "elapsed_s": 2800.0,
    }
    return Activity(**(values | changed))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changed", "why"),
    [
        ({"start_utc": datetime(1989, 12, 31, tzinfo=UTC)}, "before_devices"),
        ({"start_utc": NOW + timedelta(days=3)}, "future"),
        ({"sport": "sport_440"}, "unknown_sport"),
        ({"elapsed_s": 956_347_056.0}, "too_long"),
        ({"timer_s": float("nan")}, "bad_moving_time"),
        ({"distance_m": -5.0}, "bad_distance"),
        ({"distance_m": 45_000.0}, "too_fast"),  # 45 km in 45 minutes on foot
        ({"distance_m": 1_500_000.0, "timer_s": 500_000.0, "elapsed_s": 500_000.0}, "too_far"),
    ],
)
def test_each_impossible_value_is_named_as_the_reason_to_hold_the_activity(
    changed: dict[str, object], why: str
) -> None:
    held = implausible(activity(**changed), NOW)
    assert held is not None
    assert held.why == why
    assert Held.from_json(held.to_json()) == held


def test_real_runs_walks_rides_and_an_ultra_are_never_held() -> None:
    cases = [
        activity(),
        activity(sport="walking", distance_m=5000.0, timer_s=3600.0),
        activity(sport="cycling", distance_m=180_000.0, timer_s=18_000.0),  # 36 km/h
        activity(distance_m=246_000.0, timer_s=129_600.0, elapsed_s=129_600.0),  # 36 h race
        activity(start_utc=NOW + timedelta(hours=12)),  # a watch a few hours ahead
    ]
    assert [implausible(a, NOW) for a in cases] == [None] * 5


def gpx(day: datetime, km_per_point: float = 0.05) -> str:
    """A 40-point run starting at ``day``, points 10 s and ``km_per_point`` apart."""
    return gpx_file(
        "".join(
            f'<trkpt lat="{55.68 + i * km_per_point / 111.2:.6f}" lon="12.57">'
            f"<time>{(day + timedelta(seconds=10 * i)).isoformat().replace('+00:00', 'Z')}</time>"
            "</trkpt>"
            for i in range(40)
        )
    )


@pytest.fixture
def runner(tmp_path: Path) -> Path:
    db = tmp_path / "lg.sqlite"
    code, out = lg(db, "athlete", "add", "anna", "--start", "2026-11-02", "--tz", "UTC")
    assert code == 0, out
    return db


def counted(db: Path) -> int:
    with Store(db) as store:
        return len(frames.activities_frame(store, ["anna"]))


def test_a_run_dated_1995_is_held_listed_by_failures_and_counts_once_accepted(
    runner: Path, tmp_path: Path
) -> None:
    (tmp_path / "flipped.gpx").write_text(gpx(datetime(1995, 3, 1, 7, tzinfo=UTC)))
    (tmp_path / "good.gpx").write_text(gpx(datetime(2026, 11, 30, 7, tzinfo=UTC)))
    code, out = lg(runner, "import", str(tmp_path / "flipped.gpx"), str(tmp_path / "good.gpx"))
    assert code == 0, out
    assert "held for review" in out
    assert "before GPS sports watches existed" in out
    assert counted(runner) == 1
    assert "1 run is held for review" in lg(runner, "check", "--as-of", "2026-12-01")[1]
    code, listed = lg(runner, "failures")
    assert "1995-03-01" in listed
    assert "run accept" in listed
    held_id = next(w for w in listed.split() if w.isdigit())
    code, out = lg(runner, "run", "accept", held_id)
    assert code in (0, 3, 4), out
    assert counted(runner) == 2
    assert "before GPS" not in lg(runner, "failures")[1]
    assert "held for review" not in lg(runner, "check", "--as-of", "2026-12-01")[1]
    lg(runner, "rebuild")  # the acceptance is a correction: a rebuild keeps it
    assert counted(runner) == 2


def test_a_held_run_deleted_instead_stays_out_and_leaves_the_list(
    runner: Path, tmp_path: Path
) -> None:
    (tmp_path / "ahead.gpx").write_text(gpx(datetime(2031, 5, 1, 7, tzinfo=UTC)))
    lg(runner, "import", str(tmp_path / "ahead.gpx"))
    listed = lg(runner, "failures")[1]
    assert "in the future" in listed
    held_id = next(w for w in listed.split() if w.isdigit())
    lg(runner, "run", "delete", held_id)
    assert "in the future" not in lg(runner, "failures")[1]
    assert counted(runner) == 0
    code, out = lg(runner, "run", "accept", held_id)
    assert code != 0
    assert "not held for review" in out


def test_a_danish_runner_reads_why_in_danish_with_danish_numbers(
    runner: Path, tmp_path: Path
) -> None:
    assert lg(runner, "athlete", "set", "anna", "--language", "da")[0] == 0
    (tmp_path / "fast.gpx").write_text(gpx(datetime(2026, 11, 30, 7, tzinfo=UTC), 0.5))
    out = lg(runner, "import", str(tmp_path / "fast.gpx"))[1]
    assert "holdt tilbage til gennemsyn" in out
    assert "km/t" in out
    assert "gennemsnitsfart er 180 km/t" in out
