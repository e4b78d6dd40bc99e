"""Benchmark: importing GPX and TCX files, against the plain parsers in the same run.

Run by hand: `.venv/bin/python bench/bench_gpx_tcx.py [--mb 100]`.

The 20 shared GPX and TCX files (../shared/data/gpx-tcx) are replicated to about
``--mb`` MB in one folder; each copy ends in its own XML comment, so its content hash
is new and every copy is really parsed, normalised, analysed and written (the copies'
runs are stored as duplicates of the first). Printed, each measured in this run:

* the import end to end (best of ``--repeat``): MB/s and files/s;
* our reader alone (parse + normalise) over one copy of the files;
* the plain parser loops over the same bytes: lxml building the tree (the floor any
  lxml reader stands on) and gpxpy reading the GPX files (the maintained GPX library);
* peak memory (max RSS) of reading the largest file, in a fresh process, above that
  process's own start.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from loadguard.app import service
from loadguard.contract import RawRecord
from loadguard.sources import registry
from loadguard.store.db import Store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gpx-tcx" / "sports-lib"


def loop(label: str, paths: list[Path], read: object) -> float:
    began = time.perf_counter()
    for path in paths:
        read(path.read_bytes())  # type: ignore[operator]
    seconds = time.perf_counter() - began
    mb = sum(p.stat().st_size for p in paths) / 1e6
    print(
        f"{label:<30} {len(paths):4d} files {mb:6.1f} MB in {seconds:6.2f} s = {mb / seconds:6.1f} MB/s"
    )
    return mb / seconds


def ours(payload: bytes, kind: str) -> None:
    connector = registry.connector(kind)
    connector.normalise(RawRecord(kind, "bench", payload, "", "bench"))


PEAK = """
import resource, sys
from pathlib import Path
from loadguard.contract import RawRecord
from loadguard.sources import registry
path = Path(sys.argv[1]); kind = path.suffix[1:]
connector = registry.connector(kind)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
connector.normalise(RawRecord(kind, "b", path.read_bytes(), "", "b"))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=3, help="imports timed; the best counts")
    args = parser.parse_args()

    files = sorted(p for p in DATA.iterdir() if p.suffix in (".gpx", ".tcx"))
    one_copy = sum(p.stat().st_size for p in files)
    copies = max(1, math.ceil(args.mb * 1e6 / one_copy))
    print(f"{len(files)} shared GPX/TCX files ({one_copy / 1e6:.1f} MB), {copies} copies")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "exports"
        folder.mkdir()
        for k in range(copies):
            for p in files:
                copy = p.read_bytes() + f"\n<!-- copy {k} -->\n".encode()
                (folder / f"{k:03d}-{p.name}").write_bytes(copy)
        total_files = copies * len(files)
        total_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        best = math.inf
        for attempt in range(args.repeat):
            db = root / f"bench{attempt}.sqlite"
            with Store(db) as store:
                athlete = store.add_athlete("a", "A", "heel-fat-pad", date(2012, 1, 2), "UTC")
                began = time.perf_counter()
                s = service.import_from(store, athlete, str(folder))
                best = min(best, time.perf_counter() - began)
                assert s.new == total_files, s.failed
            db.unlink()

    print(
        f"{'import into SQLite':<30} {total_files:4d} files {total_mb:6.1f} MB in {best:6.2f} s"
        f" = {total_mb / best:6.1f} MB/s, {total_files / best:5.0f} files/s (best of {args.repeat})"
    )
    from lxml import etree

    gpx = [p for p in files if p.suffix == ".gpx"]
    tcx = [p for p in files if p.suffix == ".tcx"]
    ours_gpx = loop("our GPX reader (normalise)", gpx, lambda b: ours(b, "gpx"))
    ours_tcx = loop("our TCX reader (normalise)", tcx, lambda b: ours(b, "tcx"))
    parser_ = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    tree = loop(
        "lxml tree only (floor)",
        files,
        lambda b: etree.fromstring(b.lstrip(b"\xef\xbb\xbf \r\n"), parser_),
    )

    import gpxpy

    def gpxpy_read(payload: bytes) -> None:
        text = (
            payload.decode("utf-8-sig").replace(
                "<gpx ", '<gpx xmlns:gpxdata="http://www.cluetrust.com/XML/GPXDATA/1/0" ', 1
            )
            if b"xmlns:gpxdata" not in payload
            else payload.decode("utf-8-sig")
        )
        gpxpy.parse(text)

    plain = loop("gpxpy.parse (GPX baseline)", gpx, gpxpy_read)
    print(
        f"ratios: our GPX reader {ours_gpx / plain:.1f}x gpxpy; readers at"
        f" {ours_gpx / tree:.2f}x (GPX) and {ours_tcx / tree:.2f}x (TCX) the bare lxml tree;"
        f" import end to end {total_mb / best / tree:.2f}x the bare tree"
    )
    largest = max(files, key=lambda p: p.stat().st_size)
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(largest)],
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = (int(v) for v in done.stdout.split())
    print(
        f"peak memory reading the largest file ({largest.name}, {largest.stat().st_size / 1e6:.1f} MB):"
        f" {after / 1024:.0f} MB max RSS, {(after - before) / 1024:.0f} MB above the process before it"
    )


if __name__ == "__main__":
    main()
