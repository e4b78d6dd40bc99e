"""The FIT decoder's fast path (connectors/fit/src/loadguard_fit/fastpath.py: layouts
resolved per walk entry, few messages read by struct, a run read in place) decodes
every file to the very values the general path gives, bit for bit: the shared real
files and generated ones covering each base type, invalid values, byte orders,
redefinitions, runs, many entries and compressed headers. The shortcuts of the FIT
normaliser's streams and of the surface mix are checked against the plain formulas."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator

import numpy as np
import pytest

from fitdata import data, definition, fit_file, fit_files
from loadguard.contract import Activity, ConnectorError
from loadguard.surfaces import mix
from loadguard_fit import decoder, fastpath
from loadguard_fit import normalise as fit_normalise
from loadguard_fit import profile as p
from loadguard_fit.decoder import FitData

# Base type byte -> struct code, for writing values of each FIT base type.
TYPES = {0x00: "B", 0x01: "b", 0x02: "B", 0x83: "h", 0x84: "H", 0x85: "i", 0x86: "I"}
TYPES.update({0x07: "B", 0x88: "f", 0x89: "d", 0x0A: "B", 0x8B: "H", 0x8C: "I", 0x0D: "B"})
TYPES.update({0x8E: "q", 0x8F: "Q", 0x90: "Q"})


def general(payload: bytes, monkeypatch: pytest.MonkeyPatch) -> FitData | str:
    """The file decoded by the general path alone (or the error it raises)."""
    with monkeypatch.context() as m:
        m.setattr(fastpath, "entries_by_layout", lambda *_: None)
        return decoded(payload)


def decoded(payload: bytes) -> FitData | str:
    try:
        return decoder.decode(payload)
    except ConnectorError as err:
        return f"error: {err}"


def bits(result: FitData | str) -> object:
    """Everything decoded, to the bit: offsets, columns in order, NaN included."""
    if isinstance(result, str):
        return result
    return (
        result.dropped,
        {
            mesg: (
                table.offsets.dtype.str,
                table.offsets.tobytes(),
                [(num, col.dtype.str, col.tobytes()) for num, col in table.columns.items()],
            )
            for mesg, table in result.tables.items()
        },
    )


def assert_same(payload: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert bits(decoded(payload)) == bits(general(payload, monkeypatch))


def test_the_fast_path_decodes_every_shared_file_as_the_general_path_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = fit_files()
    assert len(files) > 40
    for path in files:
        assert_same(path.read_bytes(), monkeypatch)


def test_the_shared_files_take_every_branch_of_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken: dict[str, int] = {}
    for name in ("entries_by_layout", "_by_numpy", "scalar_columns", "run_columns"):
        original = getattr(fastpath, name)

        def counted(*args: object, _name: str = name, _original: object = original) -> object:
            found = _original(*args)  # type: ignore[operator]
            key = f"{_name} -> None" if found is None else _name
            taken[key] = taken.get(key, 0) + 1
            return found

        monkeypatch.setattr(fastpath, name, counted)
    for path in fit_files():
        decoded(path.read_bytes())
    for branch in ("_by_numpy", "scalar_columns", "run_columns", "run_columns -> None"):
        assert taken.get(branch), branch
    assert taken.get("entries_by_layout -> None")  # compressed timestamps: the general path


def values_of(rng: random.Random, code: str, count: int) -> list[float | int]:
    """Values of one field: ordinary ones, edges, and every byte 0xFF (invalid) or 0."""
    size = struct.calcsize(code)
    raw = [rng.getrandbits(8 * size).to_bytes(size, "little") for _ in range(count)]
    for k in range(count):
        pick = rng.random()
        if pick < 0.15:
            raw[k] = b"\xff" * size
        elif pick < 0.25:
            raw[k] = b"\x00" * size
        elif pick < 0.3 and code in "fd":
            raw[k] = struct.pack("<" + code, rng.choice([float("inf"), -3e38, 2.0**53, 1e15]))
        elif pick < 0.35 and code in "qQ":
            raw[k] = struct.pack("<" + code, rng.choice([2**53 - 1, 2**53, 2**53 + 1]))
    return [struct.unpack("<" + code, b)[0] for b in raw]


def random_file(rng: random.Random) -> bytes:
    """A file of random layouts (wanted messages and fields among others, every base type,
    arrays, fields too short for their type, both byte orders), written as runs, single
    messages and redefinitions of local types, sometimes spaced by other messages."""
    out = bytearray()
    wanted = [p.FILE_ID, p.SESSION, p.RECORD, p.ACTIVITY, 78]
    for _ in range(rng.randint(1, 12)):
        mesg = rng.choice(wanted)
        local = rng.randint(0, 14)  # 15: the other messages
        big = rng.random() < 0.3
        nums = [*sorted(p.WANTED.get(mesg, {1, 2, 3})), 99]
        fields = []
        for num in rng.sample(nums, rng.randint(1, len(nums))):
            base = rng.choice(list(TYPES))
            size = struct.calcsize(TYPES[base]) * rng.choice([1, 1, 1, 2])
            if rng.random() < 0.05:
                size = max(1, size - 1)  # not a multiple of its type: read as invalid
            fields.append((num, size, base))
        out += definition(local, mesg, fields, big=big)
        count = rng.choice([1, 1, 2, 3, 17, 40, 300])
        columns = []
        for _num, size, base in fields:
            code = TYPES[base]
            if size % struct.calcsize(code):
                columns.append(
                    [bytes(rng.getrandbits(8) for _ in range(size)) for _ in range(count)]
                )
                continue
            pad = size - struct.calcsize(code)
            columns.append(
                [
                    struct.pack((">" if big else "<") + code, v) + b"\xff" * pad
                    for v in values_of(rng, code, count)
                ]
            )
        for k in range(count):
            out += data(local, b"".join(col[k] for col in columns))
            if rng.random() < 0.02:  # a message of another local type breaks the run
                out += definition(15, 79, [(0, 1, 0x02)]) + data(15, b"\x07")
    return fit_file(bytes(out))


@pytest.mark.parametrize("seed", range(40))
def test_the_fast_path_decodes_generated_files_as_the_general_path_does(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_same(random_file(random.Random(seed)), monkeypatch)


def test_many_entries_are_resolved_in_numpy_as_the_general_path_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = [(p.TIMESTAMP, 4, 0x86), (p.HEART_RATE, 1, 0x02), (p.SPEED, 2, 0x84)]
    body = bytearray(definition(0, p.RECORD, record))
    for i in range(fastpath.SWEEP_MAX + 50):  # an event between records: no run forms
        if i % 97 == 0:
            body += definition(0, p.RECORD, record[: 1 + i % 3])  # a redefinition
        size = sum(size for _, size, _ in record[: 1 + (i // 97) % 3 if i >= 97 else 3])
        body += data(0, (struct.pack("<IBH", 1_000_000 + i, 120, 2500) + b"\0" * 7)[:size])
        body += definition(1, p.EVENT, [(0, 1, 0x00)]) + data(1, b"\x01")
    assert_same(fit_file(bytes(body)), monkeypatch)


def test_compressed_timestamps_leave_the_file_to_the_general_path() -> None:
    body = definition(0, p.RECORD, [(p.TIMESTAMP, 4, 0x86), (p.HEART_RATE, 1, 0x02)])
    body += data(0, struct.pack("<IB", 1_000_000_000, 150))
    body += definition(1, p.RECORD, [(p.HEART_RATE, 1, 0x02)])
    body += data(1, bytes([151]), time_offset=3)
    payload = fit_file(body)
    found = decoder.walk(payload, 14, len(payload) - 2)
    assert fastpath.entries_by_layout(payload, found, p.WANTED) is None
    stamps = decoder.decode(payload).table(p.RECORD).get(p.TIMESTAMP)
    assert stamps.tolist() == [1_000_000_000, 1_000_000_003]


def plain_streams(
    records: decoder.Table, rows: decoder.I64, start: float, strides: bool
) -> dict[str, np.ndarray]:
    """The streams as the plain formulas give them (every column indexed by ``rows``)."""

    def col(num: int) -> np.ndarray:
        return records.get(num)[rows]

    speed = col(p.ENHANCED_SPEED)
    speed = np.where(np.isnan(speed), col(p.SPEED), speed)
    cadence = col(p.CADENCE)
    if strides:
        cadence = 2.0 * (cadence + np.nan_to_num(col(p.FRACTIONAL_CADENCE)))
    return {
        "t": col(p.TIMESTAMP) - start,
        "lat": col(p.POSITION_LAT) * (180.0 / 2**31),
        "lon": col(p.POSITION_LONG) * (180.0 / 2**31),
        "distance_m": col(p.DISTANCE),
        "speed_mps": speed.astype(np.float32),
        "cadence_spm": cadence.astype(np.float32),
        "heart_rate": col(p.HEART_RATE).astype(np.float32),
    }


def record_tables() -> Iterator[decoder.Table]:
    for path in fit_files():
        result = decoded(path.read_bytes())
        if not isinstance(result, str) and len(result.table(p.RECORD)):
            yield result.table(p.RECORD)


def test_the_streams_are_what_the_plain_formulas_give_on_every_shared_file() -> None:
    for records in record_tables():
        stamps = records.get(p.TIMESTAMP)
        for rows in (np.flatnonzero(~np.isnan(stamps)), np.arange(len(records) // 2)):
            for strides in (True, False):
                fast = fit_normalise._streams(records, rows, 1e9, strides).columns
                plain = plain_streams(records, rows, 1e9, strides)
                assert list(fast) == list(plain)
                for name, column in plain.items():
                    assert fast[name].dtype == column.dtype
                    assert fast[name].tobytes() == column.tobytes(), name


def activities() -> Iterator[Activity]:
    for path in fit_files():
        try:
            yield from fit_normalise.normalise_payload(path.read_bytes())
        except ConnectorError:
            continue


def test_a_track_nothing_can_classify_mixes_as_the_general_path_does() -> None:
    import shapely.geometry

    # a place nowhere near any run: the general path runs, and classifies no point
    far = mix.Place("far", "grass", shapely.geometry.box(-170.0, -80.0, -169.0, -79.0))
    general_context = mix.SurfaceContext(places=(far,))
    checked = 0
    for activity in activities():
        if mix.SUB_SPORTS.get(activity.sub_sport):
            continue
        fast = mix.mix(activity, mix.SurfaceContext())
        plain = mix.mix(activity, general_context)
        assert fast.method == plain.method
        assert {k: v.hex() for k, v in fast.metres.items()} == {
            k: v.hex() for k, v in plain.metres.items()
        }
        checked += fast.method == "gps"
    assert checked > 10
