"""`loadguard serve`: the HTTP front for providers that push (webhooks). Thin.

A POST is validated and queued in the store, and answered at once (Strava
wants an answer within 2 s); a worker thread does the slow part (fetching,
storing, running the guard) through :func:`loadguard.app.service.process_events`.
Each thread has its own SQLite connection.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from loadguard.app import service
from loadguard.app.daemon import Daemon
from loadguard.sources import registry
from loadguard.sources.registry import UnknownConnector
from loadguard.store.accounts import queue_event
from loadguard.store.db import Store

MAX_BODY = 64 * 1024


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body in separate writes: no 40 ms stalls
    server: GuardServer

    def log_message(self, format: str, *args: object) -> None:  # quiet by default
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _receiver_name(self) -> str | None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        return parts[1] if len(parts) == 2 and parts[0] == "webhooks" else None

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/health":
            self._send(HTTPStatus.OK, {"ok": True, "webhooks": registry.webhook_names()})
            return
        name = self._receiver_name()
        if name is None:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {path}"})
            return
        try:
            receiver = registry.webhook(name)
        except UnknownConnector as exc:
            self._send(HTTPStatus.NOT_FOUND, {"error": str(exc)})
            return
        status, body = receiver.challenge(dict(parse_qsl(urlsplit(self.path).query)))
        self._send(status, dict(body))

    def do_POST(self) -> None:
        name = self._receiver_name()
        if name is None:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "event body too large"})
            return
        body = self.rfile.read(length)
        try:
            receiver = registry.webhook(name)
            event = receiver.accept(body)
        except UnknownConnector as exc:
            self._send(HTTPStatus.NOT_FOUND, {"error": str(exc)})
            return
        except ValueError as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        with Store(self.server.db) as store:
            fresh = queue_event(store, name, event.key, dict(event.payload))
        self.server.wake.set()
        self._send(HTTPStatus.OK, {"queued": fresh})


class GuardServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        db: Path,
        host: str = "127.0.0.1",
        port: int = 8080,
        verbose: bool = False,
        *,
        scheduler: bool = False,
    ):
        super().__init__((host, port), _Handler)
        self.daemon: Daemon | None = Daemon(db) if scheduler else None
        self.db = db
        self.verbose = verbose
        self.wake = threading.Event()
        self._stopping = threading.Event()
        self._worker = threading.Thread(target=self._work, name="loadguard-events", daemon=True)
        self.errors: list[str] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> GuardServer:
        """Serve and work in background threads (tests, embedding); see serve_forever."""
        if self.daemon:
            self.daemon.start()
        self._worker.start()
        threading.Thread(target=self.serve_forever, name="loadguard-http", daemon=True).start()
        return self

    def run(self) -> None:
        """Serve in this thread until interrupted (the CLI)."""
        if self.daemon:
            self.daemon.start()
        self._worker.start()
        try:
            self.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()
        if self.daemon:
            self.daemon.stop()
        self.shutdown()
        self.server_close()

    def _work(self) -> None:
        with Store(self.db) as store:
            while not self._stopping.is_set():
                self.wake.wait(timeout=1.0)
                self.wake.clear()
                try:
                    while service.process_events(store):
                        pass
                except Exception as exc:  # keep serving; the event stays listed as failed
                    self.errors.append(f"{type(exc).__name__}: {exc}")
