"""The decoder's path for files without compressed timestamps: layouts resolved per walk
entry, few messages read by :mod:`struct`, a run read in place.

The general path (:func:`loadguard_fit.decoder._resolve`) looks up the definition in
force for every collected message, in numpy. But a run of data messages (one header
byte, one after the other) has one definition in force throughout: no definition can
come between its messages. So the lookup is done once per entry of the walk (a message
or a whole run), here in a Python sweep when there are few of them, which is most of an
activity file's cost for a watch that writes its records as one long run.

Then each layout's fields are read as the general path reads them (:func:`.decoder._raw`
says how): a layout of a few messages (file_id, session, activity) by one
:class:`struct.Struct` per message, every value as a Python float, which costs far less
than numpy's per-array overhead; a layout whose messages are one run as strided views of
the file's bytes, with no copy of its rows. The values are the same to the bit: each is
the raw value as float64, NaN where invalid or (8-byte and float types) not below 2**53
in magnitude, divided by its scale.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from . import profile as p
from .walk import Layout, Walk

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

# A walk entry: its first message's offset, its messages and the bytes from one to the next.
Entry = tuple[int, int, int]
# Entries resolved by a Python sweep at most (more: in numpy, as the general path does).
SWEEP_MAX = 64
# A layout of at most this many messages is read message by message with struct.
SCALAR_MAX = 16
_NAN = float("nan")
_BIG = 2.0**53
_CODES = {"u1": "B", "i1": "b", "u2": "H", "i2": "h", "u4": "I", "i4": "i"}
_CODES.update({"u8": "Q", "i8": "q", "f4": "f", "f8": "d"})


@dataclass(frozen=True)
class Entries:
    """The entries of one layout's data messages in file order: each one's first offset,
    messages and bytes from one message to the next (lists for few, arrays for many)."""

    starts: list[int] | I64
    counts: list[int] | I64
    steps: list[int] | I64

    def messages(self) -> int:
        counts = self.counts
        return int(counts.sum()) if isinstance(counts, np.ndarray) else sum(counts)

    def each(self) -> list[Entry]:
        """Every entry as (first offset, messages, step)."""
        starts, counts, steps = self.starts, self.counts, self.steps
        if isinstance(starts, np.ndarray):
            starts = starts.tolist()
            counts, steps = np.asarray(counts).tolist(), np.asarray(steps).tolist()
        return list(zip(starts, counts, steps, strict=True))

    def offsets(self) -> I64:
        """The offsets of all the messages, in file order."""
        if len(self.starts) == 1:
            ((pos, count, step),) = self.each()
            return pos + np.arange(count, dtype=np.int64) * step
        starts = np.asarray(self.starts, dtype=np.int64)
        counts = np.asarray(self.counts, dtype=np.int64)
        if int(counts.max()) == 1:
            return starts
        steps = np.asarray(self.steps, dtype=np.int64)
        first = np.cumsum(counts) - counts  # where each entry's messages begin
        nth = np.arange(first[-1] + counts[-1]) - np.repeat(first, counts)
        out: I64 = np.repeat(starts, counts) + nth * np.repeat(steps, counts)
        return out


def entries_by_layout(
    data: bytes, found: Walk, wanted: Mapping[int, frozenset[int]]
) -> list[tuple[Layout, Entries]] | None:
    """Each wanted layout (in the walk's order) with the entries of its data messages;
    None when a collected message has a compressed header (its time depends on the
    messages before it: the general path reckons it)."""
    positions = found.positions
    if not positions:
        return []
    if len(positions) + len(found.def_pos) > SWEEP_MAX:
        return _by_numpy(data, found, wanted)
    in_force = [-1] * 16
    def_pos, def_local, def_layout = found.def_pos, found.def_local, found.def_layout
    d, defs = 0, len(def_pos)
    runs = {index: (count, step) for index, count, step in found.runs}
    lists: dict[int, tuple[list[int], list[int], list[int]]] = {}
    for i, pos in enumerate(positions):
        while d < defs and def_pos[d] < pos:
            in_force[def_local[d]] = def_layout[d]
            d += 1
        header = data[pos]
        if header & 0x80:
            return None
        count, step = runs.get(i, (1, 0))
        index = in_force[header & 0x0F]
        group = lists.get(index)
        if group is None:
            group = lists[index] = ([], [], [])
        group[0].append(pos)
        group[1].append(count)
        group[2].append(step)
    return _wanted(found, {index: Entries(*group) for index, group in lists.items()}, wanted)


def _by_numpy(
    data: bytes, found: Walk, wanted: Mapping[int, frozenset[int]]
) -> list[tuple[Layout, Entries]] | None:
    """:func:`entries_by_layout` for many entries: the same lookup, in numpy."""
    starts = np.asarray(found.positions, dtype=np.int64)
    headers = np.frombuffer(data, np.uint8)[starts]
    if (headers >= 0x80).any():
        return None
    local = (headers & 0x0F).astype(np.int64)
    def_keys = np.asarray(found.def_local, dtype=np.int64) << 32 | np.asarray(found.def_pos)
    order = np.argsort(def_keys)
    latest = np.searchsorted(def_keys[order], local << 32 | starts, side="right") - 1
    layout_of = np.asarray(found.def_layout, dtype=np.int64)[order][latest]
    counts = np.ones(len(starts), np.int64)
    steps = np.zeros(len(starts), np.int64)
    if found.runs:
        index, count, step = np.asarray(found.runs, dtype=np.int64).T
        counts[index], steps[index] = count, step
    groups: dict[int, Entries] = {}
    for index in np.unique(layout_of).tolist():
        if found.layouts[index].global_num in wanted:
            sel = layout_of == index
            groups[index] = Entries(starts[sel], counts[sel], steps[sel])
    return _wanted(found, groups, wanted)


def _wanted(
    found: Walk, groups: dict[int, Entries], wanted: Mapping[int, frozenset[int]]
) -> list[tuple[Layout, Entries]]:
    return [
        (found.layouts[index], groups[index])
        for index in sorted(groups)
        if found.layouts[index].global_num in wanted
    ]


# A field read by struct: its number, its invalid raw value (None: none), whether its
# magnitude is checked against 2**53 (8-byte and float types), and its scale (0: none).
_Field = tuple[int, int | None, bool, float]


@lru_cache(maxsize=1024)  # layouts seen (a hostile file may hold thousands)
def _plan(
    layout_key: tuple[int, bool, bytes], nums: frozenset[int]
) -> tuple[struct.Struct, list[_Field]]:
    """One struct for the wanted fields of a layout's message body (the rest padding), and
    what to do with each value; a field the general path drops (its size not a multiple
    of its type's) is left out the same way."""
    global_num, big, spec = layout_key
    fmt = [">" if big else "<"]
    at = 0
    fields: list[_Field] = []
    for num, offset, size, base in Layout(global_num, big, 0, spec).fields:
        if num not in nums:
            continue
        bt = p.BASE_TYPES.get(base & 0x1F, p.BYTE)
        if size < bt.size or size % bt.size:
            continue
        # an invalid value for the types invalid when every byte is 0xFF: the byte's
        # 255; a float's all-0xFF is a NaN, made NaN by the magnitude check anyway
        invalid = bt.invalid if bt.invalid is not None else (0xFF if bt.size == 1 else None)
        if offset > at:
            fmt.append(f"{offset - at}x")
        fmt.append(_CODES[bt.dtype])
        at = offset + bt.size
        check = bt.size == 8 or bt.dtype[0] == "f"
        fields.append((num, invalid, check, p.SCALES.get((global_num, num), 0.0)))
    return struct.Struct("".join(fmt)), fields


def is_scalar(layout: Layout, entries: Entries) -> bool:
    """Whether the layout's messages are few enough to read one by one (and none holds
    compressed speed and distance, unpacked in numpy)."""
    if entries.messages() > SCALAR_MAX:
        return False
    return layout.global_num != p.RECORD or not any(
        num == p.COMPRESSED_SPEED_DISTANCE for num, *_ in layout.fields
    )


def scalar_columns(
    data: bytes, layout: Layout, entries: Entries, nums: frozenset[int]
) -> dict[int, F64]:
    """The wanted fields of a layout's few messages, read by struct."""
    unpacker, fields = _plan((layout.global_num, layout.big_endian, layout.spec), nums)
    unpack = unpacker.unpack_from
    rows = [
        unpack(data, pos + 1 + k * step)
        for pos, count, step in entries.each()
        for k in range(count)
    ]
    cols: dict[int, F64] = {}
    for i, (num, invalid, check, scale) in enumerate(fields):
        values = []
        for row in rows:
            value = row[i]
            if value == invalid or (check and not abs(value) < _BIG):
                values.append(_NAN)
            else:
                values.append(value / scale if scale else float(value))
        cols[num] = np.array(values, dtype=np.float64)
    return cols


def run_columns(
    buf: U8, layout: Layout, entry: Entry, nums: frozenset[int]
) -> dict[int, F64] | None:
    """The wanted fields of a layout's messages that are one run, read in place as
    strided views of ``buf``; None for a field kind the general path must read."""
    pos, count, step = entry
    body = pos + 1
    cols: dict[int, F64] = {}
    for num, offset, size, base in layout.fields:
        if num not in nums:
            continue
        if layout.global_num == p.RECORD and num == p.COMPRESSED_SPEED_DISTANCE:
            return None
        bt = p.BASE_TYPES.get(base & 0x1F, p.BYTE)
        if size < bt.size or size % bt.size:
            continue
        dtype = _dtype(bt.dtype, layout.big_endian)
        raw: npt.NDArray[np.generic] = np.ndarray((count,), dtype, buf, body + offset, (step,))
        values: F64 = raw.astype(np.float64)
        if bt.invalid is None:
            shape = (count, bt.size)
            cells: U8 = np.ndarray(shape, np.uint8, buf, body + offset, (step, 1))
            invalid = (cells == 0xFF).all(axis=1)
        else:
            invalid = raw == bt.invalid
        if invalid.any():
            values[invalid] = np.nan
        if bt.size == 8 or bt.dtype[0] == "f":
            values[~(np.abs(values) < _BIG)] = np.nan
        scale = p.SCALES.get((layout.global_num, num))
        if scale:
            values /= scale
        cols[num] = values
    return cols


@cache
def _dtype(code: str, big: bool) -> np.dtype[np.generic]:
    return np.dtype(code).newbyteorder(">" if big else "<")
