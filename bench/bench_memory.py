"""Benchmark: peak memory of `loadguard import` on a 65 MB chained FIT file, whole process.

Run by hand: `.venv/bin/python bench/bench_memory.py [--mb 65]`.

The file chains a real shared FIT file (garmin-stamina.fit, 378 KB) until it is 65 MB,
as a watch that never clears its memory does. Measured: the peak resident memory of the
import process (getrusage of the child), and as the baseline in the same run the peak of
the same command with nothing to read (the interpreter and loadguard's libraries).
Target: under 300 MB. Issue 19 found 1.93 GB; before its fix this file took 6.3 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXE = Path(sys.executable).with_name("loadguard")
SOURCE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "fit" / "other" / "garmin-stamina.fit"
)


def peak_mb(args: list[str]) -> tuple[float, float, str]:
    """Peak RSS (MB) and wall seconds of one child process, and its output."""
    began = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status:
        raise SystemExit(f"{' '.join(args)} failed:\n{out}")
    return usage.ru_maxrss / 1024, time.perf_counter() - began, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=65)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = SOURCE.read_bytes()
        copies = (args.mb << 20) // len(one) + 1
        chain = Path(tmp) / "chain.fit"
        chain.write_bytes(one * copies)
        empty = Path(tmp) / "empty"
        empty.mkdir()
        db = Path(tmp) / "bench.sqlite"
        base = [str(EXE), "--db", str(db)]
        subprocess.run(
            [*base, "athlete", "add", "anna", "--start", "2026-03-02"],
            check=True,
            capture_output=True,
        )
        floor, _, _ = peak_mb([*base, "import", str(empty)])
        peak, seconds, out = peak_mb([*base, "import", str(chain)])
    size = copies * len(one)
    print(f"file: {size / 2**20:.1f} MB, {copies} chained copies of {SOURCE.name}")
    print(" ".join(out.split())[:160])
    print(f"baseline, import of an empty folder: peak {floor:6.0f} MB")
    print(
        f"import of the chained file:          peak {peak:6.0f} MB  ({seconds:.1f} s; target < 300 MB)"
    )
    print(
        f"ratio: {peak / floor:.2f}x the baseline; {peak - floor:.0f} MB above it for a {size / 2**20:.0f} MB file"
    )


if __name__ == "__main__":
    main()
