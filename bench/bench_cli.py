"""Benchmark: how long a `loadguard` command takes as a whole process, start-up included.

Run by hand: `.venv/bin/python bench/bench_cli.py [--repeat 7]`.

A small store is made first: the demo's (one runner's 10-week season of FIT files, two
shoes, pain entries, a coach). Each command then runs as its own process, best of ``--repeat``, beside
three floors measured in the same run: a bare `python -c pass`, `python -c "import
typer"` (the command-line library) and `python -c "import polars"` (what any command
that computes must load). Targets (issue 20): the help and the commands that only read
or write the store under 0.3 s; `check` within 1.2x of the polars floor.

`check` and `shoe list` asked again with nothing changed show the report kept on disk
(no guard pass, no polars); "check, each a new day" asks for a day no run asked before,
so each is a guard pass, as after a change. `pain` stores the entry and runs the guard.

Everything is measured twice: with the bytecode that `make setup` compiles, and with no
bytecode at all (``$PYTHONDONTWRITEBYTECODE`` and an empty ``$PYTHONPYCACHEPREFIX``:
every module compiled from source on every run, as where nothing was compiled at install
and Python may not cache it).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOADGUARD = str(Path(sys.executable).with_name("loadguard"))

FLOORS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import typer'": [sys.executable, "-c", "import typer"],
    "python -c 'import polars'": [sys.executable, "-c", "import polars"],
}
# (what a user types, the arguments after --db, the target)
COMMANDS = [
    ("loadguard --help", ["--help"], "< 0.3 s"),
    ("loadguard athlete list", ["athlete", "list"], "< 0.3 s"),
    ("loadguard alerts list", ["alerts", "list"], "< 0.3 s"),
    ("loadguard failures", ["failures"], "< 0.3 s"),
    ("loadguard pain 3 --after-run", ["pain", "3", "--after-run", "--date", "{day}"], "*"),
    ("loadguard shoe list", ["shoe", "list", "--as-of", "{day}"], "< 0.3 s"),
    ("loadguard check", ["check", "--as-of", "{day}"], "<= 1.2x polars"),
    ("loadguard check, each a new day", ["check", "--as-of", "{new_day}"], "*"),
]


def best(argv: list[str], env: dict[str, str], repeat: int, day: str = "") -> float:
    """Best of ``repeat`` runs; ``{new_day}`` in ``argv`` is a day no run before asked
    for (a day back each time), so nothing kept answers it: a guard pass each time."""
    times = []
    for n in range(repeat):
        new_day = (date.fromisoformat(day) - timedelta(days=n + 1)).isoformat() if day else ""
        asked = [a.replace("{new_day}", new_day) for a in argv]
        start = time.perf_counter()
        subprocess.run(asked, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def make_store(folder: Path, env: dict[str, str]) -> str:
    """The demo's store in ``folder``; returns the demo's last day."""
    done = subprocess.run(
        [LOADGUARD, "demo", "--folder", str(folder)], env=env, capture_output=True, text=True
    )
    found = re.search(r"as_of=(\d{4}-\d\d-\d\d)", done.stdout)
    if done.returncode != 0 or found is None:
        sys.exit(f"the demo failed: {done.stderr[-500:]}")
    return found.group(1)


def measure(
    env: dict[str, str], db: Path, day: str, repeat: int
) -> tuple[dict[str, float], list[float]]:
    floors = {name: best(argv, env, repeat) for name, argv in FLOORS.items()}
    commands = [
        best(
            [LOADGUARD, "--db", str(db), *(a.replace("{day}", day) for a in args)], env, repeat, day
        )
        for _, args, _ in COMMANDS
    ]
    return floors, commands


def report(title: str, floors: dict[str, float], commands: list[float]) -> None:
    polars = floors["python -c 'import polars'"]
    print(f"\n{title}")
    for name, seconds in floors.items():
        print(f"  {name:<34} {seconds:6.3f} s   floor")
    for (name, _, target), seconds in zip(COMMANDS, commands, strict=True):
        ratio = seconds / polars
        print(f"  {name:<34} {seconds:6.3f} s   {ratio:4.2f}x polars   target {target}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "COLUMNS": "80", "LOADGUARD_SETTINGS": str(Path(tmp) / "none.toml")}
        Path(env["LOADGUARD_SETTINGS"]).write_text("", encoding="utf-8")
        day = make_store(Path(tmp) / "demo", env)
        db = Path(tmp) / "demo" / "loadguard.sqlite"
        cached = measure(env, db, day, args.repeat)
        empty = Path(tmp) / "no-bytecode"
        empty.mkdir()
        cold_env = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(empty)}
        cold = measure(cold_env, db, day, max(3, args.repeat // 2))
    print(f"whole processes, best of {args.repeat}; * = runs the guard")
    report("With the bytecode `make setup` compiles:", *cached)
    report("With no bytecode (every module compiled on every run):", *cold)


if __name__ == "__main__":
    main()
