"""The importing process reads too: when it waits for the worker processes, it reads the
chunks sent last that no worker has started yet (src/loadguard/sources/normalise.py,
``Readers``); the outcomes still come back in the order the records were given."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import pytest

from loadguard.contract import RawRecord
from loadguard.sources import normalise


def records(n: int) -> list[RawRecord]:
    return [RawRecord("test", f"key-{i}", b"bytes", "text/plain", f"file-{i}") for i in range(n)]


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_the_importing_process_reads_what_no_worker_started_and_the_order_is_kept() -> None:
    parent = os.getpid()

    def read(raw: RawRecord) -> Any:
        if os.getpid() != parent:
            time.sleep(0.02)  # the worker is slow: the importing process helps
        return [(raw.key, os.getpid() == parent)]

    raws = records(64)
    with normalise.Readers(read, workers=2) as readers:
        readers.parallel()
        assert readers.forked
        outcomes: list[Any] = readers.submit(raws)()
    assert [o[0][0] for o in outcomes] == [r.key for r in raws]
    read_here = sum(o[0][1] for o in outcomes)
    assert 0 < read_here < len(raws)


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_a_fault_is_the_same_whether_a_worker_or_the_importing_process_read_it() -> None:
    def read(raw: RawRecord) -> Any:
        if raw.key.endswith("3"):
            raise ZeroDivisionError("a bug of ours")
        return [raw.key]

    raws = records(40)
    with normalise.Readers(read, workers=2) as readers:
        readers.parallel()
        first = readers.submit(raws)
        second = readers.submit(raws)
        outcomes = first() + second()
    for raw, found in zip(raws + raws, outcomes, strict=True):
        if raw.key.endswith("3"):
            assert isinstance(found, Exception)
            assert str(found) == "a bug of ours"
        else:
            assert found == [raw.key]


def test_with_one_core_everything_is_read_in_the_importing_process() -> None:
    def read(raw: RawRecord) -> Any:
        return [raw.key]

    with normalise.Readers(read, workers=1) as readers:
        readers.parallel()
        assert not readers.forked
        assert readers.submit(records(3))() == [["key-0"], ["key-1"], ["key-2"]]
