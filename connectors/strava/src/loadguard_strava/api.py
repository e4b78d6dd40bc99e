"""Talking to Strava through an unmodified stravalib: tokens, rate limits, retries.

- Tokens are refreshed explicitly before they expire (stravalib refreshes on
  its own only when its environment variables are set; we never rely on it).
- Rate limits: every answer's ``X-RateLimit-*`` / ``X-ReadRateLimit-*``
  headers are recorded; before a request the budget is checked and, when it is
  nearly spent (or Strava answered 429), :class:`RateLimited` is raised so the
  caller stops and resumes later from its cursor. Nothing ever sleeps until
  the next quarter hour (stravalib's default limiter would).
- 5xx answers, timeouts and dropped connections are retried with back-off.
- 401 after a refresh, a revoked token, or 403 "application inactive" raise
  :class:`ReconnectNeeded` with a message saying what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import requests
from stravalib import Client, exc
from stravalib.util.limiter import RateLimiter

from loadguard.contract import Host

from .config import StravaConfig
from .http import RewritingSession
from .tokens import Tokens

REFRESH_MARGIN_S = 600  # refresh when the token has less than 10 minutes left
RESERVE = 5  # requests kept back from every limit (webhook fetches still get through)


class StravaError(Exception):
    """Strava could not be reached or answered with an error; the message says what."""


class RateLimited(StravaError):
    """Strava's request budget is (nearly) spent: stop now, resume later from the cursor."""


class ReconnectNeeded(StravaError):
    """The athlete's authorisation is gone (revoked, expired) or the app is inactive."""


def _pair(value: str | None) -> tuple[int, int] | None:
    try:
        short, daily = (int(v) for v in (value or "").split(","))
    except ValueError:
        return None
    return short, daily


BUDGET_STATE = "strava.budget"  # the store's record of Strava's last-reported usage


def _windows(at: float) -> tuple[int, int]:
    """Strava's quarter hour and UTC day of a moment: its counters reset at each."""
    return int(at // 900), int(at // 86400)


@dataclass
class Budget:
    """Usage and limits as Strava last reported them (15 minutes, day).

    Strava counts the whole application's requests. Given a ``host`` (:meth:`share`),
    the last report is kept in the store and read back before each check, so every
    process and worker on that store (daemons, the web app, webhook handlers) spends one
    budget: what one of them learnt from Strava's headers the next one knows."""

    usage: tuple[int, int] = (0, 0)
    limit: tuple[int, int] = (200, 2000)
    read_usage: tuple[int, int] = (0, 0)
    read_limit: tuple[int, int] = (100, 1000)
    at: float = 0.0  # when Strava reported the usage above (epoch seconds)
    host: Host | None = None

    def share(self, host: Host) -> Budget:
        """This budget kept in ``host``'s store: a copy of its own, so a receiver that
        serves several threads at once (workers' tasks) never mixes their stores."""
        return replace(self, host=host)

    def _current(self, now: float) -> None:
        """Counters of windows that have ended are zero now."""
        quarter, day = _windows(now)
        then_quarter, then_day = _windows(self.at)
        if then_day != day:
            self.usage, self.read_usage = (0, 0), (0, 0)
        elif then_quarter != quarter:
            self.usage, self.read_usage = (0, self.usage[1]), (0, self.read_usage[1])

    def _load(self, now: float) -> None:
        if self.host is None:
            return
        kept = self.host.connector_state(BUDGET_STATE)
        if not kept or float(kept.get("at", 0)) <= self.at:
            return

        def two(key: str) -> tuple[int, int]:
            first, second = kept[key]
            return int(first), int(second)

        self.usage, self.limit = two("usage"), two("limit")
        self.read_usage, self.read_limit = two("read_usage"), two("read_limit")
        self.at = float(kept["at"])

    def record(self, headers: Any, now: float | None = None) -> None:
        for attr, name in (
            ("usage", "X-RateLimit-Usage"),
            ("limit", "X-RateLimit-Limit"),
            ("read_usage", "X-ReadRateLimit-Usage"),
            ("read_limit", "X-ReadRateLimit-Limit"),
        ):
            pair = _pair(headers.get(name))
            if pair is not None:
                setattr(self, attr, pair)
        if _pair(headers.get("X-RateLimit-Usage")) is None:
            return  # nothing learnt
        self.at = time.time() if now is None else now
        if self.host is not None:
            self.host.save_connector_state(
                BUDGET_STATE,
                {
                    "usage": list(self.usage),
                    "limit": list(self.limit),
                    "read_usage": list(self.read_usage),
                    "read_limit": list(self.read_limit),
                    "at": self.at,
                },
            )

    def spent(self, reserve: int = RESERVE, now: float | None = None) -> str | None:
        """Why no more requests should go now, or None."""
        moment = time.time() if now is None else now
        self._load(moment)
        self._current(moment)
        checks = (
            (self.read_usage[0], self.read_limit[0], "read requests this quarter hour"),
            (self.read_usage[1], self.read_limit[1], "read requests today"),
            (self.usage[0], self.limit[0], "requests this quarter hour"),
            (self.usage[1], self.limit[1], "requests today"),
        )
        for used, limit, what in checks:
            if used >= limit - reserve:
                return f"Strava's limit of {limit} {what} is reached ({used} used)"
        return None


class _Recorder(RateLimiter):
    """A stravalib rate limiter that records the headers and never sleeps."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self.budget = budget

    def __call__(self, args: dict[str, str], method: Any) -> None:
        self.budget.record(args)


class StravaApi:
    """One athlete's connection. ``on_tokens`` is called with every new token pair."""

    def __init__(
        self,
        config: StravaConfig,
        tokens: Tokens | None,
        on_tokens: Callable[[Tokens], None] = lambda t: None,
        budget: Budget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.on_tokens = on_tokens
        self.budget = budget or Budget()
        self.sleep = sleep
        self.session = RewritingSession(config.api_base, config.timeout)
        self.client = Client(
            access_token=tokens.access_token if tokens else None,
            rate_limiter=_Recorder(self.budget),
            requests_session=self.session,
        )
        # stravalib refreshes on its own when STRAVA_CLIENT_ID/SECRET are in the environment
        # (the same names loadguard reads); tokens are refreshed here, explicitly, instead.
        self.client.protocol.client_id = None
        self.client.protocol.client_secret = None

    # -- OAuth -----------------------------------------------------------------
    def authorization_url(self, redirect_uri: str, state: str) -> str:
        url = self.client.authorization_url(
            client_id=int(self.config.client_id),
            redirect_uri=redirect_uri,
            scope=["read", "activity:read_all", "profile:read_all"],
            state=state,
        )
        return self.session.rewrite(str(url))

    def exchange(self, code: str) -> tuple[Tokens, dict[str, Any]]:
        """Trade an authorisation code for tokens; returns them and the athlete summary."""
        try:
            answer: Any = self.client.exchange_code_for_token(
                client_id=int(self.config.client_id),
                client_secret=self.config.client_secret,
                code=code,
                return_athlete=True,
            )
        except (exc.Fault, requests.RequestException) as err:
            raise StravaError(f"Strava refused the authorisation code: {err}") from None
        info, athlete = answer
        tokens = Tokens(
            str(info["access_token"]), str(info["refresh_token"]), int(info["expires_at"])
        )
        self._use(tokens)
        raw_athlete = athlete.model_dump(mode="json") if hasattr(athlete, "model_dump") else {}
        return tokens, dict(raw_athlete or {})

    def refresh(self) -> Tokens:
        if self.tokens is None:
            raise ReconnectNeeded("not connected to Strava: run `loadguard strava connect`")
        try:
            info = self.client.refresh_access_token(
                client_id=int(self.config.client_id),
                client_secret=self.config.client_secret,
                refresh_token=self.tokens.refresh_token,
            )
        except exc.Fault as err:
            raise ReconnectNeeded(
                f"Strava no longer accepts this athlete's authorisation ({err}):"
                " run `loadguard strava connect` again"
            ) from None
        except requests.RequestException as err:
            raise StravaError(f"could not reach Strava to refresh the token: {err}") from None
        tokens = Tokens(
            str(info["access_token"]),
            str(info["refresh_token"]),
            int(info["expires_at"]),
            self.tokens.scope,
        )
        self._use(tokens)
        return tokens

    def _use(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.client.access_token = tokens.access_token
        self.on_tokens(tokens)

    def ensure_fresh(self, now: float | None = None) -> None:
        if self.tokens and self.tokens.expires_at - (now or time.time()) < REFRESH_MARGIN_S:
            self.refresh()

    # -- requests --------------------------------------------------------------
    def get(self, path: str, **params: Any) -> Any:
        """GET an API path (``/athlete``, ``/activities/1``) and return the raw JSON."""
        why = self.budget.spent()
        if why:
            raise RateLimited(why)
        self.ensure_fresh()
        refreshed = False
        waits = list(self.config.retry_waits)
        while True:
            try:
                return self.client.protocol.get(path, **params)
            except exc.AccessUnauthorized:
                if refreshed:
                    raise ReconnectNeeded(
                        "Strava refuses this athlete's token (access revoked?):"
                        " run `loadguard strava connect` again"
                    ) from None
                self.refresh()
                refreshed = True
            except exc.ApplicationInactive:
                raise ReconnectNeeded(
                    "Strava says the API application is inactive: the account that owns it"
                    " needs an active subscription (Strava's standard tier, 2026); reactivate"
                    " it at strava.com/settings/api, then sync again"
                ) from None
            except exc.ObjectNotFound:
                raise
            except exc.Fault as err:
                status = err.response.status_code if err.response is not None else 0
                if status == 429:
                    raise RateLimited(
                        f"Strava answered 429 (rate limit exceeded) for {path}"
                    ) from None
                if status < 500 or not waits:
                    raise StravaError(f"Strava answered {status} for {path}: {err}") from None
                self.sleep(waits.pop(0))
            except (requests.Timeout, requests.ConnectionError) as err:
                if not waits:
                    raise StravaError(f"Strava did not answer {path} in time: {err}") from None
                self.sleep(waits.pop(0))
