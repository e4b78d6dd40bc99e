"""A run held for review in the web app, in real headless Chromium: the runs page lists it
with why, its page says it counts nowhere, and one click accepts it (English and Danish).
Screenshots: test-artifacts/screenshots/run-held*.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect

from browser import chromium as launched
from browser import needs_chromium, shot, sign_in
from loadguard.store import frames
from loadguard.store.db import Store
from test_quarantine import gpx
from webapp import Browser, add_runner, served

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("held") / "lg.sqlite"
    with served(db) as server:
        yield server.url, db


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    with launched() as browser:
        yield browser


@pytest.fixture
def page(chromium: Chromium) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def runner_with_a_1995_run(url: str, db: Path, email: str, language: str) -> str:
    user = add_runner(db, email, plan_start=date(2026, 11, 2), language=language)
    quick = Browser(url)
    quick.login(email)
    flipped = gpx(datetime(1995, 3, 1, 7, tzinfo=UTC)).encode()
    answer = quick.send_form(
        f"/a/{user.athlete_id}/upload", files=[("files", ("flipped.gpx", flipped, "text/xml"))]
    )
    assert "flipped.gpx" in answer.text  # the upload's result names it, held
    return user.athlete_id


def counted(db: Path, athlete_id: str) -> int:
    with Store(db) as store:
        return len(frames.activities_frame(store, [athlete_id]))


def test_a_held_run_is_listed_with_why_and_counts_after_one_click(
    page: Page, site: tuple[str, Path]
) -> None:
    url, db = site
    athlete = runner_with_a_1995_run(url, db, "held@example.org", "en")
    assert counted(db, athlete) == 0
    sign_in(page, url, "held@example.org")
    page.goto(f"{url}/a/{athlete}/")
    page.locator("p.held a", has_text="1 run is held for review").click()
    page.wait_for_load_state()
    held = page.locator("main li", has_text="before GPS sports watches existed")
    expect(held).to_have_count(1)
    held.locator("a").click()
    page.wait_for_load_state()
    expect(page.locator("p.held")).to_contain_text("counts nowhere until you accept it")
    expect(page.locator("#chart-run")).to_have_attribute("data-drawn", "yes")
    shot(page, "run-held")
    page.locator("form:has(input[value=accept]) button").click()
    page.wait_for_load_state()
    expect(page.locator("p.held")).to_have_count(0)
    assert counted(db, athlete) == 1


def test_a_danish_runner_reads_why_a_run_is_held_in_danish(
    page: Page, site: tuple[str, Path]
) -> None:
    url, db = site
    athlete = runner_with_a_1995_run(url, db, "holdt@example.org", "da")
    sign_in(page, url, "holdt@example.org")
    page.goto(f"{url}/a/{athlete}/runs")
    page.locator("main li a").first.click()
    page.wait_for_load_state()
    expect(page.locator("p.held")).to_contain_text("før GPS-sportsure fandtes")
    expect(page.locator("form:has(input[value=accept]) button")).to_have_text(
        "Det passer: tæl det med"
    )
    shot(page, "run-held-da")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(page, "run-held-da-phone")
