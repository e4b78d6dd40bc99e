"""Alerts through the outbox to a real HTTP receiver on 127.0.0.1 (apprise json://)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from builders import PLAN_START
from loadguard import alerts, service
from loadguard.store import alerts as outbox
from loadguard.store.db import Store


class Receiver(ThreadingHTTPServer):
    received: list[dict[str, object]]
    fail_next: int


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.fail_next > 0:
            self.server.fail_next -= 1
            self.send_response(503)
        else:
            self.server.received.append(json.loads(body))
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), _Handler)
    server.received, server.fail_next = [], 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def store(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Store:
    port = receiver.server_address[1]
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text(
        f'[alerts.anna]\nchannels = ["json://127.0.0.1:{port}/{{env:HOOK_PATH}}"]\n'
    )
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(settings_file))
    monkeypatch.setenv("HOOK_PATH", "secret-path")
    s = Store(tmp_path / "lg.sqlite")
    s.add_athlete("anna", "Anna", "heel-fat-pad", PLAN_START, "UTC")
    return s


def test_a_red_pain_day_is_alerted_once_and_again_only_when_it_escalates(
    store: Store, receiver: Receiver
) -> None:
    athlete = store.athlete("anna")
    day = PLAN_START + timedelta(days=10)
    service.log_pain(store, athlete, 4, "after", day)
    service.run_guard(store, athlete, "test", day + timedelta(days=3))  # unlogged morning: info
    assert receiver.received == []  # below the warning floor
    service.log_pain(store, athlete, 7, "rest", day + timedelta(days=4))
    service.run_guard(store, athlete, "test", day + timedelta(days=4))
    service.run_guard(store, athlete, "test", day + timedelta(days=4))  # the same again
    titles = [str(m["title"]) for m in receiver.received]
    assert titles == ["loadguard: pain red (critical)"]
    assert "reduce the load" in str(receiver.received[0]["message"])


def test_a_channel_that_fails_keeps_the_alert_and_sends_it_once_when_back(
    store: Store, receiver: Receiver
) -> None:
    athlete = store.athlete("anna")
    receiver.fail_next = 1
    service.log_pain(store, athlete, 8, "rest", date(2026, 3, 5))
    service.run_guard(store, athlete, "test", date(2026, 3, 5))
    assert receiver.received == []
    pending = store.conn.execute("SELECT status, attempts FROM deliveries").fetchall()
    assert pending == [("pending", 1)]
    store.conn.execute("UPDATE deliveries SET next_try_at = '2000-01-01'")  # back-off over
    assert alerts.deliver_due(store) == (1, 0)
    assert alerts.deliver_due(store) == (0, 0)
    assert len(receiver.received) == 1


def test_channel_secrets_are_redacted_and_a_missing_variable_is_named() -> None:
    url = "json://user:pa55@hooks.example/{env:NOPE_NOT_SET}"
    assert "pa55" not in alerts.redact(url)
    with pytest.raises(alerts.ChannelError, match="NOPE_NOT_SET"):
        alerts.expand(url)
    assert outbox.BACKOFF_S[0] > 0
