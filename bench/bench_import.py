"""Benchmark: importing real running FIT files into SQLite, against plain fitparse.

Run by hand: `uv run python bench/bench_import.py [--files 1000]`.

The real running files of ../shared/data/fit are replicated to at least
``--files`` files. Each replica goes to its own athlete (re-importing the same
bytes for one athlete is a no-op by design), so every file is really decoded,
normalised, analysed and written. Prints end-to-end MB/s and files/s, the
re-import of unchanged files, and a plain fitparse loop over one copy of the
same files measured in the same run, with the ratio between them.
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from loadguard import registry, service
from loadguard.contract import ConnectorError, RawRecord
from loadguard.store.db import Store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fit"


def running_files() -> list[Path]:
    """The shared files the connector reads as at least one run."""
    fit = registry.connector("fit")
    found = []
    for path in sorted(DATA.glob("*/*")):
        if path.suffix.lower() != ".fit":
            continue
        raw = RawRecord("fit", "bench", path.read_bytes(), "application/vnd.ant.fit", str(path))
        try:
            if any(a.sport == "running" for a in fit.normalise(raw)):
                found.append(path)
        except ConnectorError:
            continue
    return found


def fitparse_loop(paths: list[Path]) -> float:
    """Seconds for fitparse to read every message of every file (what a plain importer does)."""
    import fitparse

    began = time.perf_counter()
    for path in paths:
        for _ in fitparse.FitFile(str(path)).get_messages():
            pass
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()

    files = running_files()
    one_copy = sum(p.stat().st_size for p in files)
    copies = math.ceil(args.files / len(files))
    print(f"{len(files)} real running files ({one_copy / 1e6:.1f} MB), {copies} copies")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for k in range(copies):
            folder = root / "watch" / f"athlete{k:03d}"
            folder.mkdir(parents=True)
            for p in files:
                shutil.copy(p, folder / p.name)
        total_files = copies * len(files)
        total_mb = copies * one_copy / 1e6

        with Store(root / "bench.sqlite") as store:
            athletes = [
                store.add_athlete(f"a{k:03d}", f"A{k}", "heel-fat-pad", date(2012, 1, 2), "UTC")
                for k in range(copies)
            ]
            began = time.perf_counter()
            for k, athlete in enumerate(athletes):
                s = service.import_from(store, athlete, str(root / "watch" / f"athlete{k:03d}"))
                assert s.new == len(files), s.failed
            first = time.perf_counter() - began

            began = time.perf_counter()
            for k, athlete in enumerate(athletes):
                s = service.import_from(store, athlete, str(root / "watch" / f"athlete{k:03d}"))
                assert s.unchanged == len(files)
            again = time.perf_counter() - began
        db_mb = (root / "bench.sqlite").stat().st_size / 1e6

    baseline = fitparse_loop(files)
    ours = total_mb / first
    theirs = one_copy / 1e6 / baseline
    print(
        f"import into SQLite:   {total_files:5d} files {total_mb:7.1f} MB in {first:6.2f} s"
        f" = {ours:6.1f} MB/s, {total_files / first:7.0f} files/s  (store {db_mb:.0f} MB)"
    )
    print(
        f"re-import unchanged:  {total_files:5d} files in {again:6.2f} s"
        f" = {total_files / again:7.0f} files/s"
    )
    print(
        f"fitparse loop:        {len(files):5d} files {one_copy / 1e6:7.1f} MB in {baseline:6.2f} s"
        f" = {theirs:6.2f} MB/s  (baseline, same run)"
    )
    print(f"ratio: import end to end is {ours / theirs:.0f}x the fitparse loop; target >= 50 MB/s")


if __name__ == "__main__":
    main()
