"""`make cluster`: the scaled set-up on one machine, from Debian's packages only.

PostgreSQL (a cluster kept in .cluster/, on 127.0.0.1:55432), the web app on
127.0.0.1:8080 that only queues work, and two `loadguard worker` processes that do it
(the scheduled jobs too, each run once between them). Ctrl-C stops everything; the
database stays for the next start.

    make cluster                 # or: .venv/bin/python scripts/cluster.py --workers 3
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pgserver import PostgresServer  # noqa: E402

EXE = Path(sys.executable).with_name("loadguard")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--pg-port", type=int, default=55432)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops all, too
    server = PostgresServer(ROOT / ".cluster", args.pg_port)
    server.start()
    url = server.database("loadguard")
    print(f"PostgreSQL on 127.0.0.1:{args.pg_port}; LOADGUARD_DB={url}", flush=True)
    logs = ROOT / ".cluster" / "logs"
    logs.mkdir(exist_ok=True)
    db = ["--db", url]
    commands = [("web", [*db, "serve", "--port", str(args.port), "--no-work", "--no-scheduler"])]
    commands += [(f"worker{n + 1}", [*db, "worker"]) for n in range(args.workers)]
    procs = []
    try:
        for name, command in commands:
            out = (logs / f"{name}.log").open("w")
            procs.append(subprocess.Popen([str(EXE), *command], stdout=out, stderr=out))
            print(f"{name}: loadguard {' '.join(command)}  (log: {logs / name}.log)", flush=True)
        print(f"open http://127.0.0.1:{args.port}/ ; Ctrl-C stops all", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("a process stopped: see its log", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        server.stop()
        print("stopped (the database is kept in .cluster/)")


if __name__ == "__main__":
    sys.exit(main())
