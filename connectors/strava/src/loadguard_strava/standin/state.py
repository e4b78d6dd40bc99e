"""The stand-in's in-memory world: athletes, activities, gear, tokens, grants and logs.

:class:`World` holds every piece of state and the operations on athletes and activities; the
layers in :mod:`.oauth`, :mod:`.api`, :mod:`.limits` and :mod:`.webhooks` build on it and
:class:`~.server.StravaStandIn` puts them together.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from .data import (
    JSON,
    SPORT_TYPES,
    Activity,
    Athlete,
    RecordingSpec,
    Shoe,
    default_shoes,
    record,
    shoe_from_dict,
)


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
class Token:
    athlete_id: int
    scope: frozenset[str]
    expires_at: int
    refresh_token: str


@dataclass
class Code:
    athlete_id: int
    scope: frozenset[str]
    client_id: str


@dataclass
class Fault:
    path_prefix: str
    kind: str
    remaining: int
    seconds: float


@dataclass
class Subscription:
    id: int
    callback_url: str
    verify_token: str
    created_at: datetime


class World(ABC):
    """Everything the stand-in knows, behind one lock; the data a test sets up."""

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
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        self._athletes: dict[int, Athlete] = {}
        self._activities: dict[int, Activity] = {}
        self._next_activity_id = 17_000_000_001
        self._tokens: dict[str, Token] = {}
        self._refresh: dict[str, tuple[int, frozenset[str]]] = {}
        self._codes: dict[str, Code] = {}
        self._grants: dict[int, frozenset[str]] = {}
        self._faults: list[Fault] = []
        self._usage = [0, 0, 0, 0]  # overall 15 min, overall day, read 15 min, read day
        self._window = self._current_window()
        self._subscription: Subscription | None = None
        self._next_subscription_id = 300_001
        self._requests: list[Request] = []
        self._deliveries: list[Delivery] = []

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

    # Webhook events

    @property
    def subscription_id(self) -> int | None:
        with self._lock:
            return None if self._subscription is None else self._subscription.id

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

    @abstractmethod
    def _push(self, event: JSON, *, authorized_only: bool = True, background: bool = False) -> None:
        """Push ``event`` to the webhook subscriber (:class:`~.webhooks.Webhooks`)."""

    # Internals: state

    def _athlete(self, athlete_id: int) -> Athlete:
        try:
            return self._athletes[athlete_id]
        except KeyError:
            raise KeyError(f"no athlete {athlete_id}: add_athlete() first") from None

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

    def _current_window(self) -> tuple[int, int]:
        now = self._rate_clock()
        return int(now // 900), int(now // 86400)

    def _bearer(self, headers: dict[str, str], params: dict[str, Any]) -> tuple[str, Token] | None:
        value = headers.get("authorization", "")
        token = value[7:].strip() if value.lower().startswith("bearer ") else ""
        token = token or str(params.get("access_token") or "")
        with self._lock:
            found = self._tokens.get(token)
            if found is None or found.expires_at <= time.time():
                return None
            return token, found
