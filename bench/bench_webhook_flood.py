"""Benchmark: a flood of concurrent Strava webhook posts on a real `loadguard serve`.

Run by hand: `.venv/bin/python bench/bench_webhook_flood.py [--posts 1000]`.

Every post opens its own connection at once (asyncio, raw sockets) and is timed from its
connect to the end of its answer. Measured: the whole flood on an idle store, then a
flood while another process holds the store's write lock (an import's batch). Baseline
in the same run: the same flood on a bare uvicorn app that answers 200 and does nothing
(the floor of the HTTP stack on this machine). Strava wants 200 within 2 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from flood import Answer, flood, strava_event

EXE = Path(sys.executable).with_name("loadguard")
BARE = textwrap.dedent(
    """
    import sys, uvicorn
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b'{"accepted":true}'})
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                http="h11", limit_concurrency=20000)
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int) -> None:
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def summary(name: str, answers: list[Answer]) -> float:
    times = sorted(a.seconds for a in answers)
    ok = sum(a.status == 200 and a.seconds <= 2.0 for a in answers)
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{name:<34} {ok:>5}/{len(answers)} answered 200 within 2 s;"
        f" p50 {statistics.median(times) * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms"
        f"  max {times[-1] * 1000:6.0f} ms"
    )
    return float(statistics.median(times))


def events(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    args = parser.parse_args()
    n = args.posts
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(port)])
        try:
            wait_listening(port)
            floor = summary(
                "baseline: bare uvicorn, no work",
                flood("127.0.0.1", port, [strava_event(i) for i in range(n)]),
            )
        finally:
            bare.terminate()
            bare.wait()

        db = Path(tmp) / "bench.sqlite"
        subprocess.run(
            [str(EXE), "--db", str(db), "athlete", "list"], check=True, capture_output=True
        )
        port = free_port()
        serve = subprocess.Popen(
            [str(EXE), "--db", str(db), "serve", "--port", str(port), "--no-scheduler"],
            stdout=subprocess.DEVNULL,
            stderr=open(Path(tmp) / "serve.log", "w"),  # noqa: SIM115
        )
        try:
            wait_listening(port)
            began = time.perf_counter()
            ours = summary(
                "loadguard serve, idle store",
                flood("127.0.0.1", port, [strava_event(i) for i in range(n)]),
            )
            while events(db) < n:
                time.sleep(0.01)
            print(
                f"{'':<34} all {n} events in the store's queue {time.perf_counter() - began:.2f} s after the first post"
            )

            holder = sqlite3.connect(db, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            locked = flood("127.0.0.1", port, [strava_event(n + i) for i in range(n)])
            summary("loadguard serve, store write-locked", locked)
            queued_while_locked = events(db)
            holder.execute("ROLLBACK")
            released = time.perf_counter()
            while events(db) < 2 * n:
                time.sleep(0.01)
            print(
                f"{'':<34} {queued_while_locked - n} queued while locked (spooled on disk);"
                f" all in the queue {time.perf_counter() - released:.2f} s after the lock went"
            )
        finally:
            serve.terminate()
            serve.wait()
        log = (Path(tmp) / "serve.log").read_text()
        print(f"server log: {len(log.splitlines())} lines, {log.count('Traceback')} tracebacks")
    print(
        f"ratio: loadguard's p50 answer is {ours / floor:.2f}x the bare server's (same flood, same run)"
    )


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "100")
    main()
