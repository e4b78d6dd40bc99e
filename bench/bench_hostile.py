"""Benchmark: how fast hostile archives are refused, as whole `loadguard import` processes.

Run by hand: `.venv/bin/python bench/bench_hostile.py`.

Issue 19 found a 12.9 KB zip nested 4 deep with a fan-out of 8 running for over 4
minutes while holding the store's write lock. Measured here (best of 3): the refusal of
that zip (built the same way: 4,096 leaves), of one packing a member 1,000:1, and of one
holding 25,000 files; baseline in the same run: the same command on an empty folder
(start-up and nothing to read).
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from zips import nested

EXE = Path(sys.executable).with_name("loadguard")
LEAF = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "fit"
    / "python-fitparse"
    / "activity-small-fenix2-run.fit"
)


def packed() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("run.fit", b"\0" * (200 << 20))
    return buffer.getvalue()


def many() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(25_000):
            archive.writestr(f"run{i}.fit", b"x")
    return buffer.getvalue()


def best(args: list[str]) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(3):
        began = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True)
        times.append(time.perf_counter() - began)
        out = " ".join((done.stdout + done.stderr).split())
    return min(times), out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        base = [str(EXE), "--db", str(db)]
        subprocess.run(
            [*base, "athlete", "add", "anna", "--start", "2026-03-02"],
            check=True,
            capture_output=True,
        )
        empty = Path(tmp) / "empty"
        empty.mkdir()
        floor, _ = best([*base, "import", str(empty)])
        print(f"baseline, import of an empty folder:   {floor:6.2f} s")
        for name, data in (
            ("zip nested 4 deep, fan-out 8", nested(4, 8, LEAF.read_bytes()[:200])),
            ("member packed 1,000:1 (200 MB)", packed()),
            ("25,000 files in one zip", many()),
        ):
            path = Path(tmp) / "bomb.zip"
            path.write_bytes(data)
            seconds, out = best([*base, "import", str(path)])
            reason = out.split("is refused", 1)[-1][:70] if "is refused" in out else out[:70]
            print(
                f"{name:<32} {len(data) / 1024:8.1f} KB refused in {seconds:5.2f} s"
                f" ({seconds / floor:.2f}x the baseline):{reason}"
            )


if __name__ == "__main__":
    main()
