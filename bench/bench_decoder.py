"""Benchmark: the fast FIT decoder on ordinary files and on definition-heavy ones.

Run by hand: `.venv/bin/python bench/bench_decoder.py [--minutes 120] [--repeat 3]`.

Issue 20: a Suunto Ambit 3 file holds 14,217 definition messages for 14,768 data
messages, and files that redefine their messages that often fell from ~57 MB/s to
~20 MB/s. Measured here, each the best of ``--repeat``:

* the ordinary real files of ../shared/data/fit (every one the decoder reads whole),
  decoded one after the other;
* a run at 1 s of ``--minutes`` written by the generator of
  tests/test_fit_redefinitions.py: with its record defined once, with the record
  definition before every record, and in the Suunto shape (before 95% of the records,
  on local types 0 and 1 in turn, with events defined in between);
* fitparse reading every message of the two definition-heavy files.

Prints MB/s for each, and the ratio of each definition-heavy file's MB/s to the
ordinary files' and to fitparse's on the same file, all measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from loadguard.contract import ConnectorError
from loadguard_fit import decoder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from redefined import activity_file, run_samples

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fit"


def ordinary_files() -> list[bytes]:
    """The shared FIT files the decoder reads whole (not damaged, nothing dropped)."""
    found = []
    for path in sorted(DATA.glob("*/*")):
        if path.suffix.lower() != ".fit":
            continue
        payload = path.read_bytes()
        try:
            if not decoder.decode(payload).dropped:
                found.append(payload)
        except ConnectorError:
            continue
    return found


def best(work: Callable[[], object], repeat: int, least: float = 0.25) -> float:
    """Seconds ``work`` takes: the best of ``repeat`` timings, each of as many calls as
    take ``least`` seconds (one call of a small file is too short to time alone)."""
    began = time.perf_counter()
    work()
    calls = max(1, round(least / (time.perf_counter() - began)))
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        for _ in range(calls):
            work()
        times.append((time.perf_counter() - began) / calls)
    return min(times)


def decode_all(payloads: list[bytes]) -> None:
    for payload in payloads:
        decoder.decode(payload)


def fitparse_all_messages(payload: bytes) -> None:
    import fitparse

    for _ in fitparse.FitFile(payload).get_messages():
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=120, help="length of the generated run")
    parser.add_argument("--repeat", type=int, default=3, help="timings; the best counts")
    args = parser.parse_args()

    files = ordinary_files()
    size = sum(map(len, files))
    ordinary = size / best(lambda: decode_all(files), args.repeat) / 1e6
    print(
        f"ordinary real files:   {len(files):3d} files {size / 1e6:6.2f} MB  {ordinary:6.1f} MB/s"
    )

    samples = run_samples(args.minutes * 60)
    once = activity_file(samples, "once")
    mbs = len(once) / best(lambda: decoder.decode(once), args.repeat) / 1e6
    print(f"generated, defined once:     {len(once) / 1e6:6.2f} MB  {mbs:6.1f} MB/s")
    for shape, label in (("every", "redefined every record"), ("suunto", "Suunto shape")):
        payload = activity_file(samples, shape)
        ours = len(payload) / best(partial(decoder.decode, payload), args.repeat) / 1e6
        theirs = len(payload) / best(partial(fitparse_all_messages, payload), args.repeat) / 1e6
        definitions = _definitions(payload)
        print(
            f"{label + ':':28s} {len(payload) / 1e6:6.2f} MB  {ours:6.1f} MB/s"
            f"  ({definitions} definitions for {len(samples)} records;"
            f" fitparse {theirs:.2f} MB/s)"
        )
        print(
            f"    ratio: {ours / ordinary:.2f}x the ordinary files, {ours / theirs:.0f}x fitparse;"
            " target >= 50 MB/s"
        )
    print(f"(best of {args.repeat}, {args.minutes}-minute run at 1 s)")


def _definitions(payload: bytes) -> int:
    """How many definition messages a generated file holds (normal headers only)."""
    count, sizes = 0, [0] * 16
    pos, end = payload[0], len(payload) - 2
    while pos < end:
        header = payload[pos]
        if header & 0x40:
            count += 1
            fields = payload[pos + 6 : pos + 6 + 3 * payload[pos + 5]]
            sizes[header & 0x0F] = sum(fields[1::3])
            pos += 6 + len(fields)
        else:
            pos += 1 + sizes[header & 0x0F]
    return count


if __name__ == "__main__":
    main()
