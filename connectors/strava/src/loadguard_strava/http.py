"""The HTTP session stravalib talks through: a configurable API host and a timeout.

stravalib hard-codes ``https://www.strava.com``; this session rewrites that
host (and the announced new one) to the configured base URL, so the same
unmodified stravalib reaches Strava, a new host, or a local stand-in. It also
sets a timeout on every request: stravalib sets none.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

STRAVA_HOSTS = frozenset({"www.strava.com", "strava.com", "api.strava.com"})
DEFAULT_BASE = "https://www.strava.com"
DEFAULT_TIMEOUT_S = 10.0


class RewritingSession(requests.Session):
    """A requests.Session that sends Strava-bound requests to ``base`` with a timeout."""

    def __init__(self, base: str = DEFAULT_BASE, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__()
        parts = urlsplit(base)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"API base URL {base!r} must look like https://host[:port]")
        self.base = parts
        self.timeout = timeout

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname not in STRAVA_HOSTS:
            return url
        return urlunsplit(
            (self.base.scheme, self.base.netloc, parts.path, parts.query, parts.fragment)
        )

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        verb = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        return super().request(verb, self.rewrite(target), *args, **kwargs)
