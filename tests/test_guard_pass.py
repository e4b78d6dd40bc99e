"""One guard pass over everyone (`loadguard guard --all`, the daemon's hourly guard): each
athlete gets what their own check says; a run is kept only where something changed; an
alert goes out once; the columnar copy of the runs is read from SQL only where the data
changed since."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadguard import settings
from loadguard.app import guard_pass, jobs, passes, service
from loadguard.cli.main import with_plugins
from loadguard.contract import Athlete
from loadguard.store import export, frames, snapshot
from loadguard.store.db import Store
from receivers import Receiver, drop_fit, paved_run, receiver

PLAN_START = date(2026, 3, 2)
LATER = datetime.now(UTC).date() + timedelta(days=30)


@dataclass
class World:
    store: Store
    hook: Receiver
    tmp: Path

    def athlete(self, name: str) -> Athlete:
        return self.store.athlete(name)

    def run(self, name: str, days_ago: int) -> None:
        start = datetime.now(UTC).replace(microsecond=0, hour=7) - timedelta(days=days_ago)
        folder, staging = self.tmp / f"in-{name}-{days_ago}", self.tmp / "staging"
        path = drop_fit(paved_run(start, 25.0), folder, staging)
        service.import_from(self.store, self.athlete(name), str(path))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Anna (pain 8 today: red), Bo (a shoe at 815 km), Cai (ran yesterday), Eva (never
    ran); Anna's alerts go to a real receiver, and Cai's, the least too."""
    with receiver() as hook:
        conf = tmp_path / "settings.toml"
        conf.write_text(
            f'[alerts.anna]\nchannels = ["json://127.0.0.1:{hook.port}/a"]\n'
            f'[alerts.cai]\nchannels = ["json://127.0.0.1:{hook.port}/c"]\nmin_severity = "info"\n'
        )
        monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
        settings.current.cache_clear()
        with Store(tmp_path / "lg.sqlite") as store:
            for name in ("anna", "bo", "cai", "eva"):
                store.add_athlete(name, name.title(), "heel-fat-pad", PLAN_START, "UTC")
            w = World(store, hook, tmp_path)
            service.log_pain(store, w.athlete("anna"), 8, "after", service.today(w.athlete("anna")))
            store.add_shoe("bo", "Clifton", initial_km=815.0)
            w.run("bo", 2)
            w.run("cai", 1)
            yield w
        settings.current.cache_clear()


def own_checks(
    w: World, summary: guard_pass.PassSummary
) -> dict[str, tuple[str, set[tuple[str, str]]]]:
    found = {}
    for name, v in summary.verdicts.items():
        report = service.check(w.store, w.athlete(name), v.as_of)
        recent = {(f.rule, f.subject) for f in report.findings if f.date >= v.since}
        found[name] = (report.status, recent)
    return found


def of_pass(summary: guard_pass.PassSummary) -> dict[str, tuple[str, set[tuple[str, str]]]]:
    return {
        n: (v.status, {(f.rule, f.subject) for f in v.found}) for n, v in summary.verdicts.items()
    }


def test_a_pass_over_everyone_says_for_each_athlete_what_their_own_check_says(world: World) -> None:
    summary = guard_pass.guard_all(world.store, "test")
    assert of_pass(summary) == own_checks(world, summary)


def test_the_pass_tells_the_red_runner_from_the_green_ones(world: World) -> None:
    summary = guard_pass.guard_all(world.store, "test")
    assert {n: v.status for n, v in summary.verdicts.items()}["anna"] == "red"


def test_a_pass_over_many_reads_the_columnar_copy_and_finds_the_same(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_sql = of_pass(guard_pass.guard_all(world.store, "test"))
    monkeypatch.setattr(passes, "SNAPSHOT_FROM", 1)
    assert of_pass(guard_pass.guard_all(world.store, "test")) == from_sql


def test_a_second_pass_with_nothing_changed_keeps_no_new_guard_run(world: World) -> None:
    guard_pass.guard_all(world.store, "test")
    assert guard_pass.guard_all(world.store, "test").kept == 0


def test_a_pass_keeps_a_run_for_those_whose_findings_time_changed(world: World) -> None:
    guard_pass.guard_all(world.store, "test")
    later = guard_pass.guard_all(world.store, "test", as_of=LATER)
    assert later.kept == 4  # no runs in a month: every athlete is told so


def test_a_pass_right_after_a_runners_own_guard_run_keeps_none_for_them(world: World) -> None:
    guard_pass.guard_all(world.store, "test")
    cai = world.athlete("cai")
    service.log_pain(world.store, cai, 7, "after", service.today(cai))  # its own guard run
    assert guard_pass.guard_all(world.store, "test").kept == 0


def test_a_pass_makes_no_report_when_every_finding_was_alerted_already(world: World) -> None:
    assert guard_pass.guard_all(world.store, "test").reports == 0  # log_pain alerted them


def test_a_finding_that_only_time_brings_is_alerted_by_the_pass_once(world: World) -> None:
    first = guard_pass.guard_all(world.store, "test", as_of=LATER)  # Cai: no runs in a month
    second = guard_pass.guard_all(world.store, "test", as_of=LATER)
    assert (first.new_alerts, second.new_alerts) == (1, 0)


def test_the_alert_a_pass_queues_reaches_the_runners_channel(world: World) -> None:
    guard_pass.guard_all(world.store, "test", as_of=LATER)
    paths = [m["path"] for m in world.hook.wait_for(2)]  # Anna's pain alert, then Cai's
    assert paths.count("/c") == 1


def test_the_snapshot_reads_from_sql_only_the_athletes_whose_data_changed(world: World) -> None:
    ids = ["anna", "bo", "cai", "eva"]
    copy = snapshot.Snapshot(world.store)
    copy.activities(ids)
    first = copy.read_from_sql
    copy.activities(ids)
    unchanged = copy.read_from_sql  # Anna and Eva have no runs: nothing of theirs is kept
    world.run("cai", 3)
    copy.activities(ids)
    assert (first, unchanged, copy.read_from_sql) == (4, 2, 3)


def test_the_snapshot_gives_the_rows_sql_gives(world: World) -> None:
    ids = ["anna", "bo", "cai", "eva"]
    snapshot.Snapshot(world.store).activities(ids)  # written
    world.run("bo", 5)
    kept = snapshot.Snapshot(world.store).activities(ids).sort("athlete_id", "start_utc")
    assert kept.equals(frames.activities_frame(world.store, ids))


def test_changes_kept_in_the_delta_files_read_back_as_sql_gives_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "MERGE_AT", 0)  # never merged: every change in a delta
    ids = ["anna", "bo", "cai", "eva"]
    snapshot.Snapshot(world.store).activities(ids)
    world.run("bo", 5)
    snapshot.Snapshot(world.store).activities(ids)
    world.run("cai", 6)
    kept = snapshot.Snapshot(world.store).activities(ids).sort("athlete_id", "start_utc")
    assert kept.equals(frames.activities_frame(world.store, ids))


def test_an_athlete_made_again_under_the_same_id_is_not_read_from_the_old_copy(
    world: World,
) -> None:
    copy = snapshot.Snapshot(world.store)
    copy.activities(["cai"])
    export.erase(world.store, "cai", None, None)
    world.store.add_athlete("cai", "Cai", "heel-fat-pad", PLAN_START, "UTC")
    assert copy.activities(["cai"]).height == 0


def test_a_damaged_copy_is_read_again_from_sql(world: World) -> None:
    copy = snapshot.Snapshot(world.store)
    copy.activities(["bo"])
    for path in copy.folder.iterdir():
        path.write_bytes(b"not arrow")
    assert copy.activities(["bo"]).height == 1


def test_guard_all_on_the_command_line_says_how_many_are_red_in_danish(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "da_DK.UTF-8")
    db = world.store.target.path
    result = CliRunner().invoke(with_plugins(), ["--db", str(db), "guard", "--all"])
    assert "4 løbere tjekket pr. deres egen dag i dag: " in result.output


def test_guard_all_exits_with_the_worst_status(world: World) -> None:
    db = world.store.target.path
    result = CliRunner().invoke(with_plugins(), ["--db", str(db), "guard", "--all"])
    assert result.exit_code == 4


def test_guard_names_one_athlete_or_all_not_both(world: World) -> None:
    db = world.store.target.path
    args = ["--db", str(db), "guard", "--all", "--athlete", "bo"]
    result = CliRunner().invoke(with_plugins(), args)
    assert (result.exit_code, "--all" in result.output) == (1, True)


def test_the_daemons_hourly_guard_job_keeps_a_run_for_all_but_the_just_checked(
    world: World,
) -> None:
    jobs.guard(str(world.store.target.path))
    rows = world.store.conn.execute(
        "SELECT athlete_id FROM guard_runs WHERE trigger = 'scheduled' ORDER BY athlete_id"
    ).fetchall()
    assert [r[0] for r in rows] == ["bo", "cai", "eva"]  # Anna's pain kept hers just now


def test_the_guards_shoe_frame_says_what_the_stored_shoes_say(world: World) -> None:
    store = world.store
    store.add_shoe("cai", "Flat", minimalist=True, drop_mm=0.0, default_from=PLAN_START)
    store.add_shoe("cai", "Plain")  # no profile, no default day
    store.retire_shoe("cai", "Flat", PLAN_START + timedelta(days=30))
    ids = ["anna", "bo", "cai"]
    records = [tuple(vars(s).values()) for s in store.shoes_of(ids)]
    assert frames.shoes_frame(store, ids).rows() == records
    assert len(records) == 3
