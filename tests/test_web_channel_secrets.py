"""Alert channel URLs sealed at rest, seen through the web app: a runner's alert page and
a coach's digest channel show them redacted and still deliver; another key is said on
the page (500, one sentence), never a traceback or a secret."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from loadguard.app import alert_choices
from loadguard.store import secretbox
from loadguard.store.db import Store
from test_channel_secrets import PASSWORD, TOKEN, file_bytes, key_from_the_file, secret_url
from test_web_alerts import Runner, anna
from webapp import Browser, add_coach, served, text_of

__all__ = ["anna", "key_from_the_file"]  # fixtures, shared with their modules


def test_the_web_alerts_page_shows_a_sealed_channel_redacted_and_it_still_delivers(
    anna: Runner,
) -> None:
    browser, db, page, hook = anna.browser, anna.db, anna.page, anna.inbox
    added = browser.send_form(f"{page}/channels", {"url": secret_url(hook.port)})
    assert "The channel is added" in text_of(added.text)
    shown = browser.open(page)
    assert f"json://127.0.0.1:{hook.port}/…" in text_of(shown.text)
    for secret in (PASSWORD, TOKEN):
        assert secret not in shown.text
        assert secret.encode() not in file_bytes(db)
    tested = browser.send_form(f"{page}/test")
    assert "Test message: 1 sent, 0 failed" in text_of(tested.text)
    assert hook.wait_for(1)[0]["path"] == "/inbox"
    (key,) = re.findall(r'name="channel" value="([0-9a-f]+)"', shown.text)
    removed = browser.send_form(f"{page}/channels/remove", {"channel": key})
    assert "The channel is removed" in text_of(removed.text)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM alert_channels").fetchone() == (0,)


def test_the_web_page_says_the_channels_cannot_be_read_when_the_key_is_another(
    anna: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, page, hook = anna.browser, anna.page, anna.inbox
    monkeypatch.setenv(secretbox.KEY_ENV, Fernet.generate_key().decode())
    browser.send_form(f"{page}/channels", {"url": secret_url(hook.port)})
    monkeypatch.setenv(secretbox.KEY_ENV, Fernet.generate_key().decode())
    shown = browser.open(page)
    assert shown.status_code == 500
    said = html.unescape(text_of(shown.text))
    assert "The stored channels cannot be read: the server's encryption key is missing" in said
    assert "Traceback" not in said
    assert PASSWORD not in shown.text
    refused = browser.send_form(f"{page}/channels", {"url": f"json://127.0.0.1:{hook.port}/b"})
    assert refused.status_code >= 400
    assert "The stored channels cannot be read" in text_of(refused.text)
    assert hook.received == []


def test_a_coachs_digest_channel_is_shown_redacted_and_another_key_is_said_on_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lg.sqlite"
    mette = add_coach(db, "mette@example.org")
    url = f"json://mette:{PASSWORD}@hooks.example/digest?token={TOKEN}"
    with Store(db) as store:
        assert alert_choices.add_channel_to(store, f"coach:u{mette.id}", url)
    with served(db) as server:
        coach = Browser(server.url)
        coach.login(mette.email)
        shown = coach.open("/coach")
        assert shown.status_code == 200
        assert "json://hooks.example/…" in text_of(shown.text)
        monkeypatch.setenv(secretbox.KEY_ENV, Fernet.generate_key().decode())
        refused = coach.open("/coach")
    assert refused.status_code == 500
    assert "The stored channels cannot be read" in text_of(refused.text)
    for page in (shown, refused):
        assert PASSWORD not in page.text
        assert TOKEN not in page.text
