"""A fast FIT decoder: a tight header walk in Python, field extraction in numpy.

1. Check each (possibly chained) file's header and CRC.
2. Walk the message headers, keeping the current definition of every local
   message type and collecting the byte offset of every data message under the
   definition it belongs to. No field is decoded here.
3. For the wanted messages only, gather each wanted field for all messages of a
   definition at once (fancy indexing into the bytes), mark invalid values NaN,
   scale, and merge the definitions of one global message in file order.
4. Synthesise compressed timestamps and compressed speed/distance like the FIT
   SDK (and fitparse) do.

Damaged input raises :class:`ConnectorError`; anything else is a decoder bug.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import fastcrc
import numpy as np
import numpy.typing as npt

from loadguard.contract import ConnectorError

from . import profile as p

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Table:
    """All messages of one global number in file order.

    ``offsets`` are the messages' byte offsets in the file; ``columns`` maps a
    field number to float64 values in physical units (NaN where invalid or absent).
    Timestamps stay raw FIT seconds.
    """

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

    def table(self, mesg: int) -> Table:
        return self.tables.get(mesg) or Table(np.zeros(0, np.int64), {})


@dataclass(eq=False)
class _Def:
    """One definition message and the data messages defined by it."""

    pos: int
    global_num: int
    big_endian: bool
    size: int  # bytes of a data message after its 1-byte header
    fields: list[tuple[int, int, int, int]]  # (field number, offset, size, base type byte)
    offsets: list[int] = field(default_factory=list)


def crc16(data: bytes) -> int:
    """CRC-16/ARC, as FIT uses it."""
    return int(fastcrc.crc16.arc(data))


def decode(data: bytes, wanted: Mapping[int, frozenset[int]] = p.WANTED) -> FitData:
    """Decode ``data`` (one FIT file or several chained ones) into :class:`Table` s."""
    buf = np.frombuffer(data, dtype=np.uint8)
    parts: dict[int, list[tuple[I64, dict[int, F64]]]] = {}
    csd_resets: list[int] = []
    for start, end in _segments(data):
        defs, comp_pos, comp_off, stop = _walk(data, start, end)
        if stop > end:
            last = max((d.offsets[-1] for d in defs if d.offsets), default=start)
            raise ConnectorError(
                f"truncated: message at byte {last} runs past the end of the data (byte {end})"
            )
        stamps = _compressed_timestamps(buf, defs, comp_pos, comp_off) if comp_pos else None
        for d in defs:
            fields = wanted.get(d.global_num)
            if fields is None:
                continue
            if d.global_num == p.RECORD and any(
                f[0] == p.COMPRESSED_SPEED_DISTANCE for f in d.fields
            ):
                csd_resets.append(d.pos)
            if d.offsets:
                offs = np.asarray(d.offsets, dtype=np.int64)
                cols = _gather(buf, d, offs, fields, stamps)
                parts.setdefault(d.global_num, []).append((offs, cols))
    tables = {num: _merge(chunks) for num, chunks in parts.items()}
    record = tables.get(p.RECORD)
    if record is not None and p.COMPRESSED_SPEED_DISTANCE in record.columns:
        _expand_speed_distance(record, np.asarray(csd_resets, dtype=np.int64))
    return FitData(tables)


def _segments(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of the data section of each chained file, after checking it."""
    n = len(data)
    if n == 0:
        raise ConnectorError("empty file (0 bytes)")
    segments: list[tuple[int, int]] = []
    pos = 0
    while pos < n:
        start = pos + _check_header(data, pos)
        end = start + int.from_bytes(data[pos + 4 : pos + 8], "little")
        if end + 2 > n:
            raise ConnectorError(_truncation(data, pos, start, end))
        stored = data[end] | data[end + 1] << 8
        computed = crc16(data[pos:end])
        if computed != stored:
            raise ConnectorError(
                f"file CRC mismatch (expected 0x{stored:04X}, computed 0x{computed:04X}"
                f"{f' for the chained file at byte {pos}' if pos else ''}): the file is damaged"
            )
        segments.append((start, end))
        pos = end + 2
        if pos < n and not any(data[pos:]):
            break  # zero padding after the last file
    return segments


def _check_header(data: bytes, pos: int) -> int:
    """The header size of the file starting at ``pos``, or ConnectorError."""
    what = f"corrupt header of chained file at byte {pos}" if pos else "not a FIT file"
    left = len(data) - pos
    if left < 12:
        raise ConnectorError(f"{what}: only {left} bytes, too short for a FIT header")
    if data[pos + 8 : pos + 12] != b".FIT":
        raise ConnectorError(f"{what}: missing '.FIT' signature")
    size = data[pos]
    if size not in (12, 14):
        raise ConnectorError(f"{what}: header size {size} (expected 12 or 14)")
    if size == 14:
        if left < 14:
            raise ConnectorError(f"{what}: the 14-byte header is cut off")
        stored = data[pos + 12] | data[pos + 13] << 8
        computed = crc16(data[pos : pos + 12])
        if stored and stored != computed:
            raise ConnectorError(
                f"{what}: header CRC mismatch (expected 0x{stored:04X}, computed 0x{computed:04X})"
            )
    return size


def _truncation(data: bytes, pos: int, start: int, end: int) -> str:
    """Say where a file that is shorter than its header declares breaks off."""
    n = len(data)
    reason = f"truncated: the header at byte {pos} declares {end + 2 - pos} bytes but only {n - pos} are there"
    try:
        defs, _, _, stop = _walk(data, start, n)
    except ConnectorError:
        return reason
    if stop > n:
        last = max((d.offsets[-1] for d in defs if d.offsets), default=start)
        return f"truncated: message at byte {last} runs past the end of the data ({n} bytes)"
    return reason


def _noop(_: int) -> None:  # pragma: no cover - never called: size 0 is checked first
    raise AssertionError


def _walk(data: bytes, pos: int, end: int) -> tuple[list[_Def], list[int], list[int], int]:
    """Walk message headers from ``pos`` to ``end``.

    Returns the definitions (each with its data messages' offsets), the offsets
    and time offsets of compressed-timestamp messages, and where the walk stopped
    (> ``end`` when the last message runs past it).
    """
    sizes = [0] * 16  # whole message size per local type, 0 = undefined
    appends: list[Callable[[int], None]] = [_noop] * 16
    defs: list[_Def] = []
    comp_pos: list[int] = []
    comp_off: list[int] = []
    while pos < end:
        header = data[pos]
        if header < 0x40:  # normal data message
            local = header & 0x0F
            size = sizes[local]
            if not size:
                raise _undefined(local, pos)
            appends[local](pos)
            pos += size
        elif header < 0x80:  # definition message
            d, pos = _definition(data, pos, end)
            local = header & 0x0F
            defs.append(d)
            sizes[local] = d.size + 1
            appends[local] = d.offsets.append
        else:  # compressed timestamp header
            local = (header >> 5) & 0x03
            size = sizes[local]
            if not size:
                raise _undefined(local, pos)
            appends[local](pos)
            comp_pos.append(pos)
            comp_off.append(header & 0x1F)
            pos += size
    return defs, comp_pos, comp_off, pos


def _undefined(local: int, pos: int) -> ConnectorError:
    return ConnectorError(f"data message for undefined local message type {local} at byte {pos}")


def _definition(data: bytes, pos: int, end: int) -> tuple[_Def, int]:
    """Parse the definition message at ``pos`` (checking it ends by ``end``); where it ends."""
    cut = ConnectorError(f"truncated: definition message at byte {pos} runs past the end")
    if pos + 6 > end:
        raise cut
    header = data[pos]
    big = data[pos + 2] != 0
    global_num = int.from_bytes(data[pos + 3 : pos + 5], "big" if big else "little")
    stop = pos + 6 + 3 * data[pos + 5]
    if stop > end:
        raise cut
    fields: list[tuple[int, int, int, int]] = []
    offset = 0
    for q in range(pos + 6, stop, 3):
        fields.append((data[q], offset, data[q + 1], data[q + 2]))
        offset += data[q + 1]
    if header & 0x20:  # developer fields: only their sizes matter
        if stop >= end:
            raise cut
        dev_stop = stop + 1 + 3 * data[stop]
        if dev_stop > end:
            raise cut
        offset += sum(data[stop + 2 : dev_stop : 3])
        stop = dev_stop
    return _Def(pos, global_num, big, offset, fields), stop


def _raw(buf: U8, d: _Def, offs: I64, offset: int, size: int, base: int) -> F64 | None:
    """One field of every message of ``d`` as float64 raw values, NaN where invalid."""
    bt = p.BASE_TYPES.get(base & 0x1F, p.BYTE)
    if size < bt.size or size % bt.size:
        return None  # e.g. a 1-byte field declared uint32: unreadable, treat as invalid
    block = buf[(offs + (1 + offset))[:, None] + np.arange(bt.size)]
    dtype = np.dtype(bt.dtype).newbyteorder(">" if d.big_endian else "<")
    raw = block.view(dtype)[:, 0]
    invalid = (block == 0xFF).all(axis=1) if bt.invalid is None else raw == bt.invalid
    values = raw.astype(np.float64)
    values[invalid] = np.nan
    return values


def _gather(
    buf: U8, d: _Def, offs: I64, wanted: frozenset[int], stamps: tuple[I64, F64] | None
) -> dict[int, F64]:
    """The wanted fields of all data messages of one definition."""
    cols: dict[int, F64] = {}
    for num, offset, size, base in d.fields:
        if num not in wanted:
            continue
        if d.global_num == p.RECORD and num == p.COMPRESSED_SPEED_DISTANCE:
            if size >= 3:
                block = buf[(offs + (1 + offset))[:, None] + np.arange(3)].astype(np.int64)
                packed = (block[:, 0] | block[:, 1] << 8 | block[:, 2] << 16).astype(np.float64)
                packed[(block == 0xFF).all(axis=1)] = np.nan
                cols[num] = packed
            continue
        values = _raw(buf, d, offs, offset, size, base)
        if values is not None:
            scale = p.SCALES.get((d.global_num, num))
            cols[num] = values / scale if scale else values
    if stamps is not None and p.TIMESTAMP in wanted:
        comp_pos, comp_ts = stamps
        idx = np.minimum(np.searchsorted(comp_pos, offs), len(comp_pos) - 1)
        hit = comp_pos[idx] == offs
        if hit.any():
            ts = cols.setdefault(p.TIMESTAMP, np.full(len(offs), np.nan))
            ts[hit] = comp_ts[idx[hit]]
    return cols


def _compressed_timestamps(
    buf: U8, defs: list[_Def], comp_pos: list[int], comp_off: list[int]
) -> tuple[I64, F64]:
    """Timestamps of compressed-header messages: 5-bit offsets rolled over from the last time."""
    # (offset, 0, full timestamp) and (offset, 1, 5-bit time offset), in file order
    events: list[tuple[int, int, int]] = []
    for d in defs:
        for num, offset, size, base in d.fields:
            if num == p.TIMESTAMP and d.offsets:
                offs = np.asarray(d.offsets, dtype=np.int64)
                values = _raw(buf, d, offs, offset, size, base)
                if values is not None:
                    ok = ~np.isnan(values)
                    stamps_ok = values[ok].astype(np.int64).tolist()
                    events.extend(
                        (o, 0, v) for o, v in zip(offs[ok].tolist(), stamps_ok, strict=True)
                    )
    events.extend((o, 1, off) for o, off in zip(comp_pos, comp_off, strict=True))
    events.sort()
    last = 0
    stamps: list[int] = []
    for _, compressed, value in events:
        if compressed:
            stamp = (last & ~0x1F) + value
            if value < last & 0x1F:
                stamp += 0x20
            stamps.append(stamp)
            last = stamp
        else:
            last = value
    return np.asarray(comp_pos, dtype=np.int64), np.asarray(stamps, dtype=np.float64)


def _merge(chunks: list[tuple[I64, dict[int, F64]]]) -> Table:
    """Merge the messages of several definitions of one global message in file order."""
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
        acc = np.cumsum(np.concatenate([steps[:1], (np.diff(steps)) % (1 << p.CSD_BITS)]))
        distance[sel] = acc / p.CSD_DISTANCE_SCALE
    for num, derived in ((p.SPEED, speed), (p.DISTANCE, distance)):
        current = record.columns.get(num)
        record.columns[num] = (
            derived if current is None else np.where(np.isnan(current), derived, current)
        )
