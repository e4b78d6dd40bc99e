"""Alerts through the outbox to real servers on 127.0.0.1: an HTTP receiver (apprise json://
and ntfy://) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from builders import PLAN_START
from loadguard import settings
from loadguard.alerts import delivery, texts
from loadguard.app import digests, service
from loadguard.contract import Athlete
from loadguard.store.db import Store
from receivers import Receiver, free_port, receiver, smtp_server

RED_DAY = date(2026, 3, 5)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def anna_hook(hook: Receiver, more: str = "") -> str:
    """Settings: anna's alerts to the receiver's /a, plus ``more`` of her table."""
    return f'[alerts.anna]\nchannels = ["json://127.0.0.1:{hook.port}/a"]\n{more}'


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> settings.Settings:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(path))
    settings.current.cache_clear()
    return settings.current()


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    with Store(db) as s:
        s.add_athlete("anna", "Anna", "heel-fat-pad", PLAN_START, "Europe/Copenhagen")
        s.add_athlete("bo", "Bo", "heel-fat-pad", PLAN_START, "Europe/Copenhagen")
        yield s


def red_day(store: Store, who: str = "anna", day: date = RED_DAY, score: int = 8) -> Athlete:
    athlete = store.athlete(who)
    service.log_pain(store, athlete, score, "rest", day)
    return athlete


def sends(store: Store) -> list[tuple[str, str, str]]:
    return store.conn.execute(
        "SELECT n.recipient, n.kind, s.status FROM sends s JOIN notices n ON n.id = s.notice_id"
        " ORDER BY s.id"
    ).fetchall()


def test_a_red_pain_day_is_alerted_once_and_again_only_when_it_escalates(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(tmp_path, monkeypatch, anna_hook(hook))
    athlete = store.athlete("anna")
    day = PLAN_START + timedelta(days=10)
    service.log_pain(store, athlete, 4, "after", day)
    service.run_guard(store, athlete, "test", day + timedelta(days=3))  # unlogged morning: info
    assert hook.received == []  # below the warning floor
    service.log_pain(store, athlete, 7, "rest", day + timedelta(days=4))
    service.run_guard(store, athlete, "test", day + timedelta(days=4))
    service.run_guard(store, athlete, "test", day + timedelta(days=4))  # the same again
    titles = [m["body"]["title"] for m in hook.received]
    assert titles == ["loadguard - Anna: pain above 5 (critical)"]
    body = hook.received[0]["body"]["message"]
    assert "pain 7/10, above 5" in body
    assert "Reduce the load" in body
    assert "Silbernagel" in body  # the rule's source


def test_a_channel_that_fails_keeps_the_alert_and_sends_it_once_when_back(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = configure(tmp_path, monkeypatch, anna_hook(hook))
    hook.down = True
    service.run_guard(store, red_day(store), "test", RED_DAY)
    assert hook.received == []
    assert hook.refused == 1
    assert sends(store) == [("athlete:anna", "alert", "pending")]
    hook.down = False
    now = datetime.now(UTC)
    assert delivery.deliver_due(store, conf, now).sent == 0  # the back-off is not over yet
    later = now + timedelta(minutes=1)
    assert delivery.deliver_due(store, conf, later).sent == 1
    assert delivery.deliver_due(store, conf, later + timedelta(hours=1)).sent == 0
    assert len(hook.received) == 1
    assert sends(store) == [("athlete:anna", "alert", "sent")]


def test_a_dead_channel_holds_up_no_other_and_loses_nothing(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = free_port()  # nothing listens here
    configure(
        tmp_path,
        monkeypatch,
        f'[alerts.anna]\nchannels = ["json://127.0.0.1:{dead}/x",'
        f' "json://127.0.0.1:{hook.port}/a"]\n',
    )
    service.run_guard(store, red_day(store), "test", RED_DAY)
    assert len(hook.received) == 1
    statuses = sorted(s for _, _, s in sends(store))
    assert statuses == ["pending", "sent"]
    error = store.conn.execute("SELECT last_error FROM sends WHERE status = 'pending'").fetchone()
    assert f"json://127.0.0.1:{dead}/…" in error[0]


def test_an_email_alert_reaches_a_real_smtp_server_with_the_longer_text(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server() as (port, box):
        configure(
            tmp_path,
            monkeypatch,
            "[alerts.anna]\nchannels = ["
            f'"mailto://127.0.0.1:{port}?from=guard@loadguard.test&to=anna@example.org'
            '&mode=insecure"]\n',
        )
        service.run_guard(store, red_day(store), "test", RED_DAY)
        assert len(box.messages) == 1
    mail = box.messages[0]
    assert box.envelopes[0] == ("guard@loadguard.test", ["anna@example.org"])
    assert mail["Subject"] == "loadguard - Anna: pain above 5 (critical)"
    text = mail.get_body(("plain",))
    assert text is not None
    content = text.get_content().replace("\r\n", "\n")
    assert "loadguard found something in Anna's training on 2026-03-05" in content
    assert "pain 8/10 (rest)" in content  # the rule's own sentence, in the email only
    assert "Source (study): Pain monitoring 0-10" in content
    assert "Running per plan week, km:\n  1                      0.0\n" in content  # the chart


def test_an_ntfy_channel_gets_what_happened_what_to_do_and_the_source(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        tmp_path,
        monkeypatch,
        f'[alerts.anna]\nchannels = ["ntfy://127.0.0.1:{hook.port}/{{env:NTFY_TOPIC}}"]\n',
    )
    monkeypatch.setenv("NTFY_TOPIC", "anna-heel-7f3a")
    service.run_guard(store, red_day(store), "test", RED_DAY)
    (got,) = hook.received
    assert got["body"]["topic"] == "anna-heel-7f3a"
    lines = got["body"]["message"].split("\n")
    assert lines[0] == "2026-03-05: pain 8/10, above 5."
    assert lines[1].startswith("Reduce the load")
    assert lines[2].startswith("Source (study):")
    assert len(got["body"]["message"]) < 400  # short enough for a phone notification
    stored = store.conn.execute("SELECT channel FROM sends").fetchone()[0]
    assert "anna-heel" not in stored  # the outbox keeps a key, not the URL
    assert "NTFY" not in stored


def test_an_alert_in_quiet_hours_is_held_and_sent_when_they_end(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = configure(
        tmp_path,
        monkeypatch,
        anna_hook(hook, 'quiet_hours = "22:00-07:00"\n'),
    )
    athlete = red_day(store)
    cph = ZoneInfo("Europe/Copenhagen")
    night = datetime(2026, 3, 5, 23, 30, tzinfo=cph)
    delivery.queue_findings(store, conf, service.check(store, athlete, RED_DAY), night)
    assert delivery.deliver_due(store, conf, night).sent == 0
    assert delivery.deliver_due(store, conf, night.replace(hour=23, minute=59)).sent == 0
    morning = datetime(2026, 3, 6, 7, 0, tzinfo=cph)
    assert delivery.deliver_due(store, conf, morning - timedelta(seconds=1)).sent == 0
    assert delivery.deliver_due(store, conf, morning).sent == 1
    assert len(hook.received) == 1


def test_a_coach_digest_lists_each_athletes_new_findings_in_one_message(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        tmp_path,
        monkeypatch,
        f'[coaches.mette]\nathletes = ["anna", "bo"]\ndigest = "07:30"\n'
        f'channels = ["json://127.0.0.1:{hook.port}/coach"]\n',
    )
    service.run_guard(store, red_day(store, "anna"), "test", RED_DAY)
    service.run_guard(store, red_day(store, "bo", RED_DAY, 6), "test", RED_DAY)
    assert hook.received == []  # a digest coach gets nothing alert by alert
    assert service.send_digest(store, "mette", RED_DAY).sent == 1
    (digest,) = hook.received
    assert digest["body"]["title"] == "loadguard: 2 new findings for your athletes"
    lines = digest["body"]["message"].split("\n")
    assert lines == [
        "Anna (anna)",
        "- critical: 2026-03-05: pain 8/10, above 5.",
        "Bo (bo)",
        "- critical: 2026-03-05: pain 6/10, above 5.",
    ]
    assert service.send_digest(store, "mette", RED_DAY).sent == 0  # nothing new: no empty digest
    next_day = RED_DAY + timedelta(days=1)
    service.run_guard(store, red_day(store, "bo", next_day, 9), "test", next_day)
    (coach,) = delivery.recipients(store, settings.current())
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert digests.queue(store, coach, tomorrow, next_day) is not None
    assert digests.queue(store, coach, tomorrow, next_day) is None  # one a day, however often
    assert delivery.deliver_due(store, settings.current(), tomorrow).sent == 1
    assert [m["body"]["message"] for m in hook.received][1:] == [
        "Bo (bo)\n- critical: 2026-03-06: pain 9/10, above 5."
    ]


def test_a_danish_runner_and_an_english_coach_each_read_their_own_language(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        tmp_path,
        monkeypatch,
        f'[alerts.anna]\nlanguage = "da"\nchannels = ["json://127.0.0.1:{hook.port}/anna"]\n'
        f'[coaches.mette]\nathletes = ["anna"]\ndigest = ""\n'
        f'channels = ["json://127.0.0.1:{hook.port}/coach"]\n',
    )
    service.run_guard(store, red_day(store), "test", RED_DAY)
    by_path = {m["path"]: m["body"] for m in hook.wait_for(2)}
    assert by_path["/anna"]["title"] == "loadguard - Anna: smerte over 5 (kritisk)"
    assert by_path["/anna"]["message"].startswith("2026-03-05: smerte 8/10, over 5.\nSkru ned")
    assert "Kilde (studie):" in by_path["/anna"]["message"]
    assert by_path["/coach"]["title"] == "loadguard - Anna: pain above 5 (critical)"


def test_a_finding_resolved_before_it_was_sent_is_not_sent(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = configure(
        tmp_path,
        monkeypatch,
        anna_hook(hook, 'quiet_hours = "00:00-23:59"\n'),
    )
    athlete = red_day(store)
    now = datetime.now(UTC)
    delivery.queue_findings(store, conf, service.check(store, athlete, RED_DAY), now)
    store.conn.execute("DELETE FROM pain_entries")  # the entry was a typo, taken back
    delivery.queue_findings(store, conf, service.check(store, athlete, RED_DAY), now)
    assert sends(store) == [("athlete:anna", "alert", "cancelled")]
    assert delivery.deliver_due(store, conf, now + timedelta(days=1)).sent == 0


def test_findings_older_than_a_week_are_left_to_check_not_alerted(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(tmp_path, monkeypatch, anna_hook(hook))
    report = service.run_guard(store, red_day(store), "test", RED_DAY + timedelta(days=8))
    assert [f.rule for f in report.findings if f.rule == "pain_red"] == ["pain_red"]
    assert hook.received == []
    assert sends(store) == []


def test_two_workers_never_send_the_same_alert_twice(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = configure(
        tmp_path,
        monkeypatch,
        anna_hook(hook, 'quiet_hours = "00:00-23:59"\n'),
    )
    for day in range(5):
        red_day(store, day=RED_DAY + timedelta(days=day))
    report = service.check(store, store.athlete("anna"), RED_DAY + timedelta(days=4))
    assert delivery.queue_findings(store, conf, report, datetime.now(UTC)) == 5
    conf = configure(tmp_path, monkeypatch, anna_hook(hook))
    later = datetime.now(UTC) + timedelta(days=1)

    def worker() -> None:
        with Store(store.target) as own:
            delivery.deliver_due(own, conf, later)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(hook.received) == 5
    assert len({m["body"]["message"] for m in hook.received}) == 5


def test_the_weekly_summary_tells_volume_cap_surfaces_shoes_and_pain(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        tmp_path,
        monkeypatch,
        anna_hook(hook, 'weekly_summary = "mon 08:00"\n'),
    )
    athlete = store.athlete("anna")
    store.add_shoe("anna", "Daily trainer", initial_km=120)
    service.log_pain(store, athlete, 2, "morning", date(2026, 3, 3))
    service.log_pain(store, athlete, 1, "morning", date(2026, 3, 4))
    report = service.check(store, athlete, date(2026, 3, 10))  # plan week 2: summary of week 1
    payload = delivery.summary_payload(report)
    assert payload is not None
    text = texts.summary_text(payload, "en")
    assert text.title == "loadguard: Anna's week 1"
    assert text.body.split("\n") == [
        "Running: 0.0 km in 0 runs (no week before to compare with).",
        "No weekly cap applies in this stage (run/walk 1:2).",
        "Surfaces: none.",
        "Shoes: Daily trainer 120 km (ok).",
        "Morning pain, last 14 days: 2 1.",
        "Open findings this week: 0.",
    ]
    assert texts.summary_text(payload, "da").title == "loadguard: Annas uge 1"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


def test_a_failed_send_says_why_without_the_secrets_in_its_url(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        tmp_path,
        monkeypatch,
        f'[alerts.anna]\nchannels = ["ntfy://127.0.0.1:{hook.port}/{{env:NTFY_TOPIC}}"]\n',
    )
    monkeypatch.setenv("NTFY_TOPIC", "anna-secret-topic")
    hook.down = True
    root, logged = logging.getLogger(), _Collect()  # what a daemon's log would show
    level = root.level
    root.addHandler(logged)
    root.setLevel(logging.DEBUG)
    try:
        service.run_guard(store, red_day(store), "test", RED_DAY)
    finally:
        root.removeHandler(logged)
        root.setLevel(level)
    (error,) = store.conn.execute("SELECT last_error FROM sends").fetchone()
    assert error == (
        f"channel ntfy://127.0.0.1:{hook.port}/… did not accept the message: Failed to send"
        " ntfy notification to topic '…': Servers are overloaded., error=503."
    )
    assert not [line for line in logged.lines if "anna-secret-topic" in line]


def test_a_worn_shoe_is_named_at_500_km_and_told_to_retire_at_800(
    store: Store, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(tmp_path, monkeypatch, anna_hook(hook))
    athlete = store.athlete("anna")
    shoe = store.add_shoe("anna", "Daily trainer", initial_km=520, default_from=PLAN_START)
    service.run_guard(store, athlete, "test", RED_DAY)
    service.run_guard(store, athlete, "test", RED_DAY + timedelta(days=1))  # still worn: no more
    store.set_initial_km(shoe.id, 805)
    service.run_guard(store, athlete, "test", RED_DAY + timedelta(days=2))
    messages = [(m["body"]["title"], m["body"]["message"].split("\n")[:2]) for m in hook.received]
    assert messages == [
        (
            "loadguard - Anna: shoe worn (warning)",
            [
                "Shoe 'Daily trainer': 520 km; the limit is 500 km.",
                "Plan a new pair; retire this one at 800 km.",
            ],
        ),
        (
            "loadguard - Anna: shoe worn (critical)",
            [
                "Shoe 'Daily trainer': 805 km; the limit is 800 km.",
                "Retire it: past 800 km its cushioning is spent.",
            ],
        ),
    ]
