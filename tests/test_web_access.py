"""Access, as a matrix: every route of the web app (taken from the routers the app is made
of) x every role: anonymous, the runner, another runner, their coach with each consent
scope, another coach, and a coach after revocation. Each route declares its rule
(``web.app.declared_rule``); each cell's answer is asserted, and a denied cell changes
nothing in the database."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from loadguard.app import coaching, service, workouts
from loadguard.store import coaching as coaching_store
from loadguard.store.db import Store
from loadguard.web.app import ROUTERS, declared_rule
from webapp import A_RUN, Browser, add_coach, add_runner, grant, served, text_of

ROLES = ("anonymous", "runner", "other_runner", "coach_all", "coach_no_pain", "other_coach",
         "revoked_coach")  # fmt: skip
# rule -> the roles it lets through (everyone else: 404, or the login page if signed out)
ALLOWED = {
    "own": {"runner"},
    "view": {"runner", "coach_all", "coach_no_pain"},
    "pain": {"runner", "coach_all"},
    "coach": {"coach_all", "coach_no_pain"},
    "coach_user": {"coach_all", "coach_no_pain", "other_coach", "revoked_coach"},
    "signed_in": set(ROLES) - {"anonymous"},
}


def routes() -> list[tuple[str, str, str]]:
    """(method, path, rule) of every route but the public ones."""
    found = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                rule = declared_rule(route)
                if rule != "public":
                    found.extend((m, route.path, rule) for m in sorted(route.methods))
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


@dataclass
class World:
    db: Path
    browsers: dict[str, Browser]
    values: dict[str, str]  # path parameter -> a value that exists

    def url(self, path: str) -> str:
        for name, value in self.values.items():
            path = path.replace("{" + name + "}", value)
        assert "{" not in path, path
        return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Anna with a run and a shoe; Bo, another runner; Mette (all) and Ole (no pain),
    her coaches; Kim, a coach of nobody; Rita, who was her coach until Anna revoked."""
    db = tmp_path_factory.mktemp("matrix") / "lg.sqlite"
    anna = add_runner(db, "anna@example.org")
    bo = add_runner(db, "bo@example.org")
    people = {
        "coach_all": add_coach(db, "mette@example.org"),
        "coach_no_pain": add_coach(db, "ole@example.org"),
        "other_coach": add_coach(db, "kim@example.org"),
        "revoked_coach": add_coach(db, "rita@example.org"),
    }
    link = grant(db, people["coach_all"], anna, "all")
    grant(db, people["coach_no_pain"], anna, "no_pain")
    rita = grant(db, people["revoked_coach"], anna, "all")
    assert anna.athlete_id is not None
    with Store(db) as store:
        athlete = store.athlete(anna.athlete_id)
        coaching.revoke(store, athlete, rita)
        service.import_from(store, athlete, str(A_RUN))
        store.add_shoe(athlete.id, "Anna's trainer", initial_km=10.0)
        run_id = service.recent_runs(store, athlete, 1)[0]["id"]
        session_day = workouts.planned(store, athlete, 1, "en")[0].workout.day.isoformat()
        code = coaching.invite(store, people["other_coach"], "")
        assert coaching_store.link(store, link) is not None
    emails = {"runner": anna.email, "other_runner": bo.email} | {
        role: user.email for role, user in people.items()
    }
    with served(db) as server:
        browsers = {"anonymous": Browser(server.url)}
        for role, email in emails.items():
            browsers[role] = Browser(server.url)
            assert browsers[role].login(email).status_code == 200, role
        values = {
            "athlete_id": anna.athlete_id,
            "activity_id": str(run_id),
            "shoe_id": "1",
            "name": "volume",
            "source": "strava",
            "link_id": str(link),
            "code": code,
            "day": session_day,
        }
        yield World(db, browsers, values)


def test_every_route_declares_an_access_rule() -> None:
    """A new route without a declared rule (public, or an access dependency) fails here."""
    declared = [
        declared_rule(r) for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)
    ]
    assert len(declared) >= 60
    assert {"own", "view", "pain", "coach", "coach_user", "signed_in", "public"} <= set(declared)


def test_a_route_without_a_rule_is_refused_by_the_check() -> None:
    from fastapi import APIRouter

    stray = APIRouter()

    @stray.get("/a/{athlete_id}/secret")
    def secret(athlete_id: str) -> str:
        return athlete_id

    (route,) = [r for r in stray.routes if isinstance(r, APIRoute)]
    with pytest.raises(ValueError, match="declares no access rule"):
        declared_rule(route)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_each_route_allows(world: World, role: str) -> None:
    browser = world.browsers[role]
    cells = 0
    for method, path, rule in routes():
        url = world.url(path)
        allowed = role in ALLOWED[rule]
        before = fingerprint(world.db) if not allowed else ""
        if method == "GET":
            answer = browser.open(url, allow_redirects=False)
        else:  # an empty form: an allowed cell reaches the route and is told what is missing
            answer = browser.send_form(url, {}, allow_redirects=False)
        where = answer.headers.get("location", "")
        cell = (role, method, url, rule, answer.status_code, where)
        if role == "anonymous":
            assert answer.status_code == 303, cell
            assert where.startswith("/login"), cell
        elif allowed:
            assert answer.status_code not in (403, 404), cell
            assert not where.startswith("/login"), cell
        else:
            assert answer.status_code == 404, cell
            if role != "runner":  # her own name is in her own header
                assert "Anna" not in text_of(answer.text), cell
            assert fingerprint(world.db) == before, cell
        cells += 1
    assert cells >= 45


def test_the_coach_without_the_pain_scope_sees_no_pain(world: World) -> None:
    with Store(world.db) as store:
        athlete = store.athlete(world.values["athlete_id"])
        service.log_pain(store, athlete, 7, "after", service.today(athlete))
    anna = world.values["athlete_id"]
    full = world.browsers["coach_all"].open(f"/a/{anna}/")
    assert "pain 7/10" in text_of(full.text)
    assert "/pain" in full.text
    limited = world.browsers["coach_no_pain"].open(f"/a/{anna}/")
    assert limited.status_code == 200
    assert "7/10" not in text_of(limited.text)
    assert f"/a/{anna}/pain" not in limited.text  # no link to what it may not open
    assert (
        "pain"
        not in world.browsers["coach_no_pain"]
        .open(f"/a/{anna}/charts")
        .text.split("data-spec")[-1]
        .split('"')[1]
    )
    listed = world.browsers["coach_no_pain"].open("/coach/athletes.csv").text
    assert ",7," not in listed
    assert "no_pain" in listed
    assert ",7," in world.browsers["coach_all"].open("/coach/athletes.csv").text


def test_a_coach_sees_no_form_that_changes_the_athletes_data(world: World) -> None:
    anna, run = world.values["athlete_id"], world.values["activity_id"]
    for path in ("/", "/runs", f"/runs/{run}", "/shoes", "/pain"):
        page = world.browsers["coach_all"].open(f"/a/{anna}{path}").text
        assert 'method="post"' not in page.split("<main>")[1], path
