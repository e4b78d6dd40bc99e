"""Benchmark: the runner's Today page and chart data over loopback, for an athlete with
three years of runs.

Run by hand: `.venv/bin/python bench/bench_web.py [--requests 200] [--years 3]`.

The athlete's history is written as real FIT files (13 back-to-back 12-week seasons a
year... as many as ``--years`` asks, three runs a week), imported, and given an account.
Then, in one run:

* **direct**: the same work called in-process: the Today figures
  (:func:`loadguard.app.dashboard.today`) and each chart's Vega-Lite spec
  (:func:`loadguard.web.runner.chart_spec`), no HTTP, no template;
* **http**: `loadguard serve`'s app (uvicorn, this process) answering a signed-in
  browser's GETs on 127.0.0.1: the Today page (rendered HTML) and each chart's JSON.

Each three times: after a change made elsewhere (the kept reports dropped before every
request, here and on disk, so each is a guard pass over the whole history: another
process wrote), after a restart with nothing changed (only this process's kept reports
dropped: the one kept on disk is read) and with nothing changed (a kept report). Then the runner's own
change: a pain entry posted through the form (the POST pays the guard pass and keeps
its report), then the Today page.
Printed: p50/p95 of each, the ratio http/direct (p50), and the target (p95 < 150 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import requests

from loadguard import settings
from loadguard.app import accounts, dashboard, kept, service
from loadguard.app.access import View
from loadguard.cli.season import season
from loadguard.contract import Athlete
from loadguard.sources import registry
from loadguard.store.db import Store
from loadguard.web.context import Web
from loadguard.web.runner import CHARTS, chart_spec
from loadguard.web.server import GuardServer

TARGET_P95_MS = 150.0
ZONE = "Europe/Copenhagen"
EMAIL, PASSWORD = "bench@example.org", "bench-password-1"


def own(athlete: Athlete) -> View:
    """The athlete as they see themself (the runner's pages)."""
    return View.of_runner(athlete)


def signed_in(url: str, email: str, password: str) -> requests.Session:
    """A client with a session cookie, signed in through the login form."""
    browser = requests.Session()
    browser.get(f"{url}/login", timeout=10)
    browser.post(
        f"{url}/login",
        data={"email": email, "password": password, "csrf": browser.cookies["lg_csrf"]},
        timeout=10,
    )
    return browser


def pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def build(db: Path, folder: Path, years: int) -> date:
    """Three runs a week for ``years`` years as FIT files, imported; returns the last day."""
    first = date(2023, 1, 2)  # a Monday
    writer = registry.connector("fit")
    blocks = round(years * 52 / 12)
    activities = []
    for n in range(blocks):
        activities += season(first + timedelta(weeks=12 * n), ZONE, 12, seed=n)
    paths = writer.write_samples(activities, folder)  # type: ignore[attr-defined]
    with Store(db) as store:
        athlete = store.add_athlete("bench", "Bench Runner", "heel-fat-pad", first, ZONE)
        summary = service.import_from(store, athlete, str(folder))
        accounts.add_account(
            store,
            accounts.NewAccount(
                email=EMAIL, name="Bench", password=PASSWORD, athlete_id=athlete.id
            ),
        )
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"history: {summary.runs} runs in {len(paths)} FIT files ({size:.0f} MB), {years} years")
    return first + timedelta(weeks=12 * blocks, days=-1)


def timed(
    call: Callable[[], object], n: int, *, changed: bool, drop: Callable[[], None] | None = None
) -> list[float]:
    """``changed``: as if the athlete's data had just changed (a new run, a pain entry):
    the kept reports are dropped before each call, so each one is a guard pass. ``drop``:
    called before each call instead (``kept.forget``: the server restarted, so only the
    report kept on disk is there)."""
    call()  # warm: imports, chart shapes, the first connection
    out = []
    for _ in range(n):
        if changed:
            service.forget_reports()
        elif drop is not None:
            drop()
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def line(name: str, direct: list[float], http: list[float]) -> bool:
    p95 = pct(http, 95)
    ok = p95 < TARGET_P95_MS
    print(
        f"{name:<16} direct p50 {pct(direct, 50):6.1f} ms p95 {pct(direct, 95):6.1f} ms | "
        f"http p50 {pct(http, 50):6.1f} ms p95 {p95:6.1f} ms | "
        f"ratio {statistics.median(http) / statistics.median(direct):4.2f} | "
        f"{'ok' if ok else 'MISSED'} (p95 < {TARGET_P95_MS:.0f} ms)"
    )
    return ok


# (what is printed, a change before each request, what is dropped before each instead)
MODES: list[tuple[str, bool, Callable[[], None] | None]] = [
    ("after a change (a guard pass each)", True, None),
    ("after a restart, nothing changed (the report kept on disk)", False, kept.forget),
    ("nothing changed (the report kept in the process)", False, None),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--years", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        last = build(db, Path(tmp) / "fit", args.years)
        day = last.isoformat()
        web = Web(db, settings.current(), None)
        athlete = web.store().athlete("bench")
        results = []
        with GuardServer(db, port=0).start() as server:
            browser = signed_in(server.url, EMAIL, PASSWORD)

            def get(path: str) -> Callable[[], object]:
                def call() -> object:
                    answer = browser.get(f"{server.url}{path}", timeout=30)
                    answer.raise_for_status()
                    return answer

                return call

            for title, changed, drop in MODES:
                print(title)
                n = args.requests

                def today() -> object:
                    return dashboard.today(web.store(), athlete, last)

                direct = timed(today, n, changed=changed, drop=drop)
                http = timed(get(f"/a/bench/?as_of={day}"), n, changed=changed, drop=drop)
                results.append(line("  today", direct, http))
                for name in CHARTS:

                    def spec(chart: str = name) -> object:
                        return chart_spec(web, own(athlete), chart, last, "en")

                    direct = timed(spec, n, changed=changed, drop=drop)
                    path = f"/a/bench/charts/{name}.json?as_of={day}"
                    http = timed(get(path), n, changed=changed, drop=drop)
                    results.append(line(f"  chart {name}", direct, http))
            results.append(charts_page(web, athlete, server.url, browser, day, last, args.requests))
            results.append(own_change(web, athlete, browser, server.url, args.requests))
    return 0 if all(results) else 1


def charts_page(
    web: Web,
    athlete: Athlete,
    base: str,
    browser: requests.Session,
    day: str,
    last: date,
    n: int,
) -> bool:
    """The charts page after a change made elsewhere: its four charts asked at once, as
    the browser does (one connection each); they share one guard pass. Direct: one pass
    and the four specs, one after another."""
    print("the charts page after a change elsewhere (its charts asked at once)")
    cookies = {k: v for k, v in browser.cookies.get_dict().items() if v is not None}
    sessions = []
    for _ in CHARTS:
        one = requests.Session()
        one.cookies.update(cookies)
        sessions.append(one)

    def fetch(pair: tuple[requests.Session, str]) -> None:
        one, name = pair
        one.get(f"{base}/a/bench/charts/{name}.json?as_of={day}", timeout=30).raise_for_status()

    with ThreadPoolExecutor(len(CHARTS)) as pool:

        def page() -> object:
            return list(pool.map(fetch, zip(sessions, CHARTS, strict=True)))

        def direct() -> object:
            return [chart_spec(web, own(athlete), name, last, "en") for name in CHARTS]

        return line("  all charts", timed(direct, n, changed=True), timed(page, n, changed=True))


def own_change(web: Web, athlete: Athlete, browser: requests.Session, base: str, n: int) -> bool:
    """The runner's own change: a pain entry through the form (its POST pays the guard
    pass and keeps the report), then the Today page. Direct: the same GET's work."""
    print("after the runner's own change (a pain entry from the form, then Today)")
    posts: list[float] = []
    pages: list[float] = []
    direct: list[float] = []
    day = service.today(athlete)
    for i in range(n):
        form = {"score": str(i % 3), "moment": "after", "csrf": browser.cookies["lg_csrf"]}
        t0 = time.perf_counter()
        browser.post(f"{base}/a/bench/pain", data=form, allow_redirects=False, timeout=30)
        t1 = time.perf_counter()
        browser.get(f"{base}/a/bench/", timeout=30).raise_for_status()
        t2 = time.perf_counter()
        dashboard.today(web.store(), athlete, day)
        t3 = time.perf_counter()
        posts.append((t1 - t0) * 1000)
        pages.append((t2 - t1) * 1000)
        direct.append((t3 - t2) * 1000)
    print(f"  pain form POST p50 {pct(posts, 50):6.1f} ms p95 {pct(posts, 95):6.1f} ms")
    return line("  today", direct, pages)


if __name__ == "__main__":
    sys.exit(main())
