"""The plan out: `loadguard plan workouts` writes the next sessions as FIT workouts that two
independent decoders read back step for step as planned; a stage stepped back rewrites
them; the private calendar feed serves the same sessions, follows the stage and stops
when revoked; the Plan page offers both, in English and Danish."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import fitparse
import pytest
import requests
from garmin_fit_sdk import Decoder, Stream
from icalendar import Calendar

from browser import chromium, needs_chromium, shot, sign_in
from clirun import lg
from loadguard.app import workouts
from loadguard.store.db import Store
from webapp import Browser, add_runner, served, text_of

START = "2026-03-02"  # plan week 1 starts on a Monday
WEEK_3 = "2026-03-16"
WEEK_4 = "2026-03-23"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "lg.db"
    code, said = lg(path, "athlete", "add", "anna", "--start", START, "--tz", "Europe/Copenhagen")
    assert code == 0, said
    return path


def fitparse_steps(path: Path) -> list[dict[str, Any]]:
    fit = fitparse.FitFile(str(path), check_crc=True)
    return [m.get_values() for m in fit.get_messages("workout_step")]


def sdk_steps(path: Path) -> list[dict[str, Any]]:
    data = bytearray(path.read_bytes())
    assert Decoder(Stream.from_byte_array(data)).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(data)).read()
    assert errors == []
    steps: list[dict[str, Any]] = messages["workout_step_mesgs"]
    return steps


def expected_steps(run_s: int, walk_s: int, total_min: int) -> list[tuple[str, float]]:
    """The plan's session written out: 5 min warm-up walk, run/walk repeats, the rest
    walked (read from the plan's numbers, not from the planner)."""
    repeats = (total_min * 60 - 300) // (run_s + walk_s)
    rest = total_min * 60 - 300 - repeats * (run_s + walk_s)
    steps = [("warmup", 300.0), ("active", float(run_s)), ("rest", float(walk_s))]
    steps.append(("repeat", float(repeats)))
    return steps + ([("cooldown", float(rest))] if rest else [])


def summary(values: dict[str, Any]) -> tuple[str, float]:
    if values["duration_type"] == "repeat_until_steps_cmplt":
        return ("repeat", float(values["repeat_steps"]))
    return (str(values["intensity"]), float(values["duration_time"]))


def test_two_weeks_of_workouts_decode_step_by_step_as_the_plan_says(
    db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "GARMIN" / "NewFiles"
    code, said = lg(db, "plan", "workouts", "--weeks", "2", "--out", str(out), "--as-of", WEEK_3)
    assert code == 0, said
    files = sorted(out.glob("*.fit"))
    assert [f.name[:10] for f in files] == [
        "2026-03-16", "2026-03-18", "2026-03-20", "2026-03-23", "2026-03-25", "2026-03-27"
    ]  # fmt: skip
    assert "6 workouts written" in said
    assert "Run/walk 2:1, 20 min, gravel or trail" in said
    week_3, week_4 = expected_steps(120, 60, 20), expected_steps(120, 60, 25)
    for path in files:
        wanted = week_3 if path.name < "2026-03-23" else week_4
        assert [summary(s) for s in fitparse_steps(path)] == wanted, path.name
        sdk = sdk_steps(path)
        assert [s["duration_time"] for s in sdk if s["duration_type"] == "time"] == [
            seconds for kind, seconds in wanted if kind != "repeat"
        ]
        assert sdk[3]["duration_step"] == 1  # the repeat goes back to the first run
        names = [m.get_values() for m in fitparse.FitFile(str(path)).get_messages("workout")]
        assert names[0]["wkt_name"] == "Run/walk 2:1"
        assert names[0]["sport"] == "running"


def test_a_stage_stepped_back_by_pain_rewrites_the_watch_folder(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "NewFiles"
    assert lg(db, "plan", "workouts", "--weeks", "1", "--out", str(out), "--as-of", WEEK_4)[0] == 0
    before = {f.name for f in out.glob("*.fit")}
    assert all("run-walk-2-1" in name for name in before)
    code, said = lg(db, "pain", "7", "--after-run", "--date", WEEK_3)
    assert code in (0, 4), said
    code, said = lg(db, "plan", "workouts", "--weeks", "1", "--out", str(out), "--as-of", WEEK_4)
    assert code == 0, said
    after = {f.name for f in out.glob("*.fit")}
    assert all("run-walk-1-2" in name for name in after)
    assert len(after) == 3
    assert before.isdisjoint(after)  # the 2:1 files are gone, not left beside the new ones
    steps = fitparse_steps(out / sorted(after)[0])
    assert [summary(s) for s in steps][:3] == [("warmup", 300.0), ("active", 60.0), ("rest", 120.0)]


def test_plan_show_lists_the_sessions_in_danish_for_a_danish_runner(db: Path) -> None:
    assert lg(db, "athlete", "set", "anna", "--language", "da")[0] == 0
    code, said = lg(db, "plan", "show", "--as-of", START, columns=80)
    assert code == 0, said
    assert "Løb/gang 1:2, 15 min, grus eller græs" in said
    assert "3 gange: Løb 1 min, Gå 2 min." in said
    assert max(len(line) for line in said.splitlines()) <= 80


def test_plan_workouts_refuses_a_wrong_number_of_weeks_and_an_unwritable_folder(
    db: Path, tmp_path: Path
) -> None:
    code, said = lg(db, "plan", "workouts", "--weeks", "0", "--out", str(tmp_path))
    assert code == 1
    assert "--weeks must be 1 to 8, got 0" in said
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, said = lg(db, "plan", "workouts", "--out", str(blocker / "sub"))
    assert code == 1
    assert "cannot write workouts to" in said


def today_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def events(body: bytes) -> dict[str, str]:
    """UID -> summary of every event in a feed."""
    cal = Calendar.from_ical(body)
    return {str(e["uid"]): str(e["summary"]) for e in cal.walk("VEVENT")}


def test_the_private_calendar_feed_follows_the_stage_and_stops_when_revoked(
    tmp_path: Path,
) -> None:
    db = tmp_path / "web.db"
    start = today_in("Europe/Copenhagen") - timedelta(days=14)  # today is in plan week 3
    anna = add_runner(db, "anna@example.org", plan_start=start)
    with served(db) as server:
        browser = Browser(server.url)
        assert browser.login(anna.email).status_code == 200
        made = browser.send_form(f"/a/{anna.athlete_id}/plan/calendar", {"action": "new"})
        assert made.status_code == 200
        link = made.text.split('class="feed-link" readonly value="', 1)[1].split('"', 1)[0]
        assert link.startswith(f"{server.url}/calendar/")
        feed = requests.get(link, timeout=30)  # a calendar app: no cookie, only the link
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/calendar")
        first = events(feed.content)
        assert len(first) == 12  # four weeks, three sessions each
        assert "Run/walk 2:1, 20 min, gravel or trail" in first.values()
        with Store(db) as store:
            who = store.athlete(str(anna.athlete_id))
            from loadguard.app import service

            service.log_pain(store, who, 7, "after", start + timedelta(days=14))
        again = events(requests.get(link, timeout=30).content)
        assert set(again) <= set(first) | {u for u in again if u not in first}
        moved = [uid for uid in again if uid in first and again[uid] != first[uid]]
        assert moved  # the same days, now in the stage the pain stepped back to
        assert any(s.startswith("Run/walk 1:2") for s in again.values())
        browser.send_form(f"/a/{anna.athlete_id}/plan/calendar", {"action": "revoke"})
        assert requests.get(link, timeout=30).status_code == 404
        assert requests.get(f"{server.url}/calendar/not-a-token.ics", timeout=30).status_code == 404


def test_the_plan_page_offers_each_session_and_all_of_them_for_the_watch(tmp_path: Path) -> None:
    db = tmp_path / "web.db"
    start = today_in("Europe/Copenhagen") - timedelta(days=14)
    anna = add_runner(db, "anna@example.org", plan_start=start)
    with served(db) as server:
        browser = Browser(server.url)
        browser.login(anna.email)
        page = browser.open(f"/a/{anna.athlete_id}/plan")
        said = text_of(page.text)
        assert "Next sessions" in said
        assert "Walk 5 min to warm up." in said
        with Store(db) as store:
            plans = workouts.planned(store, store.athlete(str(anna.athlete_id)), 2, "en")
        day = plans[0].workout.day.isoformat()
        one = browser.open(f"/a/{anna.athlete_id}/plan/{day}.fit")
        assert one.status_code == 200
        assert one.content[8:12] == b".FIT"
        assert browser.open(f"/a/{anna.athlete_id}/plan/2001-01-01.fit").status_code == 404
        bundle = browser.open(f"/a/{anna.athlete_id}/plan/workouts.zip")
        assert bundle.status_code == 200
        assert bundle.content[:2] == b"PK"


@needs_chromium
def test_the_plan_page_in_a_browser_in_danish(tmp_path: Path) -> None:
    db = tmp_path / "web.db"
    start = today_in("Europe/Copenhagen") - timedelta(days=14)
    anna = add_runner(db, "anna@example.org", plan_start=start, language="da")
    with served(db) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        sign_in(page, server.url, anna.email)
        page.goto(f"{server.url}/a/{anna.athlete_id}/plan")
        assert page.locator("h1").inner_text() == "Næste træninger"
        assert page.locator("li.session").count() == 6
        page.click("button[value=new]")
        page.wait_for_load_state()
        assert "/calendar/" in page.locator("input.feed-link").input_value()
        shot(page, "plan-da-phone")
        with page.expect_download() as download:
            page.click("a[href$='workouts.zip']")
        assert download.value.suggested_filename == f"loadguard-workouts-{anna.athlete_id}.zip"
    stamp = datetime.now(UTC)
    assert stamp.tzinfo is UTC
