"""The command line: a demo athlete with runs, served until interrupted."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from .server import StravaStandIn


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
