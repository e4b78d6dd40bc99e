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

from .cli import demo, main
from .limits import FAULT_KINDS
from .server import StravaStandIn
from .state import Delivery, Request

__all__ = ["FAULT_KINDS", "Delivery", "Request", "StravaStandIn", "demo", "main"]
