"""Fuzzing with a fixed seed: real shared FIT, GPX and TCX files mutated (bit flips, byte
overwrites, cut, dropped and repeated chunks, header fields), FIT's checksums re-fixed in
half of them so the damage reaches the decoder. The decoder and the importer must never
raise anything but their clear refusal, never hang, and never lose or double a run that
was stored before. A failure names the mutant (its number, source and mutation) so it can
be made again."""

from __future__ import annotations

import multiprocessing
import random
import shutil
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from clirun import lg
from fitdata import DATA, path_of
from loadguard.store.db import Store
from loadguard_fit.framing import crc16

SEED = 19
RUNS = ("activity-small-fenix2-run.fit", "garmin-fenix-5-run.fit", "2013-02-06-12-11-14.fit")
XML = DATA.parent / "gpx-tcx"
INTERESTING = (0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE)


def _flip(rnd: random.Random, data: bytearray) -> str:
    at = rnd.randrange(len(data))
    bit = rnd.randrange(8)
    data[at] ^= 1 << bit
    return f"bit {bit} of byte {at} flipped"


def _overwrite(rnd: random.Random, data: bytearray) -> str:
    at = rnd.randrange(len(data))
    data[at] = rnd.choice(INTERESTING)
    return f"byte {at} set to 0x{data[at]:02X}"


def _cut(rnd: random.Random, data: bytearray) -> str:
    keep = rnd.randrange(len(data))
    del data[keep:]
    return f"cut after {keep} bytes"


def _drop(rnd: random.Random, data: bytearray) -> str:
    at, size = rnd.randrange(len(data)), rnd.randint(1, 64)
    del data[at : at + size]
    return f"{size} bytes dropped at {at}"


def _repeat(rnd: random.Random, data: bytearray) -> str:
    at, size = rnd.randrange(len(data)), rnd.randint(1, 256)
    data[at:at] = data[at : at + size]
    return f"{size} bytes repeated at {at}"


def _header(rnd: random.Random, data: bytearray) -> str:
    at = rnd.choice((0, 1, 2, 3, 4, 5, 6, 7))  # header size, versions, data size
    data[at] = rnd.choice(INTERESTING)
    return f"header byte {at} set to 0x{data[at]:02X}"


MUTATIONS: tuple[Callable[[random.Random, bytearray], str], ...] = (
    _flip,
    _overwrite,
    _cut,
    _drop,
    _repeat,
    _header,
)


def fix_fit_framing(data: bytearray) -> None:
    """The header's data size and both CRCs made right again for what the bytes now are,
    so a mutation reaches the decoder's walk instead of being refused by its framing."""
    if len(data) < 16 or data[0] not in (12, 14):
        return
    header = data[0]
    data[4:8] = (len(data) - header - 2).to_bytes(4, "little")
    if header == 14:
        data[12:14] = crc16(bytes(data[:12])).to_bytes(2, "little")
    data[-2:] = crc16(bytes(data[:-2])).to_bytes(2, "little")


def mutants(sources: list[Path], count: int, *, fit: bool) -> list[tuple[str, bytes]]:
    """``count`` mutants of the sources: (how it was made, its bytes), always the same."""
    rnd = random.Random(SEED)
    originals = [(p.name, p.read_bytes()) for p in sources]
    made: list[tuple[str, bytes]] = []
    for i in range(count):
        name, original = rnd.choice(originals)
        data = bytearray(original)
        steps = [rnd.choice(MUTATIONS)(rnd, data) for _ in range(rnd.randint(1, 3)) if data]
        fixed = fit and i % 4 != 0  # three in four reach the decoder's walk
        if fixed:
            fix_fit_framing(data)
        how = f"#{i} {name}: {'; '.join(steps)}{', framing fixed' if fixed else ''}"
        made.append((how, bytes(data)))
    return made


def _decode_all(items: list[tuple[str, bytes]], out: multiprocessing.Queue[list[str]]) -> None:
    """In a child process: every mutant through the FIT connector's normalise; what was
    not a clear refusal (ConnectorError) comes back as a line naming the mutant."""
    from loadguard.contract import ConnectorError
    from loadguard_fit import normalise_payload

    crashes = []
    for how, data in items:
        try:
            normalise_payload(data)
        except ConnectorError:
            pass
        except Exception as exc:  # a crash: what the importer would print as a traceback
            last = traceback.format_exception_only(exc)[-1].strip()
            crashes.append(f"{how}: {last}")
    out.put(crashes)


def test_a_thousand_mutated_fit_files_are_decoded_or_refused_never_crash_or_hang() -> None:
    items = mutants([path_of(n) for n in RUNS], 1000, fit=True)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[list[str]] = context.Queue()
    child = context.Process(target=_decode_all, args=(items, results))
    child.start()
    crashes = results.get(timeout=300)  # far past the few seconds it takes: a hang
    child.join(timeout=30)
    assert crashes == []


@pytest.fixture
def stored_runs(tmp_path: Path) -> tuple[Path, list[tuple[object, ...]]]:
    """A store with three real runs, and their rows (id, start, distance) as imported."""
    db = tmp_path / "lg.sqlite"
    assert lg(db, "athlete", "add", "anna", "--start", "2012-12-31")[0] == 0
    watch = tmp_path / "watch"
    watch.mkdir()
    for name in RUNS:
        shutil.copy(path_of(name), watch / name)
    code, out = lg(db, "import", str(watch))
    assert code == 0, out
    return db, _counted(db)


def _counted(db: Path) -> list[tuple[object, ...]]:
    with Store(db) as store:
        rows = store.conn.execute(
            "SELECT id, start_utc, distance_m FROM activities"
            " WHERE duplicate_of IS NULL ORDER BY id"
        ).fetchall()
    return [tuple(r) for r in rows]


def _import_mutants(db: Path, folder: Path, items: list[tuple[str, bytes]], suffix: str) -> str:
    folder.mkdir()
    for i, (_, data) in enumerate(items):
        (folder / f"mutant{i:03d}{suffix}").write_bytes(data)
    code, out = lg(db, "import", str(folder))
    assert code in (0, 1), out  # 1: some failed, and the batch went on
    return out


def test_a_folder_of_mutated_fit_files_imports_past_every_bad_one_and_loses_no_stored_run(
    stored_runs: tuple[Path, list[tuple[object, ...]]], tmp_path: Path
) -> None:
    db, before = stored_runs
    items = mutants([path_of(n) for n in RUNS], 120, fit=True)
    out = _import_mutants(db, tmp_path / "mutants", items, ".fit")
    said = " ".join(out.split())
    assert "Traceback" not in out
    assert f"{len(items)} items" in said
    after = _counted(db)
    assert [r for r in after if r in before] == before  # every stored run, unchanged
    assert len({(r[1], r[2]) for r in after}) == len(after)  # no run counted twice
    for line in out.splitlines():
        if line.strip().startswith("failed"):
            assert ": " in line.split("mutant", 1)[-1]  # each failure says why


def test_mutated_gpx_and_tcx_files_are_refused_clearly_and_lose_no_stored_run(
    stored_runs: tuple[Path, list[tuple[object, ...]]], tmp_path: Path
) -> None:
    db, before = stored_runs
    sources = sorted(p for p in XML.rglob("*") if p.suffix.lower() in (".gpx", ".tcx"))
    for suffix in (".gpx", ".tcx"):  # the three smallest of each kind
        picked = sorted((p for p in sources if p.suffix == suffix), key=lambda p: p.stat().st_size)
        picked = picked[:3]
        out = _import_mutants(db, tmp_path / suffix[1:], mutants(picked, 40, fit=False), suffix)
        assert "Traceback" not in out
    assert [r for r in _counted(db) if r in before] == before
