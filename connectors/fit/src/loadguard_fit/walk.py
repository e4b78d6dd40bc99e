"""The header walk of the fast FIT decoder: one table lookup per message.

The walk goes from message to message by the size each header byte stands for under
the definitions in force, collecting the offsets of the wanted data messages and
noting every definition that changes what a local message type means.

Some devices (Suunto's Ambit 3 among them) write a definition before nearly every
data message, mostly the very one already in force. Such a repeat is recognised by
comparing its bytes with the definition in force for its header byte, in place, and
is skipped: it changes nothing the decoder reads. Only a definition that declares
``compressed_speed_distance`` (whose accumulated distance restarts at every one of
them) is always noted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate

from loadguard.contract import ConnectorError

from . import profile as p

# What the definition in force of a header byte is compared with when there is none:
# a byte other than the header itself, so that it never matches.
_NONE: tuple[bytes, ...] = tuple(bytes([header ^ 0xFF]) for header in range(256))


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
    positions: list[int] = field(default_factory=list)  # collected data messages
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
    append = found.positions.append
    startswith = data.startswith
    while pos < end:
        size = sizes[data[pos]]
        if size > 0:
            append(pos)
            pos += size
        elif size:
            pos -= size
        else:
            repeat = current[data[pos]]
            if startswith(repeat, pos, end):  # the definition in force, again
                pos += len(repeat)
            else:
                pos = _slow_path(data, pos, end, found)
    found.stop = pos
    return found


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
        found.layouts.append(_layout(data, pos, stop))
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
