"""A FIT file's framing: each (possibly chained) file's header, declared size and CRC.

What breaks the framing after a first whole file (a stray byte appended, a chained file
cut off or failing its CRC) drops only what follows, and says why; damage in the first
file rejects it whole.
"""

from __future__ import annotations

from collections.abc import Callable

import fastcrc

from loadguard.contract import ConnectorError

# How a file that is shorter than its header declares is described (the decoder walks
# its messages to say where it breaks off): (data, file start, data start, data end).
Truncated = Callable[[bytes, int, int, int], str]


def crc16(data: bytes) -> int:
    """CRC-16/ARC, as FIT uses it."""
    return int(fastcrc.crc16.arc(data))


def segments(data: bytes, truncated: Truncated) -> tuple[list[tuple[int, int]], str]:
    """(start, end) of the data section of each chained file, after checking it, and what
    was dropped: once one file is whole, damage after it (a stray byte appended, a chained
    file cut off or failing its CRC) drops only what follows, naming why."""
    n = len(data)
    if n == 0:
        raise ConnectorError("empty file (0 bytes)")
    found: list[tuple[int, int]] = []
    pos = 0
    while pos < n:
        try:
            found.append(_segment(data, pos, truncated))
        except ConnectorError as err:
            if not found:
                raise
            size = f"{n - pos} byte{'' if n - pos == 1 else 's'}"
            return found, f"{size} from byte {pos} dropped: {err}"
        pos = found[-1][1] + 2
        if data.count(0, pos) == n - pos:
            break  # nothing but zero padding after the last file
    return found, ""


def _segment(data: bytes, pos: int, truncated: Truncated) -> tuple[int, int]:
    """The checked data section of the file starting at ``pos``."""
    n = len(data)
    start = pos + _check_header(data, pos)
    end = start + int.from_bytes(data[pos + 4 : pos + 8], "little")
    if end + 2 > n:
        raise ConnectorError(truncated(data, pos, start, end))
    stored = data[end] | data[end + 1] << 8
    computed = crc16(data[pos:end])
    if computed != stored:
        where = f" of the chained file at byte {pos}" if pos else ""
        raise ConnectorError(
            f"file CRC mismatch{where} (expected 0x{stored:04X}, computed 0x{computed:04X}):"
            " the file is damaged"
        )
    return start, end


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
        if stored and stored != computed:  # 0x0000 means "not computed"
            raise ConnectorError(
                f"{what}: header CRC mismatch (expected 0x{stored:04X}, computed 0x{computed:04X})"
            )
    return size
