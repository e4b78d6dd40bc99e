"""Access: a runner reaches only their own pages. Every route with an athlete in its URL
is tried by another runner, by GET and by form, and must answer 404 and change nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from loadguard.app import service
from loadguard.store.db import Store
from loadguard.web.app import ROUTERS
from webapp import A_RUN, Browser, add_runner, served, text_of

ANNA, BO = "anna@example.org", "bo@example.org"


def athlete_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that names an athlete, taken from the routers the app
    is made of, so a route added later is covered without editing this test."""
    found = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and "{athlete_id}" in route.path:
                found.extend((method, route.path) for method in sorted(route.methods))
    return found


def fingerprint(db: Path) -> str:
    """Every row of every table, hashed: any change shows."""
    digest = hashlib.sha256()
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in sorted(tables):
            if table in ("sessions", "login_attempts"):
                continue  # signing in is allowed to write these
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1"):
                digest.update(repr((table, row)).encode())
    return digest.hexdigest()


@pytest.fixture
def two_runners(tmp_path: Path) -> Iterator[tuple[Browser, str, int]]:
    """Anna with a run and a shoe; Bo signed in. Yields Bo's browser, Anna's athlete id
    and her run's id."""
    db = tmp_path / "lg.sqlite"
    anna = add_runner(db, ANNA)
    add_runner(db, BO)
    assert anna.athlete_id is not None
    with Store(db) as store:
        athlete = store.athlete(anna.athlete_id)
        service.import_from(store, athlete, str(A_RUN))
        store.add_shoe(athlete.id, "Anna's trainer", initial_km=10.0)
        run_id = service.recent_runs(store, athlete, 1)[0]["id"]
    with served(db) as server:
        bo = Browser(server.url)
        assert bo.login(BO).status_code == 200
        yield bo, anna.athlete_id, run_id


def concrete(path: str, athlete_id: str, run_id: int) -> str:
    return (
        path.replace("{athlete_id}", athlete_id)
        .replace("{activity_id}", str(run_id))
        .replace("{shoe_id}", "1")
        .replace("{name}", "volume")
        .replace("{source}", "strava")
    )


def test_every_athlete_route_is_covered_by_this_test() -> None:
    routes = athlete_routes()
    paths = {p for _, p in routes}
    # the runner's pages and forms as the app has them now: a route that cannot be made
    # concrete here would escape the check below
    assert len(routes) >= 20
    for path in paths:
        assert "{" not in concrete(path, "x", 1), path


def test_another_runners_id_in_any_url_gives_404_and_changes_nothing(
    two_runners: tuple[Browser, str, int], tmp_path: Path
) -> None:
    bo, anna, run_id = two_runners
    db = tmp_path / "lg.sqlite"
    before = fingerprint(db)
    answers = {}
    for method, path in athlete_routes():
        url = concrete(path, anna, run_id)
        if method == "GET":
            answer = bo.open(url, allow_redirects=False)
        else:
            form = {
                "action": "delete",
                "score": "3",
                "moment": "after",
                "name": "x",
                "confirm": "DELETE",
                "password": "heel-and-toe-42",
                "kind": "numbness",
                "label": "walk",
                "url": "ntfy://ntfy.sh/loadguard-access-test",
                "min_severity": "info",
                "quiet_hours": "22:00-07:00",
            }
            answer = bo.send_form(url, form, allow_redirects=False)
        answers[(method, url)] = answer.status_code
        assert answer.status_code == 404, (method, url, answer.status_code)
        assert "Anna" not in answer.text
    assert fingerprint(db) == before
    assert len(answers) >= 20


def test_the_same_urls_with_bos_own_id_are_his(two_runners: tuple[Browser, str, int]) -> None:
    bo, _anna, _run = two_runners
    home = bo.open("/")
    assert home.status_code == 200
    own = home.url.rstrip("/").split("/a/")[1]
    for path in ("/", "/charts", "/runs", "/pain", "/shoes", "/upload", "/data"):
        assert bo.open(f"/a/{own}{path}").status_code == 200, path
    assert bo.open(f"/a/{own}/charts/volume.json").json()["layer"]


def test_a_signed_out_visitor_is_sent_to_the_login_page(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    anna = add_runner(db, ANNA)
    with served(db) as server:
        visitor = Browser(server.url)
        for method, path in athlete_routes():
            url = concrete(path, str(anna.athlete_id), 1)
            if method == "GET":
                answer = visitor.open(url, allow_redirects=False)
                assert answer.status_code == 303, url
                assert answer.headers["location"].startswith("/login"), url
            else:
                answer = visitor.send_form(url, {}, allow_redirects=False)
                assert answer.status_code == 303, url


def test_a_form_without_the_csrf_token_is_refused_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    anna = add_runner(db, ANNA)
    with served(db) as server:
        browser = Browser(server.url)
        browser.login(ANNA)
        before = fingerprint(db)
        forged = browser.post(
            f"{server.url}/a/{anna.athlete_id}/pain",
            data={"score": "4", "moment": "morning"},
            timeout=10,
        )
        assert forged.status_code == 403
        assert "expired" in text_of(forged.text)
        wrong = browser.post(
            f"{server.url}/a/{anna.athlete_id}/pain",
            data={"score": "4", "moment": "morning", "csrf": "not-the-token"},
            timeout=10,
        )
        assert wrong.status_code == 403
        assert fingerprint(db) == before
