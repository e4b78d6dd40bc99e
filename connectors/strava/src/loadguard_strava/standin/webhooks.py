"""Webhooks: the push subscription routes (with Strava's handshake) and event delivery."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .data import JSON, iso_z
from .replies import Reply, error_reply, json_reply, not_found, with_query
from .state import Delivery, Subscription, World

_HANDSHAKE_TIMEOUT_S = 2.0


class Webhooks(World):
    """Subscriptions and the events Strava pushes to them."""

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

    # Routes: webhook subscriptions

    def _app_problem(self, params: dict[str, Any]) -> Reply | None:
        if str(params.get("client_id", "")) != self.client_id:
            return error_reply(401, "Authorization Error", ("Application", "client_id", "invalid"))
        if params.get("client_secret") != self.client_secret:
            return error_reply(
                401, "Authorization Error", ("Application", "client_secret", "invalid")
            )
        return None

    def _r_subscribe(self, params: dict[str, Any], headers: dict[str, str]) -> Reply:
        problem = self._app_problem(params)
        if problem is not None:
            return problem
        callback = str(params.get("callback_url", ""))
        if urlsplit(callback).scheme not in {"http", "https"}:
            return error_reply(400, "Bad Request", ("PushSubscription", "callback_url", "invalid"))
        with self._lock:
            if self._subscription is not None:
                return error_reply(400, "Bad Request", ("PushSubscription", "", "already exists"))
        verify = str(params.get("verify_token", ""))
        challenge = secrets.token_hex(16)
        check = with_query(
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
            return error_reply(
                400,
                "Bad Request",
                ("PushSubscription", "callback url", "GET to callback URL does not return 200"),
            )
        try:
            echoed = json.loads(raw).get("hub.challenge")
        except (ValueError, AttributeError):
            echoed = None
        if echoed != challenge:
            return error_reply(
                400,
                "Bad Request",
                ("PushSubscription", "callback url", "callback url not verifiable"),
            )
        with self._lock:
            if self._subscription is not None:
                return error_reply(400, "Bad Request", ("PushSubscription", "", "already exists"))
            subscription = Subscription(
                self._next_subscription_id,
                callback,
                verify,
                datetime.now(UTC).replace(microsecond=0),
            )
            self._next_subscription_id += 1
            self._subscription = subscription
        return json_reply(201, {"id": subscription.id})

    def _r_subscriptions(self, params: dict[str, Any], headers: dict[str, str]) -> Reply:
        problem = self._app_problem(params)
        if problem is not None:
            return problem
        with self._lock:
            subs = [] if self._subscription is None else [self._subscription]
        return json_reply(
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

    def _r_unsubscribe(self, params: dict[str, Any], headers: dict[str, str], id: str) -> Reply:
        problem = self._app_problem(params)
        if problem is not None:
            return problem
        with self._lock:
            if self._subscription is None or self._subscription.id != int(id):
                return not_found("PushSubscription")
            self._subscription = None
        return Reply(204)
