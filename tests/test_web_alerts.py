"""A runner's alert page on the served app: channels added, shown without their secrets,
tested against a real receiver on 127.0.0.1, removed; severity and quiet hours saved and
used by the delivery; bad input named next to its field, nothing stored."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from loadguard import settings
from loadguard.alerts import delivery
from loadguard.store.db import Store
from receivers import Receiver, receiver
from webapp import Browser, add_runner, served, text_of


@dataclass
class Runner:
    browser: Browser
    db: Path
    page: str  # /a/<athlete id>/alerts
    inbox: Receiver


@pytest.fixture
def anna(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runner]:
    """Anna signed in; the operator lets channels name local addresses (the receiver
    listens on 127.0.0.1)."""
    conf = tmp_path / "settings.toml"
    conf.write_text("[web]\nlocal_channels = true\n")
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(conf))
    settings.current.cache_clear()
    db = tmp_path / "lg.sqlite"
    user = add_runner(db, "anna@example.org")
    with receiver() as inbox, served(db) as server:
        browser = Browser(server.url)
        browser.login("anna@example.org")
        yield Runner(browser, db, f"/a/{user.athlete_id}/alerts", inbox)


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def recipient(db: Path) -> delivery.Recipient:
    with Store(db) as store:
        (anna,) = delivery.recipients(store, settings.current())
    return anna


def test_a_channel_is_added_shown_without_its_password_and_the_test_message_arrives(
    anna: Runner,
) -> None:
    url = f"json://anna:hunter22secret@127.0.0.1:{anna.inbox.port}/anna"
    added = anna.browser.send_form(f"{anna.page}/channels", {"url": url})
    said = text_of(added.text)
    assert "The channel is added" in said
    assert f"json://127.0.0.1:{anna.inbox.port}/…" in said
    assert "hunter22secret" not in added.text
    tested = anna.browser.send_form(f"{anna.page}/test")
    assert "Test message: 1 sent, 0 failed" in text_of(tested.text)
    (message,) = anna.inbox.wait_for(1)
    assert message["path"] == "/anna"
    assert "anna" in str(message["body"]).lower()
    again = anna.browser.send_form(f"{anna.page}/channels", {"url": url})
    assert "was there already" in text_of(again.text)
    assert count(anna.db, "alert_channels") == 1


def test_a_removed_channel_gets_nothing_more(anna: Runner) -> None:
    url = f"json://127.0.0.1:{anna.inbox.port}/anna"
    page = anna.browser.send_form(f"{anna.page}/channels", {"url": url}).text
    (key,) = re.findall(r'name="channel" value="([0-9a-f]+)"', page)
    removed = anna.browser.send_form(f"{anna.page}/channels/remove", {"channel": key})
    assert "The channel is removed" in text_of(removed.text)
    assert count(anna.db, "alert_channels") == 0
    twice = anna.browser.send_form(f"{anna.page}/channels/remove", {"channel": key})
    assert twice.status_code == 400
    assert 'id="channel-error"' in twice.text
    untested = anna.browser.send_form(f"{anna.page}/test")
    assert "Add a channel first" in text_of(untested.text)
    assert anna.inbox.received == []


def test_severity_and_quiet_hours_are_saved_and_the_delivery_uses_them(anna: Runner) -> None:
    anna.browser.send_form(
        f"{anna.page}/channels", {"url": f"json://127.0.0.1:{anna.inbox.port}/a"}
    )
    assert (recipient(anna.db).min_severity, recipient(anna.db).quiet_hours) == ("warning", "")
    saved = anna.browser.send_form(
        f"{anna.page}/choices", {"min_severity": "critical", "quiet_hours": "22.00 - 07.00"}
    )
    assert "Saved" in text_of(saved.text)
    assert 'value="22:00-07:00"' in saved.text
    assert (recipient(anna.db).min_severity, recipient(anna.db).quiet_hours) == (
        "critical",
        "22:00-07:00",
    )
    assert not recipient(anna.db).wants("warning")


@pytest.mark.parametrize(
    ("path", "form", "field", "words"),
    [
        ("channels", {"url": ""}, "url", "Give a channel URL"),
        ("channels", {"url": "my phone please"}, "url", "is not a channel URL"),
        ("channels", {"url": "nosuchscheme://host/x"}, "url", "nosuchscheme://host/"),
        ("channels", {"url": "json://example.org/{env:LOADGUARD_TOKEN_KEY}"}, "url", "operator"),
        ("choices", {"min_severity": "loud", "quiet_hours": ""}, "min_severity", "Choose info"),
        (
            "choices",
            {"min_severity": "info", "quiet_hours": "25:00-07:00"},
            "quiet_hours",
            "22:00-07:00",
        ),
        ("choices", {"min_severity": "info", "quiet_hours": "late"}, "quiet_hours", "two times"),
    ],
)
def test_a_bad_channel_or_choice_is_named_next_to_its_field_and_stores_nothing(
    anna: Runner, path: str, form: dict[str, str], field: str, words: str
) -> None:
    answer = anna.browser.send_form(f"{anna.page}/{path}", form)
    assert answer.status_code == 400
    error = re.search(rf'<p class="error" id="{field}-error"[^>]*>(.*?)</p>', answer.text)
    assert error is not None, answer.text
    assert words in error.group(1)
    assert count(anna.db, "alert_channels") == 0
    assert count(anna.db, "alert_choices") == 0


@pytest.mark.parametrize(
    "url",
    [
        "json://127.0.0.1:8080/x",
        "json://localhost/x",
        "json://10.1.2.3/x",
        "json://[::1]:9/x",
        "ntfy://192.168.1.5/topic",
    ],
)
def test_a_channel_into_the_servers_own_network_is_refused_unless_the_operator_allows_it(
    tmp_path: Path, url: str
) -> None:
    db = tmp_path / "lg.sqlite"
    user = add_runner(db, "stranger@example.org")
    with served(db) as server:
        browser = Browser(server.url)
        browser.login("stranger@example.org")
        answer = browser.send_form(f"/a/{user.athlete_id}/alerts/channels", {"url": url})
        public = browser.send_form(
            f"/a/{user.athlete_id}/alerts/channels", {"url": "ntfy://ntfy.sh/heel-alerts"}
        )
    assert answer.status_code == 400
    assert "private network" in text_of(answer.text)
    assert "The channel is added" in text_of(public.text)
    assert count(db, "alert_channels") == 1


def test_a_danish_runner_reads_the_alert_page_and_its_errors_in_danish(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    user = add_runner(db, "mette@example.org", language="da")
    with served(db) as server:
        browser = Browser(server.url)
        browser.login("mette@example.org")
        page = text_of(browser.open(f"/a/{user.athlete_id}/alerts").text)
        bad = browser.send_form(
            f"/a/{user.athlete_id}/alerts/choices", {"min_severity": "info", "quiet_hours": "x"}
        )
    assert "Hvor dine advarsler sendes hen" in page
    assert "Stille timer" in page
    assert "Stille timer er to klokkeslæt" in text_of(bad.text)
