"""A local, faithful stand-in for the Strava API: OAuth, activities, streams, gear, webhooks.

A real HTTP server on 127.0.0.1 (stdlib ``ThreadingHTTPServer`` in a daemon thread) that an
unmodified stravalib reaches through :class:`loadguard_strava.http.RewritingSession`::

    with StravaStandIn() as strava:
        strava.add_athlete(1001)
        strava.add_activities(1001, 30, first=datetime(2026, 3, 1, 6, 30, tzinfo=UTC))
        tokens = strava.grant_token(1001)
        client = Client(tokens["access_token"], rate_limit_requests=False,
                        requests_session=RewritingSession(strava.base_url))

Also from a shell: ``python -m loadguard_strava.standin --port 8765 --activities 50``.

It answers as Strava does: the same paths, JSON shapes, error bodies, rate-limit headers
(GETs count toward the read and the overall limits), rotating refresh tokens, the webhook
subscription handshake and event pushes. Tests inject faults with :meth:`fail_next`.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

from loadguard_strava.standin_data import (
    JSON,
    SPORT_TYPES,
    STREAM_TYPES,
    Activity,
    Athlete,
    RecordingSpec,
    Shoe,
    default_shoes,
    iso_z,
    record,
    shoe_from_dict,
    stream_json,
)

__all__ = ["FAULT_KINDS", "Delivery", "Request", "StravaStandIn", "demo", "main"]

FAULT_KINDS = frozenset({"429", "500", "slow", "401", "403_inactive", "timeout"})
SCOPES = frozenset(
    {
        "read",
        "read_all",
        "profile:read_all",
        "profile:write",
        "activity:read",
        "activity:read_all",
        "activity:write",
    }
)
_LOGGED_HEADERS = ("authorization", "content-type", "user-agent", "accept")
_HANDSHAKE_TIMEOUT_S = 2.0


@dataclass
class Request:
    """One request the stand-in received (logged on arrival; ``status`` once answered)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    time: datetime
    status: int | None = None


@dataclass(frozen=True)
class Delivery:
    """One webhook push: the event, the callback's HTTP status (0: no answer), seconds taken."""

    event: JSON
    status: int
    seconds: float


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Token:
    athlete_id: int
    scope: frozenset[str]
    expires_at: int
    refresh_token: str


@dataclass
class _Code:
    athlete_id: int
    scope: frozenset[str]
    client_id: str


@dataclass
class _Fault:
    path_prefix: str
    kind: str
    remaining: int
    seconds: float


@dataclass
class _Subscription:
    id: int
    callback_url: str
    verify_token: str
    created_at: datetime


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, json.dumps(body).encode(), headers=dict(headers or {}))


def _error(status: int, message: str, *errors: tuple[str, str, str]) -> _Reply:
    return _json(
        status,
        {
            "message": message,
            "errors": [{"resource": r, "field": f, "code": c} for r, f, c in errors],
        },
    )


def _unauthorized() -> _Reply:
    return _error(401, "Authorization Error", ("Athlete", "access_token", "invalid"))


def _not_found(resource: str) -> _Reply:
    return _error(404, "Record Not Found", (resource, "id", "not found"))


def _missing_scope(permission: str) -> _Reply:
    return _error(401, "Authorization Error", ("AccessToken", permission, "missing"))


def _fault_reply(kind: str) -> _Reply:
    if kind == "429":
        return _error(429, "Rate Limit Exceeded", ("Application", "rate limit", "exceeded"))
    if kind == "500":
        return _json(500, {"message": "Internal Server Error"})
    if kind == "401":
        return _unauthorized()
    return _error(403, "Forbidden", ("Application", "Status", "Inactive"))


def _scope_set(scope: str) -> frozenset[str]:
    return frozenset(s for s in re.split(r"[,\s]+", scope) if s) | {"read"}


def _scope_str(scope: frozenset[str]) -> str:
    order = ["read", "read_all", "profile:read_all", "profile:write"]
    order += ["activity:read", "activity:read_all", "activity:write"]
    return ",".join(s for s in order if s in scope)


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


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


class StravaStandIn:
    """The Strava API on a local port; a context manager (``__enter__`` starts it)."""

    def __init__(
        self,
        client_id: str = "1234",
        client_secret: str = "s3cret",
        *,
        rate_limit: tuple[int, int] = (200, 2000),
        read_rate_limit: tuple[int, int] = (100, 1000),
        token_lifetime_s: int = 21600,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_clock: Callable[[], float] = time.time,
    ) -> None:
        """``rate_clock`` (epoch seconds) places requests in 15-minute and daily windows;
        tests pass a fixed one so that no window rolls over between two requests."""
        self.client_id = str(client_id)
        self.client_secret = client_secret
        self.rate_limit = rate_limit
        self.read_rate_limit = read_rate_limit
        self.token_lifetime_s = token_lifetime_s
        self._host, self._port = host, port
        self._rate_clock = rate_clock
        self._lock = threading.RLock()
        self._delivered = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        self._athletes: dict[int, Athlete] = {}
        self._activities: dict[int, Activity] = {}
        self._next_activity_id = 17_000_000_001
        self._tokens: dict[str, _Token] = {}
        self._refresh: dict[str, tuple[int, frozenset[str]]] = {}
        self._codes: dict[str, _Code] = {}
        self._grants: dict[int, frozenset[str]] = {}
        self._faults: list[_Fault] = []
        self._usage = [0, 0, 0, 0]  # overall 15 min, overall day, read 15 min, read day
        self._window = self._current_window()
        self._subscription: _Subscription | None = None
        self._next_subscription_id = 300_001
        self._requests: list[Request] = []
        self._deliveries: list[Delivery] = []

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

    # Data

    def add_athlete(
        self,
        athlete_id: int = 1001,
        *,
        firstname: str = "Anna",
        lastname: str = "Runner",
        shoes: list[dict[str, Any]] | None = None,
        tz: str = "Europe/Copenhagen",
    ) -> int:
        """An athlete; by default with two shoes (``g{id}01`` primary, ``g{id}02`` retired)."""
        gear = (
            default_shoes(athlete_id)
            if shoes is None
            else [shoe_from_dict(athlete_id, i, raw) for i, raw in enumerate(shoes)]
        )
        with self._lock:
            self._athletes[athlete_id] = Athlete(athlete_id, firstname, lastname, gear, tz=tz)
        return athlete_id

    def add_activity(
        self,
        athlete_id: int,
        *,
        start: datetime,
        distance_m: float,
        moving_s: int,
        sport_type: str = "Run",
        name: str = "Morning Run",
        description: str = "",
        gear_id: str | None = None,
        private: bool = False,
        with_gps: bool = True,
        deliver: bool = False,
    ) -> int:
        """An activity and its streams; ``deliver`` also pushes the create event."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if sport_type not in SPORT_TYPES:
            raise ValueError(f"unknown sport_type {sport_type!r}")
        if moving_s < 1 or distance_m < 0:
            raise ValueError("moving_s must be >= 1 and distance_m >= 0")
        with self._lock:
            athlete = self._athlete(athlete_id)
            activity_id = self._next_activity_id
            self._next_activity_id += 1
        pause = 0 if not with_gps else (activity_id * 37) % 90
        spec = RecordingSpec(
            seed=activity_id,
            sport_type=sport_type,
            distance_m=float(distance_m),
            moving_s=int(moving_s),
            pause_s=pause,
            with_gps=with_gps,
            home=athlete.home,
        )
        activity = Activity(
            id=activity_id,
            athlete_id=athlete_id,
            start=start.astimezone(UTC).replace(microsecond=0),
            distance_m=float(distance_m),
            moving_s=int(moving_s),
            sport_type=sport_type,
            name=name,
            description=description,
            gear_id=gear_id,
            private=private,
            with_gps=with_gps,
            recording=record(spec),
        )
        with self._lock:
            self._activities[activity_id] = activity
        if deliver:
            self._push(self.event("activity", activity_id, "create", athlete_id))
        return activity_id

    def add_activities(
        self,
        athlete_id: int,
        n: int,
        *,
        first: datetime,
        every: timedelta = timedelta(days=1),
        **kw: Any,
    ) -> list[int]:
        """``n`` activities from ``first`` on; without ``distance_m`` they vary from 5 to 12 km."""
        ids = []
        for i in range(n):
            args = dict(kw)
            if "distance_m" not in args:
                args["distance_m"] = 5000.0 + (i * 2371) % 7000
            if "moving_s" not in args:
                pace = 300 + (i * 37) % 75  # 5:00 to 6:14 per km
                args["moving_s"] = int(args["distance_m"] / 1000.0 * pace)
            ids.append(self.add_activity(athlete_id, start=first + i * every, **args))
        return ids

    def update_activity(self, activity_id: int, *, deliver: bool = False, **changes: Any) -> None:
        """Change name/title, sport_type/type, private, gear_id, description, commute."""
        event = self._apply_update(activity_id, changes)
        if deliver and event is not None:
            self._push(event)

    def delete_activity(self, activity_id: int, *, deliver: bool = False) -> None:
        with self._lock:
            activity = self._activities.pop(activity_id, None)
        if activity is None:
            raise KeyError(activity_id)
        if deliver:
            self._push(self.event("activity", activity_id, "delete", activity.athlete_id))

    def activity(self, activity_id: int) -> JSON:
        """The activity's DetailedActivity JSON (for assertions)."""
        with self._lock:
            activity = self._activities[activity_id]
            return activity.detailed(self._athletes[activity.athlete_id], self._gear_json(activity))

    # Tokens

    def grant_token(
        self,
        athlete_id: int,
        *,
        scope: str = "read,activity:read_all,profile:read_all",
        expires_in: int | None = None,
    ) -> dict[str, Any]:
        """Tokens as after an OAuth approval: ``access_token``, ``refresh_token``, ``expires_at``."""
        scopes = _scope_set(scope)
        with self._lock:
            self._athlete(athlete_id)
            self._grants[athlete_id] = scopes
            access, refresh, expires_at = self._issue(athlete_id, scopes, expires_in)
        return {"access_token": access, "refresh_token": refresh, "expires_at": expires_at}

    def expire_tokens(self, athlete_id: int) -> None:
        """The athlete's access tokens are now expired (401); refresh tokens still work."""
        past = int(time.time()) - 1
        with self._lock:
            for token in self._tokens.values():
                if token.athlete_id == athlete_id:
                    token.expires_at = min(token.expires_at, past)

    def revoke(self, athlete_id: int) -> None:
        """Every token of the athlete stops working (401 on use, refresh refused)."""
        with self._lock:
            self._grants.pop(athlete_id, None)
            self._tokens = {k: v for k, v in self._tokens.items() if v.athlete_id != athlete_id}
            self._refresh = {k: v for k, v in self._refresh.items() if v[0] != athlete_id}
            self._codes = {k: v for k, v in self._codes.items() if v.athlete_id != athlete_id}

    def deauthorize(self, athlete_id: int, *, deliver: bool = False) -> None:
        """The athlete revokes the app in Strava's settings; ``deliver`` pushes the event."""
        with self._lock:
            was_authorized = athlete_id in self._grants
        self.revoke(athlete_id)
        if deliver and was_authorized:
            self._push(self._deauth_event(athlete_id), authorized_only=False)

    def approve_url(self, authorize_url: str, athlete_id: int, *, scope: str | None = None) -> str:
        """Where Strava would redirect the browser after the athlete clicks Authorize."""
        params = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
        problem = self._authorize_problem(params)
        if problem is not None:
            raise ValueError(problem.body.decode())
        granted = params.get("scope", "read") if scope is None else scope
        return self._approve(params, athlete_id, _scope_set(granted))

    def deny_url(self, authorize_url: str) -> str:
        """Where Strava would redirect the browser after the athlete clicks Cancel."""
        params = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
        state = params.get("state", "")
        return _with_query(params["redirect_uri"], {"state": state, "error": "access_denied"})

    # Faults and rate limits

    def fail_next(
        self, path_prefix: str, kind: str, *, times: int = 1, seconds: float = 3.0
    ) -> None:
        """The next ``times`` requests whose path starts with ``path_prefix`` fail as ``kind``.

        ``429``, ``500``, ``401``, ``403_inactive`` answer with Strava's error; ``slow`` and
        ``timeout`` sleep ``seconds`` and then answer normally (pick ``seconds`` above the
        client's timeout for ``timeout``)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(_Fault(path_prefix, kind, times, seconds))

    def exhaust_rate_limit(self, which: str = "read", *, daily: bool = False) -> None:
        """Usage at the 15-minute (or daily) limit: the next counted call gets 429."""
        if which not in {"read", "overall"}:
            raise ValueError("which must be 'read' or 'overall'")
        with self._lock:
            self._roll_window()
            base = 2 if which == "read" else 0
            limits = self.read_rate_limit if which == "read" else self.rate_limit
            slot = base + (1 if daily else 0)
            self._usage[slot] = max(self._usage[slot], limits[1 if daily else 0])

    def reset_rate_window(self, daily: bool = False) -> None:
        """A new 15-minute window (and, with ``daily``, a new day)."""
        with self._lock:
            self._usage[0] = self._usage[2] = 0
            if daily:
                self._usage[1] = self._usage[3] = 0

    @property
    def usage(self) -> dict[str, tuple[int, int]]:
        """Current usage: {"overall": (15 min, day), "read": (15 min, day)}."""
        with self._lock:
            self._roll_window()
            return {
                "overall": (self._usage[0], self._usage[1]),
                "read": (self._usage[2], self._usage[3]),
            }

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

    # Webhooks

    @property
    def subscription_id(self) -> int | None:
        with self._lock:
            return None if self._subscription is None else self._subscription.id

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook push made so far (a snapshot)."""
        with self._lock:
            return list(self._deliveries)

    def wait_for_deliveries(self, n: int, timeout: float = 5.0) -> list[Delivery]:
        """Block until ``n`` pushes were made (pushes for HTTP-triggered events are async)."""
        with self._delivered:
            self._delivered.wait_for(lambda: len(self._deliveries) >= n, timeout=timeout)
            return list(self._deliveries)

    def event(
        self,
        object_type: str,
        object_id: int,
        aspect_type: str,
        owner_id: int,
        updates: dict[str, Any] | None = None,
        event_time: int | None = None,
    ) -> JSON:
        """A webhook event in Strava's shape."""
        return {
            "aspect_type": aspect_type,
            "event_time": int(time.time()) if event_time is None else event_time,
            "object_id": object_id,
            "object_type": object_type,
            "owner_id": owner_id,
            "subscription_id": self.subscription_id or 0,
            "updates": dict(updates or {}),
        }

    def deliver(self, event: JSON, *, timeout: float = 2.0) -> tuple[int, float]:
        """POST ``event`` to the subscription's callback; (HTTP status or 0, seconds)."""
        with self._lock:
            subscription = self._subscription
        if subscription is None:
            raise LookupError("no push subscription: POST /api/v3/push_subscriptions first")
        request = urllib.request.Request(
            subscription.callback_url,
            data=json.dumps(event).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                answer.read()
                status = int(answer.status)
        except urllib.error.HTTPError as failure:
            status = failure.code
        except (urllib.error.URLError, OSError):
            status = 0
        seconds = time.perf_counter() - began
        with self._delivered:
            self._deliveries.append(Delivery(dict(event), status, seconds))
            self._delivered.notify_all()
        return status, seconds

    # Internals: state

    def _athlete(self, athlete_id: int) -> Athlete:
        try:
            return self._athletes[athlete_id]
        except KeyError:
            raise KeyError(f"no athlete {athlete_id}: add_athlete() first") from None

    def _issue(
        self, athlete_id: int, scope: frozenset[str], expires_in: int | None = None
    ) -> tuple[str, str, int]:
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        lifetime = self.token_lifetime_s if expires_in is None else expires_in
        expires_at = int(time.time()) + lifetime
        self._tokens[access] = _Token(athlete_id, scope, expires_at, refresh)
        self._refresh[refresh] = (athlete_id, scope)
        return access, refresh, expires_at

    def _shoe_distance(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for athlete in self._athletes.values():
            for shoe in athlete.shoes:
                totals[shoe.id] = shoe.base_distance
        for activity in self._activities.values():
            if activity.gear_id in totals:
                totals[activity.gear_id] += activity.distance_m
        return totals

    def _find_shoe(self, gear_id: str) -> Shoe | None:
        for athlete in self._athletes.values():
            for shoe in athlete.shoes:
                if shoe.id == gear_id:
                    return shoe
        return None

    def _gear_json(self, activity: Activity) -> JSON | None:
        shoe = None if activity.gear_id is None else self._find_shoe(activity.gear_id)
        if shoe is None:
            return None
        return shoe.summary(self._shoe_distance()[shoe.id])

    def _apply_update(self, activity_id: int, changes: dict[str, Any]) -> JSON | None:
        """Apply changes; the webhook event Strava would push (title/type/private), if any."""
        updates: dict[str, str] = {}
        with self._lock:
            activity = self._activities.get(activity_id)
            if activity is None:
                raise KeyError(activity_id)
            for key, value in changes.items():
                if key in {"name", "title"} and value != activity.name:
                    activity.name = str(value)
                    updates["title"] = activity.name
                elif key in {"sport_type", "type"}:
                    if value not in SPORT_TYPES:
                        raise ValueError(f"unknown sport_type {value!r}")
                    if key == "type" and "sport_type" in changes:
                        continue  # Strava ignores type when sport_type is present
                    if value != activity.sport_type:
                        activity.sport_type = str(value)
                        updates["type"] = activity.sport_type
                elif key == "private" and bool(value) != activity.private:
                    activity.private = bool(value)
                    updates["private"] = "true" if activity.private else "false"
                elif key == "gear_id":
                    activity.gear_id = None if value in {None, "none"} else str(value)
                elif key in {"description", "commute", "hide_from_home"}:
                    setattr(activity, key, value)
                elif key not in {"name", "title", "private", "trainer"}:
                    raise ValueError(f"cannot update {key!r}")
            if "private" in updates and "activity:read_all" not in self._grants.get(
                activity.athlete_id, frozenset()
            ):
                del updates["private"]  # privacy events need activity:read_all
            owner = activity.athlete_id
        if not updates:
            return None
        return self.event("activity", activity_id, "update", owner, updates)

    def _deauth_event(self, athlete_id: int) -> JSON:
        return self.event("athlete", athlete_id, "update", athlete_id, {"authorized": "false"})

    def _push(self, event: JSON, *, authorized_only: bool = True, background: bool = False) -> None:
        """Push like Strava: only with a subscription and for athletes who authorized the app."""
        with self._lock:
            if self._subscription is None:
                return
            if authorized_only and event["owner_id"] not in self._grants:
                return
            event["subscription_id"] = self._subscription.id
        if background:
            threading.Thread(target=self.deliver, args=(event,), daemon=True).start()
        else:
            self.deliver(event)

    # Internals: rate limits and faults

    def _current_window(self) -> tuple[int, int]:
        now = self._rate_clock()
        return int(now // 900), int(now // 86400)

    def _roll_window(self) -> None:
        window = self._current_window()
        if window[0] != self._window[0]:
            self._usage[0] = self._usage[2] = 0
        if window[1] != self._window[1]:
            self._usage[1] = self._usage[3] = 0
        self._window = window

    def _rate_headers(self, method: str, *, exhausted: bool = False) -> dict[str, str]:
        usage = list(self._usage)
        if exhausted:
            usage[0] = max(usage[0], self.rate_limit[0])
            if method == "GET":
                usage[2] = max(usage[2], self.read_rate_limit[0])
        return {
            "X-RateLimit-Limit": f"{self.rate_limit[0]},{self.rate_limit[1]}",
            "X-RateLimit-Usage": f"{usage[0]},{usage[1]}",
            "X-ReadRateLimit-Limit": f"{self.read_rate_limit[0]},{self.read_rate_limit[1]}",
            "X-ReadRateLimit-Usage": f"{usage[2]},{usage[3]}",
        }

    def _over_limit(self, method: str) -> bool:
        u, (short, day) = self._usage, self.rate_limit
        if u[0] > short or u[1] > day:
            return True
        read_short, read_day = self.read_rate_limit
        return method == "GET" and (u[2] > read_short or u[3] > read_day)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # Internals: HTTP

    def _handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Reply:
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
                return _error(400, "Bad Request", ("Request", "body", "invalid"))
            form = loaded if isinstance(loaded, dict) else {}
        elif raw:
            form = dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
        reply = self._respond(method, path, {**query, **form}, headers)
        entry.status = reply.status
        return reply

    def _respond(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> _Reply:
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
            reply = _fault_reply(fault.kind)
            if api:
                with self._lock:
                    reply.headers.update(self._rate_headers(method, exhausted=fault.kind == "429"))
            return reply
        if api:
            with self._lock:
                over = self._over_limit(method)
            if over:
                reply = _error(
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
    ) -> _Reply:
        allowed = False
        for verb, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if verb != method:
                allowed = True
                continue
            handler: Callable[..., _Reply] = getattr(self, f"_r_{name}")
            return handler(params=params, headers=headers, **match.groupdict())
        if allowed:
            return _error(405, "Method Not Allowed", ("resource", "method", "invalid"))
        return _error(404, "Record Not Found", ("resource", "path", "invalid"))

    def _bearer(self, headers: dict[str, str], params: dict[str, Any]) -> tuple[str, _Token] | None:
        value = headers.get("authorization", "")
        token = value[7:].strip() if value.lower().startswith("bearer ") else ""
        token = token or str(params.get("access_token") or "")
        with self._lock:
            found = self._tokens.get(token)
            if found is None or found.expires_at <= time.time():
                return None
            return token, found

    # Routes: OAuth

    def _authorize_problem(self, params: dict[str, Any]) -> _Reply | None:
        def bad(field_name: str) -> _Reply:
            return _error(400, "Bad Request", ("Application", field_name, "invalid"))

        if params.get("client_id") != self.client_id:
            return bad("client_id")
        redirect = urlsplit(str(params.get("redirect_uri", "")))
        if redirect.scheme not in {"http", "https"} or not redirect.netloc:
            return bad("redirect_uri")
        if params.get("response_type") != "code":
            return bad("response_type")
        if params.get("approval_prompt", "auto") not in {"auto", "force"}:
            return bad("approval_prompt")
        if not _scope_set(str(params.get("scope", "read"))) <= SCOPES:
            return bad("scope")
        return None

    def _approve(self, params: dict[str, Any], athlete_id: int, scope: frozenset[str]) -> str:
        code = secrets.token_hex(20)
        with self._lock:
            self._athlete(athlete_id)
            self._codes[code] = _Code(athlete_id, scope, self.client_id)
        return _with_query(
            str(params["redirect_uri"]),
            {"state": str(params.get("state", "")), "code": code, "scope": _scope_str(scope)},
        )

    def _r_authorize_page(self, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        problem = self._authorize_problem(params)
        if problem is not None:
            return problem
        with self._lock:
            athletes = list(self._athletes.values())
        esc = html.escape
        hidden = "".join(
            f'<input type="hidden" name="{esc(k)}" value="{esc(str(params.get(k, "")))}">'
            for k in (
                "client_id",
                "redirect_uri",
                "response_type",
                "approval_prompt",
                "scope",
                "state",
            )
        )
        choices = "".join(
            f'<label><input type="radio" name="athlete_id" value="{a.id}"{" checked" if i == 0 else ""}>'
            f" {esc(a.firstname)} {esc(a.lastname)} ({a.id})</label><br>"
            for i, a in enumerate(athletes)
        )
        requested = sorted(_scope_set(str(params.get("scope", "read"))))
        boxes = "".join(
            f'<label><input type="checkbox" name="grant_{esc(s)}" value="on" checked> {esc(s)}</label><br>'
            for s in requested
        )
        page = (
            "<!doctype html><html><head><title>Authorize | Strava (stand-in)</title></head><body>"
            f"<h1>Authorize application {esc(self.client_id)}</h1>"
            f'<form method="post" action="/oauth/authorize">{hidden}'
            f"<fieldset><legend>Log in as</legend>{choices}</fieldset>"
            f"<fieldset><legend>Permissions</legend>{boxes}</fieldset>"
            '<button type="submit" name="action" value="authorize">Authorize</button> '
            '<button type="submit" name="action" value="cancel">Cancel</button>'
            "</form></body></html>"
        )
        return _Reply(200, page.encode(), content_type="text/html; charset=utf-8")

    def _r_authorize_submit(self, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        problem = self._authorize_problem(params)
        if problem is not None:
            return problem
        if params.get("action") == "cancel":
            location = _with_query(
                str(params["redirect_uri"]),
                {"state": str(params.get("state", "")), "error": "access_denied"},
            )
        else:
            try:
                athlete_id = int(params.get("athlete_id", ""))
                with self._lock:
                    self._athlete(athlete_id)
            except (KeyError, ValueError):
                return _error(400, "Bad Request", ("Athlete", "athlete_id", "invalid"))
            requested = _scope_set(str(params.get("scope", "read")))
            ticked = {s for s in requested if params.get(f"grant_{s}") == "on"}
            location = self._approve(params, athlete_id, frozenset(ticked) | {"read"})
        body = f'<a href="{html.escape(location)}">Redirecting</a>'.encode()
        return _Reply(302, body, "text/html; charset=utf-8", {"Location": location})

    def _r_token(self, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        invalid_client = ("Application", "client_id", "invalid")
        if str(params.get("client_id", "")) != self.client_id:
            return _error(400, "Bad Request", invalid_client)
        if params.get("client_secret") != self.client_secret:
            return _error(401, "Bad Request", invalid_client)
        grant = params.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                code = self._codes.pop(str(params.get("code", "")), None)
                if code is None or code.client_id != self.client_id:
                    return _error(400, "Bad Request", ("AuthorizationCode", "code", "invalid"))
                self._grants[code.athlete_id] = code.scope
                access, refresh, expires_at = self._issue(code.athlete_id, code.scope)
                athlete: JSON | None = self._athletes[code.athlete_id].summary()
            elif grant == "refresh_token":
                found = self._refresh.pop(str(params.get("refresh_token", "")), None)
                if found is None:
                    return _error(400, "Bad Request", ("RefreshToken", "refresh_token", "invalid"))
                access, refresh, expires_at = self._issue(*found)
                athlete = None
            else:
                return _error(400, "Bad Request", ("Application", "grant_type", "invalid"))
        body: JSON = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_at": expires_at,
            "expires_in": max(0, expires_at - int(time.time())),
            "refresh_token": refresh,
        }
        if athlete is not None:
            body["athlete"] = athlete
        return _json(200, body)

    def _r_deauthorize(self, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        bearer = self._bearer(headers, params)
        token = str(params.get("token", ""))
        with self._lock:
            if bearer is not None:
                athlete_id, shown = bearer[1].athlete_id, bearer[0]
            elif token in self._refresh or token in self._tokens:
                athlete_id = (
                    self._refresh[token][0]
                    if token in self._refresh
                    else self._tokens[token].athlete_id
                )
                shown = token
            else:
                return _unauthorized()
            was_authorized = athlete_id in self._grants
        self.revoke(athlete_id)
        if was_authorized:
            self._push(self._deauth_event(athlete_id), authorized_only=False, background=True)
        return _json(200, {"access_token": shown})

    # Routes: API

    def _r_athlete(self, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return _unauthorized()
        token = bearer[1]
        with self._lock:
            athlete = self._athletes[token.athlete_id]
            if "profile:read_all" in token.scope:
                return _json(200, athlete.detailed(self._shoe_distance()))
            return _json(200, athlete.summary())

    def _r_activities(self, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return _unauthorized()
        token = bearer[1]
        if not token.scope & {"activity:read", "activity:read_all"}:
            return _missing_scope("activity:read_permission")
        numbers: dict[str, int | None] = {}
        for key, default in (("before", None), ("after", None), ("page", 1), ("per_page", 30)):
            value = params.get(key)
            try:
                numbers[key] = default if value in {None, ""} else int(float(str(value)))
            except ValueError:
                return _error(400, "Bad Request", ("Application", key, "invalid"))
        before, after = numbers["before"], numbers["after"]
        page = max(1, numbers["page"] or 1)
        per_page = min(200, max(1, numbers["per_page"] or 30))
        with self._lock:
            mine = [
                a
                for a in self._activities.values()
                if a.athlete_id == token.athlete_id
                and (not a.private or "activity:read_all" in token.scope)
                and (before is None or a.epoch < before)
                and (after is None or a.epoch > after)
            ]
            mine.sort(key=lambda a: (a.epoch, a.id), reverse=after is None)
            chosen = mine[(page - 1) * per_page : page * per_page]
            athlete = self._athletes[token.athlete_id]
            return _json(200, [a.summary(athlete) for a in chosen])

    def _visible(self, token: _Token, activity_id: str) -> Activity | None:
        activity = self._activities.get(int(activity_id))
        if activity is None:
            return None
        if activity.private and (
            activity.athlete_id != token.athlete_id or "activity:read_all" not in token.scope
        ):
            return None
        return activity

    def _r_activity(self, params: dict[str, Any], headers: dict[str, str], id: str) -> _Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return _unauthorized()
        token = bearer[1]
        if not token.scope & {"activity:read", "activity:read_all"}:
            return _missing_scope("activity:read_permission")
        with self._lock:
            activity = self._visible(token, id)
            if activity is None:
                return _not_found("Activity")
            athlete = self._athletes[activity.athlete_id]
            if activity.athlete_id != token.athlete_id:
                return _json(200, activity.summary(athlete))
            return _json(200, activity.detailed(athlete, self._gear_json(activity)))

    def _r_update(self, params: dict[str, Any], headers: dict[str, str], id: str) -> _Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return _unauthorized()
        token = bearer[1]
        if "activity:write" not in token.scope:
            return _missing_scope("activity:write_permission")
        with self._lock:
            activity = self._visible(token, id)
            if activity is None or activity.athlete_id != token.athlete_id:
                return _not_found("Activity")
        allowed = {"name", "sport_type", "type", "description", "gear_id", "commute", "trainer"}
        changes = {k: v for k, v in params.items() if k in allowed | {"hide_from_home"}}
        try:
            event = self._apply_update(activity.id, changes)
        except ValueError:
            return _error(400, "Bad Request", ("Activity", "sport_type", "invalid"))
        if event is not None:
            self._push(event, background=True)
        with self._lock:
            return _json(
                200,
                activity.detailed(self._athletes[activity.athlete_id], self._gear_json(activity)),
            )

    def _r_streams(self, params: dict[str, Any], headers: dict[str, str], id: str) -> _Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return _unauthorized()
        token = bearer[1]
        if not token.scope & {"activity:read", "activity:read_all"}:
            return _missing_scope("activity:read_permission")
        with self._lock:
            activity = self._visible(token, id)
            if activity is None or activity.athlete_id != token.athlete_id:
                return _not_found("Activity")
            spec = activity.recording.spec
        keys = [k for k in str(params.get("keys", "")).split(",") if k in STREAM_TYPES]
        if not keys:
            return _error(400, "Bad Request", ("Stream", "keys", "invalid"))
        streams = stream_json(spec, keys)
        if str(params.get("key_by_type", "false")).lower() == "true":
            return _json(200, streams)
        return _json(200, list(streams.values()))

    def _r_gear(self, params: dict[str, Any], headers: dict[str, str], id: str) -> _Reply:
        if self._bearer(headers, params) is None:
            return _unauthorized()
        with self._lock:
            shoe = self._find_shoe(id)
            if shoe is None:
                return _not_found("Gear")
            return _json(200, shoe.detailed(self._shoe_distance()[shoe.id]))

    # Routes: webhook subscriptions

    def _app_problem(self, params: dict[str, Any]) -> _Reply | None:
        if str(params.get("client_id", "")) != self.client_id:
            return _error(401, "Authorization Error", ("Application", "client_id", "invalid"))
        if params.get("client_secret") != self.client_secret:
            return _error(401, "Authorization Error", ("Application", "client_secret", "invalid"))
        return None

    def _r_subscribe(self, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        problem = self._app_problem(params)
        if problem is not None:
            return problem
        callback = str(params.get("callback_url", ""))
        if urlsplit(callback).scheme not in {"http", "https"}:
            return _error(400, "Bad Request", ("PushSubscription", "callback_url", "invalid"))
        with self._lock:
            if self._subscription is not None:
                return _error(400, "Bad Request", ("PushSubscription", "", "already exists"))
        verify = str(params.get("verify_token", ""))
        challenge = secrets.token_hex(16)
        check = _with_query(
            callback,
            {"hub.verify_token": verify, "hub.challenge": challenge, "hub.mode": "subscribe"},
        )
        try:
            with urllib.request.urlopen(check, timeout=_HANDSHAKE_TIMEOUT_S) as answer:
                status, raw = int(answer.status), answer.read()
        except urllib.error.HTTPError as failure:
            status, raw = failure.code, b""
        except (urllib.error.URLError, OSError):
            status, raw = 0, b""
        if status != 200:
            return _error(
                400,
                "Bad Request",
                ("PushSubscription", "callback url", "GET to callback URL does not return 200"),
            )
        try:
            echoed = json.loads(raw).get("hub.challenge")
        except (ValueError, AttributeError):
            echoed = None
        if echoed != challenge:
            return _error(
                400,
                "Bad Request",
                ("PushSubscription", "callback url", "callback url not verifiable"),
            )
        with self._lock:
            if self._subscription is not None:
                return _error(400, "Bad Request", ("PushSubscription", "", "already exists"))
            subscription = _Subscription(
                self._next_subscription_id,
                callback,
                verify,
                datetime.now(UTC).replace(microsecond=0),
            )
            self._next_subscription_id += 1
            self._subscription = subscription
        return _json(201, {"id": subscription.id})

    def _r_subscriptions(self, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        problem = self._app_problem(params)
        if problem is not None:
            return problem
        with self._lock:
            subs = [] if self._subscription is None else [self._subscription]
        return _json(
            200,
            [
                {
                    "id": s.id,
                    "resource_state": 2,
                    "application_id": int(self.client_id) if self.client_id.isdigit() else 0,
                    "callback_url": s.callback_url,
                    "created_at": iso_z(s.created_at),
                    "updated_at": iso_z(s.created_at),
                }
                for s in subs
            ],
        )

    def _r_unsubscribe(self, params: dict[str, Any], headers: dict[str, str], id: str) -> _Reply:
        problem = self._app_problem(params)
        if problem is not None:
            return problem
        with self._lock:
            if self._subscription is None or self._subscription.id != int(id):
                return _not_found("PushSubscription")
            self._subscription = None
        return _Reply(204)


def demo(standin: StravaStandIn, *, athlete_id: int = 1001, activities: int = 50) -> dict[str, Any]:
    """Fill a stand-in with one athlete and daily runs up to yesterday; return its tokens."""
    standin.add_athlete(athlete_id)
    today = datetime.now(UTC).replace(hour=6, minute=30, second=0, microsecond=0)
    first = today - timedelta(days=activities)
    ids = standin.add_activities(athlete_id, activities, first=first, gear_id=f"g{athlete_id}01")
    if ids:
        standin.update_activity(ids[-1], sport_type="TrailRun", name="Trail loop")
    return standin.grant_token(athlete_id)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local stand-in for the Strava API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--activities", type=int, default=50)
    parser.add_argument("--athlete", type=int, default=1001)
    parser.add_argument("--client-id", default="1234")
    parser.add_argument("--client-secret", default="s3cret")
    args = parser.parse_args(argv)
    standin = StravaStandIn(args.client_id, args.client_secret, host=args.host, port=args.port)
    with standin:
        tokens = demo(standin, athlete_id=args.athlete, activities=args.activities)
        print(standin.base_url, flush=True)
        print(f"client_id={args.client_id} client_secret={args.client_secret}")
        print(f"athlete={args.athlete} access_token={tokens['access_token']}")
        print(f"refresh_token={tokens['refresh_token']} expires_at={tokens['expires_at']}")
        print(
            f"try: curl -H 'Authorization: Bearer {tokens['access_token']}' {standin.base_url}/api/v3/athlete"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
