"""The header walk of the fast FIT decoder: one table lookup per message, or per run.

The walk goes from message to message by the size each header byte stands for under
the definitions in force, collecting the offsets of the wanted data messages and
noting every definition that changes what a local message type means.

Most of an activity file is one long run of records: data messages with the same
header byte one after the other, each of the size that byte stands for. When a data
message is followed by one with the same header byte, the walk measures the whole run
at once (the header bytes a message size apart, sliced out of the data in C) and notes
it as its first offset, its length and its stride instead of offset by offset; it goes
on at the first message with another header byte (a definition, an event, a compressed
timestamp with other low bits) or at the end of the data, exactly where the walk
message by message would be.

Some devices (Suunto's Ambit 3 among them) write a definition before nearly every
data message, mostly the very one already in force. Such a repeat is recognised by
comparing its bytes with the definition in force for its header byte, in place, and
is skipped: it changes nothing the decoder reads. Only a definition that declares
``compressed_speed_distance`` (whose accumulated distance restarts at every one of
them) is always noted. A layout, once parsed, is kept for the next files (a watch
writes the same few definitions in every file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from loadguard.contract import ConnectorError

from . import profile as p

# What the definition in force of a header byte is compared with when there is none:
# a byte other than the header itself, so that it never matches.
_NONE: tuple[bytes, ...] = tuple(bytes([header ^ 0xFF]) for header in range(256))
_BYTE: tuple[bytes, ...] = tuple(bytes([header]) for header in range(256))
# How many messages of a run are measured at first; each further look takes 4 times more.
_FIRST_LOOK = 64
# Layouts already parsed, by their definition's bytes (the same few recur file after file
# from one watch): shared by the walks, as a layout never changes once made.
_LAYOUTS: dict[bytes, Layout] = {}
_LAYOUTS_MAX = 4096


@dataclass(eq=False)
class Layout:
    """One distinct definition: global message, byte order and fields."""

    global_num: int
    big_endian: bool
    size: int  # bytes of a data message after its 1-byte header
    spec: bytes  # the field definitions: (number, size, base type) byte triples

    @cached_property
    def fields(self) -> list[tuple[int, int, int, int]]:
        """(field number, offset in the message body, size, base type byte)."""
        sizes = self.spec[1::3]
        offsets = accumulate(sizes, initial=0)
        return list(zip(self.spec[0::3], offsets, sizes, self.spec[2::3], strict=False))

    @cached_property
    def restarts_distance(self) -> bool:
        """Whether each definition of it restarts the compressed distance accumulator."""
        return self.global_num == p.RECORD and any(
            num == p.COMPRESSED_SPEED_DISTANCE for num, *_ in self.fields
        )


@dataclass
class Walk:
    """The state and findings of a header walk over one file's data section."""

    keep: Mapping[int, object] | None  # global messages to collect (None: all)
    # The collected data messages: each one's offset, or a run's first offset...
    positions: list[int] = field(default_factory=list)
    # ...and for each run (index in positions, messages, bytes from one to the next).
    runs: list[tuple[int, int, int]] = field(default_factory=list)
    layouts: list[Layout] = field(default_factory=list)
    known: dict[bytes, int] = field(default_factory=dict)  # definition bytes -> layout
    def_pos: list[int] = field(default_factory=list)  # every noted definition: offset,
    def_local: list[int] = field(default_factory=list)  # local type and layout index
    def_layout: list[int] = field(default_factory=list)
    # Message size per header byte: > 0 collect, < 0 skip, 0 slow path (definitions,
    # undefined types, and compressed headers unless keep is None).
    sizes: list[int] = field(default_factory=lambda: [0] * 256)
    by_local: list[int] = field(default_factory=lambda: [0] * 16)
    # Per header byte, the whole definition message (header included) that a repeat
    # must equal byte for byte to be skipped; for data headers, one that never matches.
    current: list[bytes] = field(default_factory=lambda: list(_NONE))
    stop: int = 0  # where the walk ended: past the end if the last message overran it
    skipped_compressed: bool = False

    def offsets(self) -> npt.NDArray[np.int64]:
        """The offsets of all collected data messages, in file order."""
        starts = np.asarray(self.positions, dtype=np.int64)
        if not self.runs:
            return starts
        index, count, step = np.asarray(self.runs, dtype=np.int64).T
        counts = np.ones(len(starts), np.int64)
        counts[index] = count
        steps = np.zeros(len(starts), np.int64)
        steps[index] = step
        first = np.cumsum(counts) - counts  # where each entry's messages begin
        nth = np.arange(first[-1] + counts[-1]) - np.repeat(first, counts)
        out: npt.NDArray[np.int64] = np.repeat(starts, counts) + nth * np.repeat(steps, counts)
        return out

    def last(self) -> int:
        """The offset of the last collected data message (there must be one)."""
        if self.runs and self.runs[-1][0] == len(self.positions) - 1:
            _, count, step = self.runs[-1]
            return self.positions[-1] + (count - 1) * step
        return self.positions[-1]

    def restarts(self) -> list[int]:
        """Offsets of the definitions that restart the compressed distance accumulator."""
        return [
            pos
            for pos, index in zip(self.def_pos, self.def_layout, strict=True)
            if self.layouts[index].restarts_distance
        ]


def overrun(pos: int, end: int, what: str = "message") -> str:
    return f"truncated: {what} at byte {pos} runs past the end of the data at byte {end}"


def walk(data: bytes, pos: int, end: int, keep: Mapping[int, object] | None = None) -> Walk:
    """Walk the message headers from ``pos`` to ``end``.

    Only data messages of global numbers in ``keep`` (all when None) are
    collected. When ``keep`` is given, the first compressed-timestamp message
    ends the walk with ``skipped_compressed`` set: compressed times depend on
    every message before them, so the caller walks again keeping everything.
    """
    found = Walk(keep)
    sizes = found.sizes
    current = found.current
    positions = found.positions
    append = positions.append
    runs = found.runs
    startswith = data.startswith
    while pos < end:
        header = data[pos]
        size = sizes[header]
        if size > 0:
            after = pos + size
            if after < end and data[after] == header:  # a run: take it whole
                count = _run(data, pos, end, size, header)
                runs.append((len(positions), count, size))
                append(pos)
                pos += count * size
            else:
                append(pos)
                pos = after
        elif size:
            after = pos - size
            if after < end and data[after] == header:  # a run of uncollected messages
                pos -= _run(data, pos, end, -size, header) * size
            else:
                pos = after
        else:
            repeat = current[header]
            if startswith(repeat, pos, end):  # the definition in force, again
                pos += len(repeat)
            else:
                pos = _slow_path(data, pos, end, found)
    found.stop = pos
    return found


def _run(data: bytes, pos: int, end: int, size: int, header: int) -> int:
    """How many messages of ``size`` bytes from ``pos`` on start with ``header`` before
    the first one that does not or ``end``; measured in growing looks, so that a short
    run costs little."""
    byte = _BYTE[header]
    count = 0
    look = _FIRST_LOOK
    while True:
        stop = min(end, pos + look * size)
        headers = data[pos:stop:size]  # the header byte of each message, if in a run
        rest = len(headers.lstrip(byte))
        count += len(headers) - rest
        if rest or stop == end:
            return count
        pos = stop
        look *= 4


def _slow_path(data: bytes, pos: int, end: int, found: Walk) -> int:
    """Handle a new definition or an uncollected message at ``pos``; where the next one starts."""
    header = data[pos]
    if header & 0xC0 != 0x40:  # a data message, normal or compressed
        local = (header >> 5) & 0x03 if header & 0x80 else header & 0x0F
        if not found.by_local[local]:
            raise ConnectorError(
                f"data message for undefined local message type {local} at byte {pos}"
            )
        found.skipped_compressed = True  # a compressed header while collecting some:
        return end  # stop here, the caller walks again collecting everything
    stop = _definition_end(data, pos, end)
    key = data[pos + 1 : stop] + bytes([header & 0x20])
    index = found.known.get(key)
    if index is None:
        index = found.known[key] = len(found.layouts)
        layout = _LAYOUTS.get(key)
        if layout is None:
            if len(_LAYOUTS) >= _LAYOUTS_MAX:
                _LAYOUTS.clear()
            layout = _LAYOUTS[key] = _layout(data, pos, stop)
        found.layouts.append(layout)
    layout = found.layouts[index]
    local = header & 0x0F
    found.def_pos.append(pos)
    found.def_local.append(local)
    found.def_layout.append(index)
    # Only this definition is in force for the local type now, whatever the flags of
    # the header that defined it before; its exact repeats need no note, unless each
    # one restarts the accumulated distance.
    current = found.current
    for flags in range(4):  # the developer-data and the reserved bit of a definition
        other = 0x40 | flags << 4 | local
        current[other] = _NONE[other]
    if not layout.restarts_distance:
        current[header] = data[pos:stop]
    size = found.by_local[local] = layout.size + 1
    collect = found.keep is None or layout.global_num in found.keep
    sizes = found.sizes
    for reserved in range(4):  # bits 4 and 5 of a normal data header are reserved
        sizes[local | reserved << 4] = size if collect else -size
    if local < 4:
        first = 0x80 | local << 5
        sizes[first : first + 32] = [size if found.keep is None else 0] * 32
    return stop


def _definition_end(data: bytes, pos: int, end: int) -> int:
    """Where the definition message at ``pos`` ends, checking it fits before ``end``."""
    stop = pos + 6 + 3 * data[pos + 5] if pos + 6 <= end else end + 1
    if data[pos] & 0x20:  # developer fields follow, with their count first
        stop = stop + 1 + 3 * data[stop] if stop < end else end + 1
    if stop > end:
        raise ConnectorError(overrun(pos, end, "definition message"))
    return stop


def _layout(data: bytes, pos: int, stop: int) -> Layout:
    """Parse the definition message at ``pos`` (already bounds-checked up to ``stop``)."""
    big = data[pos + 2] != 0
    global_num = int.from_bytes(data[pos + 3 : pos + 5], "big" if big else "little")
    fields_end = pos + 6 + 3 * data[pos + 5]
    spec = data[pos + 6 : fields_end]
    size = sum(spec[1::3]) + sum(data[fields_end + 2 : stop : 3])  # developer fields: sizes
    return Layout(global_num, big, size, spec)
