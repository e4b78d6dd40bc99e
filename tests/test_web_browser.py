"""The web app in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright),
served on 127.0.0.1 by the test: what a runner clicks, types and sees, charts counted as
drawn SVG marks. Screenshots of the main pages go to test-artifacts/screenshots/."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect

from browser import chromium as launched
from browser import needs_chromium, shot, sign_in
from loadguard import settings
from loadguard.sources import registry
from loadguard_strava.standin import StravaStandIn
from receivers import receiver
from webapp import A_RUN, PASSWORD, Browser, add_runner, served

RUN_DAY = "2015-08-15"  # the fenix 2 run; plan week 8 for a plan started 2015-06-22
PLAN_START = date(2015, 6, 22)
STRAVA_ATHLETE = 1001

pytestmark = needs_chromium


@dataclass
class Site:
    url: str
    db: Path
    strava: StravaStandIn


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    with launched() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on a fresh SQLite file, with the Strava stand-in as its Strava."""
    db = tmp_path_factory.mktemp("web") / "lg.sqlite"
    with StravaStandIn() as strava, pytest.MonkeyPatch.context() as env:
        strava.add_athlete(STRAVA_ATHLETE)
        env.setenv("STRAVA_CLIENT_ID", strava.client_id)
        env.setenv("STRAVA_CLIENT_SECRET", strava.client_secret)
        env.setenv("LOADGUARD_STRAVA_API", strava.base_url)
        env.setenv("LOADGUARD_STRAVA_VERIFY_TOKEN", "a-verify-word")
        env.setenv("LOADGUARD_TOKEN_KEY", Fernet.generate_key().decode())
        env.setenv("SILENCE_TOKEN_WARNINGS", "true")
        registry.webhook.cache_clear()
        with served(db) as server:
            yield Site(server.url, db, strava)
        registry.webhook.cache_clear()


@pytest.fixture
def page(chromium: Chromium) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def runner_with_a_run(site: Site, email: str, *, language: str = "en") -> str:
    """A runner made the quick way (account + one uploaded run); returns the home path."""
    user = add_runner(site.db, email, plan_start=PLAN_START, language=language)
    quick = Browser(site.url)
    quick.login(email)
    quick.send_form(
        f"/a/{user.athlete_id}/upload",
        files=[("files", (A_RUN.name, A_RUN.read_bytes(), "application/octet-stream"))],
    )
    return f"/a/{user.athlete_id}"


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql).fetchall())


def test_a_new_runner_signs_up_uploads_a_fit_file_logs_pain_and_sees_the_light_turn_red(
    page: Page, site: Site
) -> None:
    page.goto(site.url + "/signup")
    page.fill("input[name=name]", "Freja")
    page.fill("input[name=email]", "freja@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=plan_start]", PLAN_START.isoformat())
    page.fill("input[name=timezone]", "Europe/Copenhagen")
    shot(page, "signup")
    page.click("form[action='/signup'] button[type=submit]")
    expect(page.locator("p.status")).to_be_visible()
    home = page.url.split("?")[0].rstrip("/").removeprefix(site.url)
    assert home.startswith("/a/")

    page.goto(site.url + home + "/upload")
    page.set_input_files("input[name=files]", str(A_RUN))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-result")).to_contain_text("1 new file, 1 run;")
    shot(page, "upload")
    assert rows(site.db, "SELECT count(*) FROM activities")[0][0] == 1

    page.goto(f"{site.url}{home}/?as_of={RUN_DAY}")
    expect(page.locator("p.status")).to_have_attribute("data-status", "green")
    page.goto(site.url + home + "/pain")
    page.fill("input[name=score]", "7")
    page.select_option("select[name=moment]", "after")
    page.fill("input[name=day]", RUN_DAY)
    page.click("form[action$='/pain'] button[type=submit]")
    expect(page.locator("main")).to_contain_text("Logged")
    shot(page, "pain")

    page.goto(f"{site.url}{home}/?as_of={RUN_DAY}")
    expect(page.locator("p.status")).to_have_attribute("data-status", "red")
    expect(page.locator(".findings")).to_contain_text("7")
    shot(page, "today-red")


@pytest.mark.parametrize(
    ("chart", "marks", "at_least"),
    [
        ("volume", "g.mark-rect path", 1),  # a bar for the run's week
        ("surfaces", "g.mark-rect path", 1),  # the week's surface stack
        ("shoes", "g.mark-rect path", 1),  # the shoe's km bar
        ("pain", "g.mark-symbol path", 1),  # the logged score
    ],
)
def test_each_chart_is_drawn_as_svg_marks(
    page: Page, site: Site, chart: str, marks: str, at_least: int
) -> None:
    email = f"charts-{chart}@example.org"
    home = runner_with_a_run(site, email)
    quick = Browser(site.url)
    quick.login(email)
    quick.send_form(f"{home}/shoes", {"name": "Trail shoe"})
    (run_id,) = rows(site.db, f"SELECT id FROM activities WHERE athlete_id = '{home[3:]}'")[0]
    quick.send_form(f"{home}/runs/{run_id}/correct", {"action": "shoe", "shoe": "Trail shoe"})
    quick.send_form(f"{home}/pain", {"score": "4", "moment": "after", "day": RUN_DAY})
    sign_in(page, site.url, email)
    page.goto(f"{site.url}{home}/charts?as_of={RUN_DAY}")
    drawn = page.locator(f"#chart-{chart}")
    expect(drawn).to_have_attribute("data-drawn", "yes")
    assert drawn.locator("svg.marks").count() == 1
    sizes = drawn.locator(marks).evaluate_all(
        "marks => marks.map(m => { const b = m.getBBox(); return [b.width, b.height]; })"
    )
    seen = [(w, h) for w, h in sizes if w > 0 and h > 0]
    assert len(seen) >= at_least, f"{chart}: {sizes}"
    if chart == "volume":
        shot(page, "charts")


def open_the_run(page: Page, site: Site, email: str) -> str:
    """A new runner with one run, signed in on that run's page (reached by clicking)."""
    home = runner_with_a_run(site, email)
    sign_in(page, site.url, email)
    page.goto(site.url + home + "/runs")
    page.locator("main table a").first.click()
    page.wait_for_load_state()
    return home


def test_one_run_is_drawn_with_its_pace_and_bouts(page: Page, site: Site) -> None:
    open_the_run(page, site, "pace@example.org")
    chart = page.locator("#chart-run")
    expect(chart).to_have_attribute("data-drawn", "yes")
    assert chart.locator("g.mark-line path").count() >= 1  # pace over time
    assert chart.locator("svg text").filter(has_text="min").count() >= 1
    shot(page, "run")


def test_a_run_is_relabelled_deleted_and_restored_by_clicking(page: Page, site: Site) -> None:
    home = open_the_run(page, site, "fix@example.org")
    run_page = page.url
    page.select_option("select[name=label]", "walk")
    page.locator("form:has(select[name=label]) button").click()
    expect(page.locator("main")).to_contain_text("Counted as a walk")
    assert rows(site.db, "SELECT label FROM run_corrections WHERE label IS NOT NULL") == [("walk",)]
    page.select_option("select[name=label]", "")
    page.locator("form:has(select[name=label]) button").click()
    page.locator("button.danger").click()
    expect(page.locator("main")).to_contain_text("This run is deleted")
    page.goto(site.url + home + "/runs")
    expect(page.locator("main")).to_contain_text("deleted")
    page.goto(run_page)
    page.locator("form:has(input[value=restore]) button").click()
    expect(page.locator("main")).not_to_contain_text("This run is deleted")
    shot(page, "run-corrected")


def test_connecting_strava_goes_to_the_standin_and_back_and_disconnecting_revokes_it(
    page: Page, site: Site
) -> None:
    home = runner_with_a_run(site, "strava@example.org")
    sign_in(page, site.url, "strava@example.org")
    page.goto(site.url + home + "/connections")
    page.locator("form[action$='/connect/strava'] button").click()
    expect(page).to_have_title("Authorize | Strava (stand-in)")
    assert page.url.startswith(site.strava.base_url)
    page.check(f"input[name=athlete_id][value='{STRAVA_ATHLETE}']")
    page.click("button[value=authorize]")
    expect(page.locator("main")).to_contain_text("Strava is connected")
    assert page.url.startswith(site.url + home + "/connections")
    shot(page, "connections")
    assert rows(site.db, "SELECT status FROM accounts WHERE athlete_id = 'strava'") == [("active",)]
    assert STRAVA_ATHLETE in site.strava._grants  # Strava holds the grant

    page.locator("form[action$='/disconnect/strava'] button").click()
    expect(page.locator("main")).to_contain_text("Disconnected")
    expect(page.locator("main")).to_contain_text("Not connected")
    assert rows(site.db, "SELECT status, secret FROM accounts WHERE athlete_id = 'strava'") == [
        ("deauthorized", None)
    ]
    assert STRAVA_ATHLETE not in site.strava._grants  # revoked at Strava too


def test_my_data_downloads_and_deleting_my_account_leaves_nothing_behind(
    page: Page, site: Site
) -> None:
    home = runner_with_a_run(site, "leaving@example.org")
    sign_in(page, site.url, "leaving@example.org")
    page.goto(site.url + home + "/data")
    with page.expect_download() as download:
        page.click("#export")
    saved = Path(download.value.path())
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    raw = [n for n in archive.namelist() if n.startswith("raw/")]
    assert [archive.read(n) for n in raw] == [A_RUN.read_bytes()]
    assert json.loads(archive.read("json/activities.json"))[0]["sport"] == "running"
    athlete = home.split("/")[-1]

    page.fill("input[name=confirm]", "DELETE")
    page.fill("input[name=password]", PASSWORD)
    shot(page, "data")
    page.click("form[action$='/data/delete'] button.danger")
    expect(page.locator("main")).to_contain_text("Your account is deleted")
    assert rows(site.db, f"SELECT count(*) FROM activities WHERE athlete_id = '{athlete}'") == [
        (0,)
    ]
    assert rows(site.db, "SELECT count(*) FROM users WHERE email = 'leaving@example.org'") == [(0,)]
    page.goto(site.url + home + "/")
    assert page.url.startswith(site.url + "/login")


def test_a_second_runner_is_refused_on_the_first_runners_pages(page: Page, site: Site) -> None:
    first = runner_with_a_run(site, "first@example.org")
    runner_with_a_run(site, "second@example.org")
    sign_in(page, site.url, "second@example.org")
    for path in ("/", "/charts", "/runs", "/pain", "/data", "/charts/volume.json"):
        answer = page.goto(site.url + first + path)
        assert answer is not None
        assert answer.status == 404, path
    expect(page.locator("body")).not_to_contain_text("First")
    page.goto(site.url + first + "/")
    expect(page.locator("main")).to_contain_text("not yours to see")
    shot(page, "refused")


def test_on_a_phone_every_runner_page_fits_the_screen(chromium: Chromium, site: Site) -> None:
    home = runner_with_a_run(site, "phone@example.org")
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    try:
        sign_in(page, site.url, "phone@example.org")
        for name in (
            "",
            "charts",
            "runs",
            "pain",
            "shoes",
            "upload",
            "alerts",
            "connections",
            "data",
        ):
            page.goto(f"{site.url}{home}/{name}?as_of={RUN_DAY}")
            if name == "charts":
                expect(page.locator("#chart-pain")).to_have_attribute("data-drawn", "yes")
                spill = page.eval_on_selector_all(
                    ".chart",
                    "cs => cs.map(c => [c.id, c.querySelector('svg').getBoundingClientRect()"
                    ".width - c.clientWidth])",
                )
                assert all(over <= 1 for _, over in spill), spill
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, f"/{name} is {wide} px wide on a 390 px phone"
            shot(page, f"phone-{name or 'today'}")
    finally:
        context.close()


def test_a_danish_runner_reads_danish_pages_and_danish_chart_axes(page: Page, site: Site) -> None:
    home = runner_with_a_run(site, "dansk@example.org", language="da")
    sign_in(page, site.url, "dansk@example.org")
    page.goto(f"{site.url}{home}/?as_of={RUN_DAY}")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.locator("main")).to_contain_text("Planuge 8")
    shot(page, "today-da")
    page.goto(f"{site.url}{home}/charts?as_of={RUN_DAY}")
    volume = page.locator("#chart-volume")
    expect(volume).to_have_attribute("data-drawn", "yes")
    expect(volume.locator("svg")).to_contain_text("Ugentlige løbe-km")
    shot(page, "charts-da")


def test_a_test_message_is_sent_from_the_alert_page_without_leaving_it(
    page: Page, site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "settings.toml"
    conf.write_text("[web]\nlocal_channels = true\n")  # the receiver is on 127.0.0.1
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    home = runner_with_a_run(site, "bell@example.org")
    sign_in(page, site.url, "bell@example.org")
    with receiver() as inbox:
        page.goto(site.url + home + "/alerts")
        page.fill("input[name=url]", f"json://127.0.0.1:{inbox.port}/bell")
        page.click("form[action$='/alerts/channels'] button")
        expect(page.locator("ul.channels")).to_contain_text(f"json://127.0.0.1:{inbox.port}/")
        page.evaluate("window.stayed = true")  # gone if the page were loaded again
        page.click("form[action$='/alerts/test'] button")
        expect(page.locator("#test-result")).to_contain_text("1 sent, 0 failed")
        assert page.evaluate("window.stayed === true")
        assert len(inbox.wait_for(1)) == 1
    shot(page, "alerts")
