"""Accounts: sign-up (and switched off), login limits, sessions, password change and
reset, cookies, and the operator's `loadguard user` commands."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest

from clirun import lg
from loadguard import settings
from loadguard.store.db import Store
from webapp import PASSWORD, Browser, add_runner, served, text_of

ANNA = "anna@example.org"


def test_a_runner_signs_up_and_lands_on_her_today_page(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    with served(db) as server:
        browser = Browser(server.url)
        page = browser.send_form(
            "/signup",
            {
                "name": "Anna",
                "email": ANNA,
                "password": PASSWORD,
                "plan_start": "2026-03-02",
                "timezone": "Europe/Copenhagen",
                "role_runner": "1",
                "language": "en",
            },
        )
        assert page.status_code == 200
        assert re.search(r"/a/anna/$", page.url)
        assert "Plan week" in text_of(page.text)
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT password_hash, athlete_id FROM users").fetchone()
        athlete = conn.execute("SELECT plan_start, timezone FROM athletes").fetchone()
    assert row[0].startswith("$argon2id$")
    assert PASSWORD not in row[0]
    assert row[1] == "anna"
    assert athlete == ("2026-03-02", "Europe/Copenhagen")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"email": "not-an-address"}, "email", "not an email address"),
        ({"password": "short"}, "password", "at least 10 characters"),
        ({"plan_start": "03/02/2026"}, "plan_start", "not a date like 2026-11-15"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a known time zone"),
    ],
)
def test_a_bad_sign_up_field_is_named_next_to_it_and_nothing_is_stored(
    tmp_path: Path, change: dict[str, str], field: str, words: str
) -> None:
    db = tmp_path / "lg.sqlite"
    form = {"email": ANNA, "password": PASSWORD, "plan_start": "2026-03-02", **change}
    with served(db) as server:
        page = Browser(server.url).send_form("/signup", form)
    assert page.status_code == 400
    assert f'id="{field}-error"' in page.text
    assert words in text_of(page.text)
    with Store(db) as store:
        assert store.athletes() == []
        assert store.conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_an_email_that_has_an_account_cannot_sign_up_again(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    add_runner(db, ANNA)
    with served(db) as server:
        page = Browser(server.url).send_form(
            "/signup", {"email": ANNA.upper(), "password": PASSWORD, "plan_start": "2026-03-02"}
        )
    assert page.status_code == 400
    assert "There is an account for this email already" in text_of(page.text)


def test_the_operator_can_switch_sign_up_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "settings.toml"
    conf.write_text("[web]\nsignup = false\n")
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    db = tmp_path / "lg.sqlite"
    with served(db) as server:
        browser = Browser(server.url)
        assert "Create an account" not in text_of(browser.open("/login").text)
        page = browser.send_form("/signup", {"email": ANNA, "password": PASSWORD})
        assert page.status_code == 404
        assert "Sign-up is closed" in text_of(page.text)
    with Store(db) as store:
        assert store.athletes() == []


def test_cookies_are_http_only_and_same_site_and_secure_when_the_operator_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lg.sqlite"
    add_runner(db, ANNA)
    with served(db) as server:
        answer = Browser(server.url).login(ANNA)
        cookie = answer.history[0].headers["set-cookie"]
    assert "lg_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    conf = tmp_path / "settings.toml"
    conf.write_text("[web]\nsecure_cookies = true\n")
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    with served(db) as server:
        browser = Browser(server.url)
        answer = browser.send_form(
            "/login", {"email": ANNA, "password": PASSWORD}, allow_redirects=False
        )
    assert "Secure" in answer.headers["set-cookie"]


def test_five_wrong_passwords_lock_the_account_for_a_while_even_for_the_right_one(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lg.sqlite"
    add_runner(db, ANNA)
    with served(db) as server:
        guesser = Browser(server.url)
        for n in range(5):
            wrong = guesser.login(ANNA, f"guess-number-{n}")
            assert wrong.status_code == 400
            assert "Wrong email or password" in text_of(wrong.text)
        locked = Browser(server.url).login(ANNA)
        assert locked.status_code == 429
        assert "Too many failed logins" in text_of(locked.text)
        assert "lg_session" not in locked.cookies


def test_one_address_trying_many_accounts_is_slowed_too(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    add_runner(db, ANNA)
    with served(db) as server:
        sprayer = Browser(server.url)
        for n in range(20):
            assert sprayer.login(f"person{n}@example.org", "password-1234").status_code == 400
        # the next try from this address, even for a real account with its password
        assert sprayer.login(ANNA).status_code == 429


def test_logging_out_ends_the_session_on_the_server(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    user = add_runner(db, ANNA)
    with served(db) as server:
        browser = Browser(server.url)
        browser.login(ANNA)
        token = browser.cookies["lg_session"]
        assert browser.open(f"/a/{user.athlete_id}/").status_code == 200
        browser.send_form("/logout")
        thief = Browser(server.url)
        thief.cookies.set("lg_session", token)
        answer = thief.open(f"/a/{user.athlete_id}/", allow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_changing_the_password_needs_the_old_one_and_logs_out_other_sessions(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lg.sqlite"
    user = add_runner(db, ANNA)
    with served(db) as server:
        phone, laptop = Browser(server.url), Browser(server.url)
        phone.login(ANNA)
        laptop.login(ANNA)
        wrong = laptop.send_form("/account/password", {"current": "nope", "new": "x" * 12})
        assert wrong.status_code == 400
        assert "The current password is wrong" in text_of(wrong.text)
        done = laptop.send_form("/account/password", {"current": PASSWORD, "new": "new-secret-77"})
        assert "Your password is changed" in text_of(done.text)
        assert laptop.open(f"/a/{user.athlete_id}/").status_code == 200
        assert "/login" in phone.open(f"/a/{user.athlete_id}/").url
        assert Browser(server.url).login(ANNA, "new-secret-77").status_code == 200


def test_a_reset_link_goes_to_the_operators_log_and_works_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "lg.sqlite"
    add_runner(db, ANNA)
    with served(db) as server, caplog.at_level(logging.WARNING, "loadguard.accounts"):
        browser = Browser(server.url)
        asked = browser.send_form("/reset", {"email": ANNA})
        unknown = browser.send_form("/reset", {"email": "nobody@example.org"})
        # the page says the same whether the account exists or not
        assert text_of(asked.text) == text_of(unknown.text)
        link = re.search(r"(http://\S+/reset/\S+)", caplog.text)
        assert link is not None
        path = link[1].removeprefix(server.url)
        assert browser.send_form(path, {"new": "short"}).status_code == 200
        done = browser.send_form(path, {"new": "reset-secret-9"})
        assert done.status_code == 200
        assert "/a/anna/" in done.url
        again = Browser(server.url).send_form(path, {"new": "another-secret-1"})
        assert "unknown, used, or older than 2 hours" in text_of(again.text)
        assert Browser(server.url).login(ANNA, "reset-secret-9").status_code == 200
        assert Browser(server.url).login(ANNA, PASSWORD).status_code == 400


def test_the_operator_makes_the_first_account_and_links_an_existing_athlete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lg.sqlite"
    assert lg(db, "athlete", "add", "anna", "--start", "2026-03-02")[0] == 0
    monkeypatch.setenv("LOADGUARD_PASSWORD", PASSWORD)
    code, output = lg(db, "user", "add", ANNA, "--athlete", "anna", "--name", "Anna")
    assert code == 0, output
    assert "athlete anna" in output
    code, output = lg(db, "user", "add", "mette@example.org", "--role", "coach")
    assert code == 0, output
    listed = " ".join(lg(db, "user", "list")[1].split())
    assert "anna@example.org runner anna en" in listed
    assert "mette@example.org coach - en" in listed
    code, output = lg(db, "user", "add", ANNA)
    assert code == 1
    assert "exists already" in " ".join(output.split())
    with served(db) as server:
        assert "/a/anna/" in Browser(server.url).login(ANNA).url
        assert Browser(server.url).login("mette@example.org").url.endswith("/coach")


def test_after_logging_in_a_runner_lands_on_the_page_she_asked_for_and_never_off_site(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lg.sqlite"
    user = add_runner(db, ANNA)
    wanted = f"/a/{user.athlete_id}/charts?as_of=2026-03-20"
    with served(db) as server:
        browser = Browser(server.url)
        login_page = browser.open(wanted)
        assert "/login?next=" in login_page.url
        assert 'name="next"' in login_page.text
        arrived = browser.send_form("/login", {"email": ANNA, "password": PASSWORD, "next": wanted})
        assert arrived.url == server.url + wanted
        away = Browser(server.url).send_form(
            "/login",
            {"email": ANNA, "password": PASSWORD, "next": "//evil.example/"},
            allow_redirects=False,
        )
        assert away.headers["location"] == f"/a/{user.athlete_id}/"
