"""The coach's side in real headless Chromium: a coach invites, the athlete accepts, the
coach sees the athlete red after a pain entry, acknowledges it with a note, the athlete
reads the note, revokes, and the coach's list no longer shows them. Screenshots go to
test-artifacts/screenshots/coach-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect

from browser import chromium as launched
from browser import needs_chromium, shot, sign_in
from webapp import add_coach, add_runner, served

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    with launched() as browser:
        yield browser


def tab(chromium: Chromium, width: int = 1100) -> Page:
    page = chromium.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    return page


def test_a_coach_invites_sees_red_acknowledges_and_loses_sight_after_revocation(
    chromium: Chromium, tmp_path: Path
) -> None:
    db = tmp_path / "lg.sqlite"
    add_coach(db, "mette@example.org")
    anna = add_runner(db, "anna@example.org")
    with served(db) as server:
        coach, runner = tab(chromium), tab(chromium, 420)  # the runner on a phone
        sign_in(coach, server.url, "mette@example.org")
        expect(coach.locator("h1")).to_contain_text("Your athletes")
        coach.fill("form[action='/coach/invite'] input[name=email]", "anna@example.org")
        coach.click("form[action='/coach/invite'] button[type=submit]")
        code = coach.locator("#invite-code").inner_text()
        assert len(code) == 11
        shot(coach, "coach-invite")

        sign_in(runner, server.url, "anna@example.org")
        runner.click("nav >> text=Coaches")
        expect(runner.locator(".invitation")).to_contain_text("Mette (mette@example.org)")
        runner.check(".invitation input[value=all]")
        runner.click(".invitation button[value=accept]")
        expect(runner.locator("p.ok")).to_contain_text("Accepted")
        expect(runner.locator(".coach")).to_contain_text("Mette")
        shot(runner, "coach-accepted")

        coach.goto(server.url + "/coach")
        row = coach.locator(f"tr[data-athlete={anna.athlete_id}]")
        expect(row).to_have_class("row-yellow")  # no runs yet: never green

        runner.goto(f"{server.url}/a/{anna.athlete_id}/pain")
        runner.fill("input[name=score]", "8")
        runner.select_option("select[name=moment]", "after")
        runner.click("form[action$='/pain'] button[type=submit]")
        expect(runner.locator("p.ok")).to_be_visible()

        coach.goto(server.url + "/coach")
        expect(row).to_have_class("row-red")
        expect(row).to_contain_text("8/10")
        shot(coach, "coach-list")
        row.locator("a").first.click()
        expect(coach.locator("p.status")).to_have_attribute("data-status", "red")
        expect(coach.locator("main form[method=post]")).to_have_count(0)  # read-only
        coach.locator("a.ack").first.click()
        expect(coach.locator("p.held")).to_contain_text("Acknowledging: pain above 5 (")
        coach.fill("textarea[name=body]", "Seen it. Two days off, then 15 min on grass.")
        coach.click("form[action$='/notes'] button[type=submit]")
        expect(coach.locator(".note")).to_contain_text("Two days off")
        shot(coach, "coach-notes")

        runner.click("nav >> text=Notes")
        expect(runner.locator(".note")).to_contain_text("Two days off, then 15 min on grass.")
        expect(runner.locator(".note")).to_contain_text("on pain above 5 (")
        shot(runner, "coach-note-read")

        runner.click("nav >> text=Coaches")
        runner.click(".coach button.danger")
        expect(runner.locator("p.ok")).to_contain_text("Revoked")
        record = runner.locator("table").inner_text()
        assert record.index("revoked") < record.index("granted")
        shot(runner, "coach-revoked")

        coach.goto(server.url + "/coach")
        expect(coach.locator(f"tr[data-athlete={anna.athlete_id}]")).to_have_count(0)
        expect(coach.locator("main")).to_contain_text("No athletes yet")
        response = coach.goto(f"{server.url}/a/{anna.athlete_id}/")
        assert response is not None
        assert response.status == 404


def test_a_danish_coach_reads_the_list_in_danish_on_a_phone(
    chromium: Chromium, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from loadguard.app import service
    from loadguard.store.db import Store
    from receivers import drop_fit, paved_run
    from webapp import grant

    db = tmp_path / "lg.sqlite"
    mette = add_coach(db, "mette@example.org", language="da")
    for name in ("anna", "bo"):
        runner = add_runner(db, f"{name}@example.org")
        grant(db, mette, runner, "all" if name == "anna" else "no_pain")
        with Store(db) as store:
            athlete = store.athlete(str(runner.athlete_id))
            start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
            path = drop_fit(paved_run(start, 42.5), tmp_path / name, tmp_path / "staging")
            service.import_from(store, athlete, str(path))
            service.log_pain(store, athlete, 4, "morning", service.today(athlete))
    with served(db) as server:
        page = tab(chromium, 390)
        sign_in(page, server.url, "mette@example.org")
        expect(page.locator("h1")).to_contain_text("Dine løbere (2 løbere)")
        expect(page.locator("thead")).to_contain_text("Seneste smerte")
        expect(page.locator("tbody")).not_to_contain_text("continuous running")
        anna = page.locator("tr", has_text="Anna")
        expect(anna).to_contain_text("4/10")
        expect(anna).to_contain_text("for 2 dage siden")
        assert "," in anna.locator("td").nth(4).inner_text()  # "3,9 km": a Danish decimal comma
        expect(page.locator("tr", has_text="Bo")).not_to_contain_text("/10")  # no pain scope
        expect(page.locator("main")).to_contain_text("deler alt undtagen smerter og symptomer")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # the table scrolls inside its box, the page does not
        shot(page, "coach-list-da-phone")
