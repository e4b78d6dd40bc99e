"""A fast FIT decoder: a tight header walk in Python, field extraction in numpy.

1. Check each (possibly chained) file's header and CRC (:mod:`.framing`).
2. Walk the message headers with one table lookup per message (header byte ->
   size under the current definitions), collecting the offsets of wanted messages
   (:mod:`.walk`; a run of data messages with one header byte is taken whole, a
   definition repeating the one in force is skipped in place).
3. Resolve each message's definition vectorised, gather every wanted field of
   all messages of one layout at once (NaN where invalid, scaled), and merge the
   layouts of one global message in file order. Unless a message has a compressed
   header, :mod:`.fastpath` does this once per walk entry (a message or a whole run),
   reads a layout of a few messages with struct and a run in place: the same values.
4. Synthesise compressed timestamps and compressed speed/distance as fitparse does.

Damaged input raises :class:`ConnectorError`; anything else is a decoder bug.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from loadguard.contract import ConnectorError

from . import fastpath, framing
from . import profile as p
from .walk import Layout, Walk, overrun, walk

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Table:
    """All messages of one global number in file order: their byte offsets, and per
    field number float64 values in physical units (NaN where invalid or absent);
    timestamps stay FIT seconds, positions semicircles."""

    offsets: I64
    columns: dict[int, F64]

    def __len__(self) -> int:
        return len(self.offsets)

    def get(self, num: int) -> F64:
        col = self.columns.get(num)
        return col if col is not None else np.full(len(self.offsets), np.nan)


@dataclass(frozen=True)
class FitData:
    """The decoded messages the connector needs, keyed by global message number."""

    tables: dict[int, Table]
    dropped: str = ""  # what was left out of a damaged file, and why ("" for nothing)

    def table(self, mesg: int) -> Table:
        return self.tables.get(mesg) or Table(np.zeros(0, np.int64), {})


def decode(data: bytes, wanted: Mapping[int, frozenset[int]] = p.WANTED) -> FitData:
    """Decode ``data`` (one FIT file or several chained ones) into :class:`Table` s."""
    parts = list(decode_parts(data, wanted))
    chunks: dict[int, list[tuple[I64, dict[int, F64]]]] = {}
    for part in parts:
        for num, table in part.tables.items():
            chunks.setdefault(num, []).append((table.offsets, table.columns))
    tables = {num: _merge(found) for num, found in chunks.items()}
    return FitData(tables, parts[-1].dropped)


def decode_parts(data: bytes, wanted: Mapping[int, frozenset[int]] = p.WANTED) -> Iterator[FitData]:
    """Each chained file of ``data`` decoded on its own, in order (so a long chain is
    held one file at a time); the last one says what was dropped after it. The framing
    of the whole is checked first: a damaged first file raises before anything is given."""
    buf = np.frombuffer(data, dtype=np.uint8)
    segments, dropped = framing.segments(data, _truncation)
    for i, (start, end) in enumerate(segments):
        found = walk(data, start, end, wanted)
        if found.skipped_compressed or found.stop > end:
            found = walk(data, start, end)
        if found.stop > end:
            raise ConnectorError(overrun(found.last(), end))
        parts: dict[int, list[tuple[I64, dict[int, F64]]]] = {}
        for layout, offs, cols in _columns(data, buf, found, wanted):
            parts.setdefault(layout.global_num, []).append((offs, cols))
        tables = {num: _merge(chunks) for num, chunks in parts.items()}
        record = tables.get(p.RECORD)
        if record is not None and p.COMPRESSED_SPEED_DISTANCE in record.columns:
            _expand_speed_distance(record, np.asarray(found.restarts(), dtype=np.int64))
        yield FitData(tables, dropped if i == len(segments) - 1 else "")


def _truncation(data: bytes, pos: int, start: int, end: int) -> str:
    """Say where a file that is shorter than its header declares breaks off."""
    n = len(data)
    reason = (
        f"truncated: the header at byte {pos} declares {end + 2 - pos} bytes"
        f" but only {n - pos} are there"
    )
    try:
        found = walk(data, start, n)
    except ConnectorError as err:
        if str(err).startswith("truncated"):
            return str(err)
        return f"{reason}, and the data is corrupt: {err}"
    return overrun(found.last(), n) if found.stop > n else reason


def _columns(
    data: bytes, buf: U8, found: Walk, wanted: Mapping[int, frozenset[int]]
) -> Iterator[tuple[Layout, I64, dict[int, F64]]]:
    """Every wanted layout with the offsets of its data messages and their wanted fields:
    by the fast path (:mod:`.fastpath`) unless a message has a compressed header."""
    grouped = fastpath.entries_by_layout(data, found, wanted)
    if grouped is None:
        for layout, offs, stamps in _resolve(buf, found, wanted):
            yield layout, offs, _gather(buf, layout, offs, wanted[layout.global_num], stamps)
        return
    for layout, entries in grouped:
        nums = wanted[layout.global_num]
        offs = entries.offsets()
        cols = None
        if fastpath.is_scalar(layout, entries):
            cols = fastpath.scalar_columns(data, layout, entries, nums)
        elif len(entries.starts) == 1:
            cols = fastpath.run_columns(buf, layout, entries.each()[0], nums)
        yield layout, offs, _gather(buf, layout, offs, nums, None) if cols is None else cols


def _resolve(
    buf: U8, found: Walk, wanted: Mapping[int, frozenset[int]]
) -> list[tuple[Layout, I64, F64 | None]]:
    """Every wanted layout with the offsets of its data messages (and compressed times)."""
    offs = found.offsets()
    if not len(offs):
        return []
    headers = buf[offs]
    compressed = headers >= 0x80
    local = np.where(compressed, (headers >> 5) & 0x03, headers & 0x0F).astype(np.int64)
    # The definition in force for a message: the latest one of its local type before it.
    def_keys = np.asarray(found.def_local, dtype=np.int64) << 32 | np.asarray(found.def_pos)
    order = np.argsort(def_keys)
    latest = np.searchsorted(def_keys[order], local << 32 | offs, side="right") - 1
    layout_of = np.asarray(found.def_layout, dtype=np.int64)[order][latest]
    stamps = None
    if compressed.any():
        stamps = _compressed_timestamps(buf, found, offs, layout_of, headers)
    out: list[tuple[Layout, I64, F64 | None]] = []
    for index, layout in enumerate(found.layouts):
        if layout.global_num in wanted:
            sel = np.flatnonzero(layout_of == index)
            if len(sel):
                out.append((layout, offs[sel], None if stamps is None else stamps[sel]))
    return out


def _raw(rows: U8, big: bool, offset: int, size: int, base: int) -> F64 | None:
    """One field of the message bodies ``rows`` as float64 raw values, NaN where invalid."""
    bt = p.BASE_TYPES.get(base & 0x1F, p.BYTE)
    if size < bt.size or size % bt.size:
        return None  # e.g. a 1-byte field declared uint32: unreadable, treat as invalid
    dtype = _dtype(bt.dtype, big)
    # A strided view of the field in every row (rows is C-contiguous); no copy.
    raw: npt.NDArray[np.generic] = np.ndarray((len(rows),), dtype, rows, offset, (rows.strides[0],))
    if bt.invalid is None:
        invalid = (rows[:, offset : offset + bt.size] == 0xFF).all(axis=1)
    else:
        invalid = raw == bt.invalid
    values: F64 = raw.astype(np.float64)
    values[invalid] = np.nan
    if bt.size == 8 or bt.dtype[0] == "f":  # inf, NaN, 1e38: garbage that would overflow
        values[~(np.abs(values) < 2.0**53)] = np.nan  # an int or a date made of it
    return values


@cache
def _dtype(code: str, big: bool) -> np.dtype[np.generic]:
    return np.dtype(code).newbyteorder(">" if big else "<")


def _rows(buf: U8, offs: I64, layout: Layout, nums: frozenset[int]) -> tuple[U8, int]:
    """The bytes of the messages at ``offs`` spanning the fields ``nums``, and their start."""
    spans = [(o, o + n) for num, o, n, _ in layout.fields if num in nums]
    lo = min((a for a, _ in spans), default=0)
    hi = max((b for _, b in spans), default=0)
    if hi == lo:
        return np.zeros((len(offs), 0), np.uint8), lo
    # A read-only view with one window of hi - lo bytes starting at every byte;
    # pick the windows of the messages (the walk checked they all fit).
    windows: U8 = np.ndarray((len(buf) - (hi - lo) + 1, hi - lo), np.uint8, buf, 0, (1, 1))
    return windows[offs + (1 + lo)], lo


def _gather(
    buf: U8, layout: Layout, offs: I64, wanted: frozenset[int], stamps: F64 | None
) -> dict[int, F64]:
    """The wanted fields of the data messages of one layout at ``offs``."""
    cols: dict[int, F64] = {}
    rows, lo = _rows(buf, offs, layout, wanted)
    for num, offset, size, base in layout.fields:
        if num not in wanted:
            continue
        if layout.global_num == p.RECORD and num == p.COMPRESSED_SPEED_DISTANCE:
            if size >= 3:  # 3 bytes, little endian whatever the architecture
                block = rows[:, offset - lo : offset - lo + 3].astype(np.int64)
                packed = (block[:, 0] | block[:, 1] << 8 | block[:, 2] << 16).astype(np.float64)
                packed[(block == 0xFF).all(axis=1)] = np.nan
                cols[num] = packed
            continue
        values = _raw(rows, layout.big_endian, offset - lo, size, base)
        if values is not None:
            scale = p.SCALES.get((layout.global_num, num))
            cols[num] = values / scale if scale else values
    if stamps is not None and p.TIMESTAMP in wanted and not np.isnan(stamps).all():
        ts = cols.setdefault(p.TIMESTAMP, np.full(len(offs), np.nan))
        ts[~np.isnan(stamps)] = stamps[~np.isnan(stamps)]
    return cols


def _compressed_timestamps(buf: U8, found: Walk, offs: I64, layout_of: I64, headers: U8) -> F64:
    """Timestamps of compressed-header messages (NaN for the others).

    A compressed header carries the low 5 bits of the time; the rest comes from
    the last timestamp seen in any message, rolling over when the bits wrap.
    """
    full = np.full(len(offs), np.nan)
    for index, layout in enumerate(found.layouts):
        for num, offset, size, base in layout.fields:
            if num != p.TIMESTAMP:
                continue
            sel = np.flatnonzero(layout_of == index)
            if len(sel):
                rows, lo = _rows(buf, offs[sel], layout, frozenset({num}))
                values = _raw(rows, layout.big_endian, offset - lo, size, base)
                if values is not None:
                    full[sel] = values
    # Only messages with a full timestamp or a compressed header matter, in order.
    compressed = headers >= 0x80
    events = np.flatnonzero(compressed | ~np.isnan(full))
    comp, value = compressed[events], full[events]
    is_full = ~np.isnan(value)
    whole = np.where(is_full, value, 0).astype(np.int64)
    low = (headers[events] & 0x1F).astype(np.int64)
    # Low 5 bits of the time before and after each event (0 before the first one).
    after = np.where(comp, low, whole & 0x1F)
    before = np.where(is_full, whole & 0x1F, np.concatenate([[0], after[:-1]]))
    step = np.where(comp, (low - before) % 0x20, 0)
    # Each full timestamp restarts the count; compressed steps add up from it.
    group = np.cumsum(is_full)
    base = np.concatenate([[0], whole[is_full]])[group]
    total = np.cumsum(step)
    restart = np.concatenate([[0], (total - step)[is_full]])[group]
    stamps = np.full(len(offs), np.nan)
    stamps[events[comp]] = (base + total - restart)[comp]
    return stamps


def _merge(chunks: list[tuple[I64, dict[int, F64]]]) -> Table:
    """Merge the messages of several layouts of one global message in file order."""
    if len(chunks) == 1:
        return Table(*chunks[0])
    offsets = np.concatenate([offs for offs, _ in chunks])
    order = np.argsort(offsets, kind="stable")
    nums = sorted({num for _, cols in chunks for num in cols})
    columns: dict[int, F64] = {}
    for num in nums:
        parts = [cols.get(num, np.full(len(offs), np.nan)) for offs, cols in chunks]
        columns[num] = np.concatenate(parts)[order]
    return Table(offsets[order], columns)


def _expand_speed_distance(record: Table, resets: I64) -> None:
    """Speed and accumulated distance from ``compressed_speed_distance`` (FR70 and older)."""
    packed = record.columns.pop(p.COMPRESSED_SPEED_DISTANCE)
    valid = ~np.isnan(packed)
    raw = np.where(valid, packed, 0).astype(np.int64)
    mask = (1 << p.CSD_BITS) - 1
    speed = np.where(valid, (raw & mask) / p.CSD_SPEED_SCALE, np.nan)
    step = (raw >> p.CSD_BITS) & mask
    distance = np.full(len(raw), np.nan)
    # The accumulator restarts at every definition that declares the field.
    epoch = np.searchsorted(np.sort(resets), record.offsets)
    for e in np.unique(epoch[valid]):
        sel = np.flatnonzero(valid & (epoch == e))
        steps = step[sel]
        acc = np.cumsum(np.concatenate([steps[:1], np.diff(steps) % (1 << p.CSD_BITS)]))
        distance[sel] = acc / p.CSD_DISTANCE_SCALE
    for num, derived in ((p.SPEED, speed), (p.DISTANCE, distance)):
        current = record.columns.get(num)
        record.columns[num] = (
            derived if current is None else np.where(np.isnan(current), derived, current)
        )
