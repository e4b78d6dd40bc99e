"""Benchmark: importing real running FIT files into SQLite, against plain fitparse.

Run by hand: `.venv/bin/python bench/bench_import.py [--files 1000]`.

The real running files of ../shared/data/fit are replicated to at least
``--files`` files in one watch folder of one athlete, as a big archive would
come. Each replica differs in one header byte (the profile version, with both
CRCs made right again), so its content hash is new and every file is really
decoded, normalised, analysed and written (the copies' runs are then stored as
duplicates of the first, as the same run from another file would be). Prints
end-to-end MB/s and files/s, the re-import of the unchanged folder, and a
plain fitparse loop over one copy of the files measured in the same run, with
the ratio between them.
"""

from __future__ import annotations

import argparse
import math
import struct
import tempfile
import time
from datetime import date
from pathlib import Path

import fastcrc

from loadguard.app import service
from loadguard.contract import DROPPED, ConnectorError, RawRecord
from loadguard.sources import registry
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
            activities = fit.normalise(raw)
            # whole files only (not the damaged ones whose first part is salvaged), so that
            # the fitparse baseline reads the same files
            if any(a.sport == "running" for a in activities) and not any(
                DROPPED in a.extras for a in activities
            ):
                found.append(path)
        except ConnectorError:
            continue
    return found


def replica(data: bytes, k: int) -> bytes:
    """The same FIT file with profile version k: new bytes, same content, valid CRCs."""
    out = bytearray(data)
    struct.pack_into("<H", out, 2, k)
    if out[0] == 14 and struct.unpack_from("<H", out, 12)[0] != 0:
        struct.pack_into("<H", out, 12, fastcrc.crc16.arc(bytes(out[:12])))
    end = out[0] + struct.unpack_from("<I", out, 4)[0]
    struct.pack_into("<H", out, end, fastcrc.crc16.arc(bytes(out[:end])))
    return bytes(out)


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
    parser.add_argument("--repeat", type=int, default=3, help="imports timed; the best counts")
    args = parser.parse_args()

    files = running_files()
    one_copy = sum(p.stat().st_size for p in files)
    copies = math.ceil(args.files / len(files))
    print(f"{len(files)} real running files ({one_copy / 1e6:.1f} MB), {copies} copies")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        watch = root / "GARMIN" / "Activity"
        watch.mkdir(parents=True)
        for k in range(copies):
            for p in files:
                (watch / f"{k:03d}-{p.name}").write_bytes(replica(p.read_bytes(), k + 1))
        total_files = copies * len(files)
        total_mb = copies * one_copy / 1e6

        # Shared machines are noisy: each import goes into a fresh store, the best counts.
        first = again = math.inf
        for attempt in range(args.repeat):
            db = root / f"bench{attempt}.sqlite"
            with Store(db) as store:
                athlete = store.add_athlete("a", "A", "heel-fat-pad", date(2012, 1, 2), "UTC")
                began = time.perf_counter()
                s = service.import_from(store, athlete, str(watch))
                first = min(first, time.perf_counter() - began)
                assert s.new == total_files, s.failed

                began = time.perf_counter()
                s = service.import_from(store, athlete, str(watch))
                again = min(again, time.perf_counter() - began)
                assert s.unchanged == total_files
            db_mb = db.stat().st_size / 1e6
            db.unlink()

    baseline = fitparse_loop(files)
    ours = total_mb / first
    theirs = one_copy / 1e6 / baseline
    print(
        f"import into SQLite:   {total_files:5d} files {total_mb:7.1f} MB in {first:6.2f} s"
        f" = {ours:6.1f} MB/s, {total_files / first:7.0f} files/s  (store {db_mb:.0f} MB;"
        f" best of {args.repeat})"
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
