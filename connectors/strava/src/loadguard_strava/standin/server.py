"""The HTTP server: handler, routing, the request log and :class:`StravaStandIn`'s lifecycle."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from .api import Api
from .limits import Limits, fault_reply
from .oauth import OAuth
from .replies import Reply, error_reply
from .state import Request
from .webhooks import Webhooks

_LOGGED_HEADERS = ("authorization", "content-type", "user-agent", "accept")
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), name)
    for m, p, name in [
        ("GET", r"/oauth/authorize", "authorize_page"),
        ("POST", r"/oauth/authorize", "authorize_submit"),
        ("POST", r"/oauth/token", "token"),
        ("POST", r"/(?:api/v3/)?oauth/(?:deauthorize|revoke)", "deauthorize"),
        ("GET", r"/api/v3/athlete", "athlete"),
        ("GET", r"/api/v3/athlete/activities", "activities"),
        ("GET", r"/api/v3/activities/(?P<id>\d+)", "activity"),
        ("PUT", r"/api/v3/activities/(?P<id>\d+)", "update"),
        ("GET", r"/api/v3/activities/(?P<id>\d+)/streams", "streams"),
        ("GET", r"/api/v3/gear/(?P<id>[^/]+)", "gear"),
        ("POST", r"/api/v3/push_subscriptions", "subscribe"),
        ("GET", r"/api/v3/push_subscriptions", "subscriptions"),
        ("DELETE", r"/api/v3/push_subscriptions/(?P<id>\d+)", "unsubscribe"),
    ]
]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StravaStandIn


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body in separate writes: no 40 ms stalls
    protocol_version = "HTTP/1.1"
    server_version = "StravaStandIn/1.0"
    timeout = 30

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the stand-in keeps its own request log."""

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = cast(_Server, self.server).standin._handle(method, self.path, headers, raw)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status != 204:
                self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts)
            self.close_connection = True


class StravaStandIn(Api, OAuth, Webhooks, Limits):
    """The Strava API on a local port; a context manager (``__enter__`` starts it)."""

    # Lifecycle

    def start(self) -> StravaStandIn:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self._host, self._port), _Handler)
        server.standin = self
        self._server = server
        self._base_url = f"http://{self._host}:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="strava-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping on "slow"/"timeout" faults
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> StravaStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if self._base_url is None:
            raise RuntimeError("the stand-in is not started: use start() or a with block")
        return self._base_url

    # Request log

    @property
    def requests(self) -> list[Request]:
        """Every request received, oldest first (a snapshot)."""
        with self._lock:
            return list(self._requests)

    def count(self, method: str = "GET", path_prefix: str = "/api/v3") -> int:
        """Requests with this method ("*" for any) whose path starts with ``path_prefix``."""
        with self._lock:
            return sum(
                1
                for r in self._requests
                if (method == "*" or r.method == method) and r.path.startswith(path_prefix)
            )

    def clear_log(self) -> None:
        with self._lock:
            self._requests.clear()

    # Internals: HTTP

    def _handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        entry = Request(
            method=method,
            path=path,
            query=query,
            headers={k: headers[k] for k in _LOGGED_HEADERS if k in headers},
            time=datetime.now(UTC),
        )
        with self._lock:
            self._requests.append(entry)
        form: dict[str, Any] = {}
        if raw and headers.get("content-type", "").startswith("application/json"):
            try:
                loaded = json.loads(raw)
            except ValueError:
                entry.status = 400
                return error_reply(400, "Bad Request", ("Request", "body", "invalid"))
            form = loaded if isinstance(loaded, dict) else {}
        elif raw:
            form = dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
        reply = self._respond(method, path, {**query, **form}, headers)
        entry.status = reply.status
        return reply

    def _respond(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> Reply:
        api = path.startswith("/api/v3")
        rate: dict[str, str] = {}
        if api:
            with self._lock:
                self._roll_window()
                self._usage[0] += 1
                self._usage[1] += 1
                if method == "GET":
                    self._usage[2] += 1
                    self._usage[3] += 1
                rate = self._rate_headers(method)
        fault = self._take_fault(path)
        if fault is not None and fault.kind in {"slow", "timeout"}:
            self._stopping.wait(fault.seconds)
        elif fault is not None:
            reply = fault_reply(fault.kind)
            if api:
                with self._lock:
                    reply.headers.update(self._rate_headers(method, exhausted=fault.kind == "429"))
            return reply
        if api:
            with self._lock:
                over = self._over_limit(method)
            if over:
                reply = error_reply(
                    429, "Rate Limit Exceeded", ("Application", "rate limit", "exceeded")
                )
                reply.headers.update(rate)
                return reply
        reply = self._route(method, path, params, headers)
        if api:
            reply.headers = {**rate, **reply.headers}
        return reply

    def _route(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> Reply:
        allowed = False
        for verb, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if verb != method:
                allowed = True
                continue
            handler: Callable[..., Reply] = getattr(self, f"_r_{name}")
            return handler(params=params, headers=headers, **match.groupdict())
        if allowed:
            return error_reply(405, "Method Not Allowed", ("resource", "method", "invalid"))
        return error_reply(404, "Record Not Found", ("resource", "path", "invalid"))
