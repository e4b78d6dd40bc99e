"""Real parts for the alert tests: an HTTP receiver (apprise json:// and ntfy://), an SMTP
server (aiosmtpd), both on 127.0.0.1, and FIT runs that break the plan, written as real
files by the FIT connector."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from aiosmtpd.controller import Controller

from loadguard.contract import Activity, SampleWriter, Streams
from loadguard.sources import registry


class Receiver(ThreadingHTTPServer):
    """Records every POST (path, JSON or text body, when); answers 503 while ``down``."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self.down = False
        self.fail_next = 0
        self.stall = 0.0  # seconds a refusal takes (a sender can die waiting)
        self.arrived = threading.Condition()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The messages once ``count`` have arrived (or what arrived by the timeout)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.down or self.server.fail_next > 0:
            self.server.fail_next = max(0, self.server.fail_next - 1)
            self.server.refused += 1
            time.sleep(self.server.stall)
            self.send_response(503)
        else:
            try:
                content: Any = json.loads(body)
            except ValueError:
                content = body.decode("utf-8", "replace")
            entry = {
                "path": self.path,
                "body": content,
                "title": self.headers.get("X-Title", ""),
                "at": time.time(),
            }
            with self.server.arrived:
                self.server.received.append(entry)
                self.server.arrived.notify_all()
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def receiver(port: int = 0) -> Iterator[Receiver]:
    server = Receiver(port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, _Mailbox]]:
    box = _Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


def paved_run(start: datetime, minutes: float = 18.0, name: str = "") -> Activity:
    """Run/walk 1:2 as weeks 1-2 prescribe, with no GPS, on a watch that labelled it
    'street': paved ground by its label, so in the soft-ground weeks only the surface
    rule fires."""
    n = int(minutes * 60)
    t = np.arange(n, dtype=np.float64)
    speed = np.where(t % 180 < 60, 2.8, 1.3).astype(np.float32)
    distance = np.cumsum(speed, dtype=np.float64)
    return Activity(
        source="test",
        source_id=start.isoformat(),
        sport="running",
        sub_sport="street",
        start_utc=start,
        distance_m=float(distance[-1]),
        timer_s=float(n),
        elapsed_s=float(n),
        name=name,
        streams=Streams({"t": t, "distance_m": distance, "speed_mps": speed}),
    )


def drop_fit(activity: Activity, folder: Path, staging: Path) -> Path:
    """Write the run as a real FIT file and move it into ``folder`` at once (as a watch
    sync finishes a file), so a scan never sees it half-written."""
    writer = registry.connector("fit")
    assert isinstance(writer, SampleWriter)
    staging.mkdir(parents=True, exist_ok=True)
    (written,) = writer.write_samples([activity], staging)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / written.name
    os.replace(written, target)
    past = time.time() - 1  # settled
    os.utime(target, (past, past))
    return target


def recent_start(hours_ago: float = 1.0) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_ago)


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()
