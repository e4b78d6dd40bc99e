"""Deterministic mutants of real FIT, GPX and TCX files, for tests/test_fuzz_import.py.

Byte damage as atheris/AFL do it (bit flips, interesting values, chunks dropped, repeated
or inserted, cuts) and FIT-aware damage (the header's size, protocol and profile version
and data size; a definition's field types, numbers and sizes, global message and byte
order; a field's value in one or every message of its kind). A FIT mutant's CRCs are made
right again (CRC-16 of the FIT SDK) or left wrong, and mutant ``i`` is the same on every
run and machine: ``fit_mutant(i, sources)`` makes it again.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

SEED = 1919
INTERESTING = (0x00, 0xFF, 0x7F, 0x80)
FLOAT32 = (0x7F800000, 0xFF800000, 0x7FC00000, 0x7F7FFFFF)  # +inf, -inf, NaN, max
FLOAT64 = (0x7FEFFFFFFFFFFFFF, 0x8000000000000000)  # max, -0.0
# Per width: AFL's interesting values and FIT's own (invalid, the device-clock limit
# 0x10000000, float infinities, NaN and maxima).
WIDE = {
    1: (*INTERESTING, 0x01, 0xFE),
    2: (0x0000, 0xFFFF, 0x7FFF, 0x8000, 0x0001, 0xFFFE),
    4: (0, 1, 0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFF, 0x80000000, 0x10000000, *FLOAT32),
    8: (0, 2**64 - 1, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, *FLOAT64),
}
FLOAT_OF_WIDTH = {4: 0x88, 8: 0x89}
BASE_TYPES = (0x00, 0x01, 0x02, 0x83, 0x84, 0x85, 0x86, 0x07, 0x88, 0x89, 0x0A, 0x8B, 0x8C)
BASE_TYPES += (0x0D, 0x8E, 0x8F, 0x90, 0x1F, 0xFF)
FIELD_NUMBERS = (253, 2, 7, 8, 9, 0, 1, 3, 4, 5, 6, 73, 14, 254, 255)  # times, distances...
MESSAGES = (0, 18, 19, 20, 21, 34, 0xFFFF)  # file_id, session, lap, record, event, activity

Resize = Callable[[int, int], None]

# CRC-16 of the FIT SDK (fit_crc.c): four bits at a time through a 16-entry table. The
# 256-entry table is the same function a byte at a time, fast enough for 100s of KB.
_NIBBLES = (0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401)
_NIBBLES += (0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400)


def _sdk_step(crc: int, byte: int) -> int:
    for nibble in (byte & 0xF, byte >> 4):
        crc = (crc >> 4) ^ _NIBBLES[crc & 0xF] ^ _NIBBLES[nibble]
    return crc


_BYTES = tuple(_sdk_step(0, b) for b in range(256))


def fit_crc(data: bytes | bytearray, crc: int = 0) -> int:
    for byte in data:
        crc = (crc >> 8) ^ _BYTES[(crc ^ byte) & 0xFF]
    return crc


def _u32(data: bytearray, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def fit_segments(data: bytearray) -> list[tuple[int, int, int]]:
    """(start, header size, data end) of each chained file, as the headers declare them."""
    found, pos = [], 0
    while pos + 12 <= len(data) and data[pos + 8 : pos + 12] == b".FIT" and data[pos] >= 12:
        end = pos + data[pos] + _u32(data, pos + 4)
        found.append((pos, data[pos], end))
        pos = end + 2
    return found


def fix_crcs(data: bytearray) -> None:
    """Each chained file's header CRC and file CRC made right for what the bytes now are."""
    for pos, size, end in fit_segments(data):
        if size == 14 and pos + 14 <= len(data):
            data[pos + 12 : pos + 14] = fit_crc(data[pos : pos + 12]).to_bytes(2, "little")
        if end + 2 <= len(data):
            data[end : end + 2] = fit_crc(data[pos:end]).to_bytes(2, "little")


def messages(data: bytearray) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """A header walk: (offset, length) of each whole definition message, and (offset, its
    definition's offset) of each whole data message, until the walk gets lost."""
    defs: list[tuple[int, int]] = []
    datas: list[tuple[int, int]] = []
    for start, size, end in fit_segments(data):
        pos, local = start + size, [(0, 0)] * 16  # local type -> (definition, message size)
        while pos < min(end, len(data)):
            header = data[pos]
            if header & 0xC0 == 0x40:
                count = data[pos + 5] if pos + 6 <= len(data) else 0
                length = 6 + 3 * count
                if header & 0x20 and pos + length < len(data):
                    length += 1 + 3 * data[pos + length]
                if pos + length > len(data):
                    break
                spec = data[pos + 6 : pos + length]
                body = sum(spec[1 : 3 * count : 3]) + sum(spec[3 * count + 2 :: 3])
                local[header & 0x0F] = (pos, 1 + body)
                defs.append((pos, length))
                pos += length
                continue
            define, length = local[(header >> 5) & 3 if header & 0x80 else header & 0x0F]
            if not length or pos + length > len(data):
                break
            datas.append((pos, define))
            pos += length
    return defs, datas


# Mutations: each changes ``data`` in place and says what it did; ``resize(at, delta)``
# keeps the declared data size of the file holding byte ``at`` in step (CRC-fixed mutants).
def _flips(r: random.Random, data: bytearray, resize: Resize) -> str:
    spots = [(r.randrange(len(data)), r.randrange(8)) for _ in range(r.randint(1, 8))]
    for at, bit in spots:
        data[at] ^= 1 << bit
    return "bits flipped (byte.bit) " + ",".join(f"{at}.{bit}" for at, bit in spots)


def _interesting(r: random.Random, data: bytearray, resize: Resize) -> str:
    at, value, width = r.randrange(len(data)), r.choice(INTERESTING), r.choice((1, 1, 2, 4))
    data[at : at + width] = bytes([value]) * width
    return f"{width} bytes at {at} set to 0x{value:02X}"


def _drop(r: random.Random, data: bytearray, resize: Resize) -> str:
    at = r.randrange(len(data))
    size = min(r.choice((1, 2, 3, 7, r.randint(8, 512))), len(data) - at)
    resize(at, -size)
    del data[at : at + size]
    return f"{size} bytes dropped at {at}"


def _repeat(r: random.Random, data: bytearray, resize: Resize) -> str:
    at = r.randrange(len(data))
    chunk = data[at : at + r.choice((1, 4, r.randint(5, 512)))]
    resize(at, len(chunk))
    data[at:at] = chunk
    return f"{len(chunk)} bytes repeated at {at}"


def _insert(r: random.Random, data: bytearray, resize: Resize) -> str:
    at, src = r.randrange(len(data)), r.randrange(len(data))
    copied = r.random() < 0.5  # a splice of the file's own bytes, else random ones
    chunk = data[src : src + r.randint(1, 256)] if copied else r.randbytes(r.randint(1, 64))
    resize(at, len(chunk))
    data[at:at] = chunk
    return f"{len(chunk)} {f'bytes from {src}' if copied else 'random bytes'} inserted at {at}"


def _cut(r: random.Random, data: bytearray, resize: Resize) -> str:
    keep = r.randrange(len(data))
    consistent = r.random() < 0.5  # a watch that wrote a shorter, whole file
    if consistent:
        resize(keep, keep - len(data))
    del data[keep:]
    return f"cut to {keep} bytes{' (size declared to match)' if consistent else ''}"


def _header(r: random.Random, data: bytearray, resize: Resize) -> str:
    if len(data) < 8:
        return _flips(r, data, resize)
    what = r.choice(("size", "protocol", "profile", "data size"))
    if what == "size":
        data[0] = r.choice((0, 1, 11, 12, 13, 14, 15, 0x7F, 0xFF))
        return f"header size set to {data[0]}"
    if what == "protocol":
        data[1] = r.choice((0x00, 0x10, 0x20, 0x21, 0xF0, 0xFF))
        return f"protocol version set to 0x{data[1]:02X}"
    if what == "profile":
        data[2:4] = r.choice((0, 1, 2190, 0x7FFF, 0xFFFF)).to_bytes(2, "little")
        return f"profile version set to {int.from_bytes(data[2:4], 'little')}"
    size = _u32(data, 4)
    new = r.choice((0, 1, size - 1, size + 1, size // 2, size * 2, 0x7FFFFFFF, 0xFFFFFFFF))
    data[4:8] = (new % 2**32).to_bytes(4, "little")
    return f"data size {size} set to {new % 2**32}"


def _definition(r: random.Random, data: bytearray, resize: Resize) -> str:
    defs, _ = messages(data)
    if not defs:
        return _flips(r, data, resize)
    pos, length = r.choice(defs)
    count = data[pos + 5]
    what = r.choice(("base type", "number", "size", "message", "order", "byte"))
    if what == "message":
        value = r.choice(MESSAGES)
        data[pos + 3 : pos + 5] = value.to_bytes(2, "big" if data[pos + 2] else "little")
        return f"the definition at {pos} made global message {value}"
    if what == "order":
        data[pos + 2] = r.choice((0, 1, 0xFF))
        return f"byte order of the definition at {pos} set to {data[pos + 2]}"
    if what == "byte" or not count:
        at, value = pos + r.randrange(length), r.choice((*INTERESTING, r.randrange(256)))
        data[at] = value
        return f"byte {at - pos} of the definition at {pos} set to 0x{value:02X}"
    k = r.randrange(count)
    at = pos + 6 + 3 * k + ("number", "size", "base type").index(what)
    choices = {"number": FIELD_NUMBERS, "size": (0, 1, 2, 3, 4, 8, 255), "base type": BASE_TYPES}
    data[at] = r.choice(choices[what])
    return f"{what} of field {k} of the definition at {pos} set to 0x{data[at]:02X}"


def _value(r: random.Random, data: bytearray, resize: Resize) -> str:
    """A field set to an interesting value in one data message or in all of its kind,
    sometimes with the field retyped as a float of its width first."""
    _, datas = messages(data)
    if not datas:
        return _flips(r, data, resize)
    pos, define = r.choice(datas)
    count, offset, fields = data[define + 5], 1, []
    for k in range(count):
        number, size = data[define + 6 + 3 * k], data[define + 7 + 3 * k]
        fields.append((k, number, offset, size))
        offset += size
    if not fields:
        return _flips(r, data, resize)
    k, number, offset, size = r.choice(fields)
    width = size if size in WIDE else 1
    value = r.choice(WIDE[width])
    note = ""
    if width in FLOAT_OF_WIDTH and r.random() < 0.25:
        data[define + 8 + 3 * k] = FLOAT_OF_WIDTH[width]
        note = ", retyped as a float"
    every = r.random() < 0.3
    order = "big" if data[define + 2] else "little"
    for at, _ in [d for d in datas if d[1] == define] if every else [(pos, define)]:
        data[at + offset : at + offset + width] = value.to_bytes(width, order)
    where = "every message" if every else f"the message at {pos}"
    return f"field {number} set to 0x{value:X} in {where} defined at {define}{note}"


FIT_MUTATIONS = (_flips, _interesting, _drop, _repeat, _insert, _cut, _header)
FIT_MUTATIONS += (_definition, _definition, _value, _value, _value)  # deeper than bytes


def _resizer(data: bytearray, on: bool) -> Resize:
    def resize(at: int, delta: int) -> None:
        for pos, size, end in fit_segments(data) if on else ():
            if pos + size <= at <= end:
                new = (_u32(data, pos + 4) + delta) % 2**32
                data[pos + 4 : pos + 8] = new.to_bytes(4, "little")
                return

    return resize


@cache
def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def fit_mutant(i: int, sources: Sequence[Path]) -> tuple[str, bytes]:
    """FIT mutant number ``i`` of ``sources``: (what it is, its bytes). Three in four get
    their CRCs fixed (and data sizes kept in step), one in four keeps them wrong."""
    r = random.Random(f"{SEED}:fit:{i}")
    source = r.choice(sources)
    data = bytearray(_bytes(source))
    fixed = i % 4 != 0
    resize = _resizer(data, fixed)
    steps = [r.choice(FIT_MUTATIONS)(r, data, resize) for _ in range(r.choice((1, 1, 2, 3)))]
    if fixed:
        fix_crcs(data)
    crcs = "CRCs fixed" if fixed else "CRCs left wrong"
    return f"fit mutant #{i} of {source.name}: {'; '.join(steps)}; {crcs}", bytes(data)


XML_DAMAGE = {
    "tag": rb"</?[A-Za-z][^>]*>",
    "element": rb"<([A-Za-z:]+)[^>]*>[^<]*</\1>",
    "number": rb"-?\d+\.\d+",
}


def xml_mutant(i: int, sources: Sequence[Path]) -> tuple[str, bytes, str]:
    """GPX/TCX mutant number ``i`` (what it is, its bytes, its suffix): cut, bits flipped,
    a tag or a whole element deleted, or a number made NaN, 1e999, "-" or nothing."""
    r = random.Random(f"{SEED}:xml:{i}")
    source = r.choice(sources)
    data = bytearray(_bytes(source))
    what = r.choice(("cut", "flips", "tag", "element", "number"))
    if what == "cut":
        keep = r.randrange(len(data))
        del data[keep:]
        step = f"cut to {keep} bytes"
    elif what == "flips":
        step = _flips(r, data, _resizer(data, False))
    else:
        hit = r.choice(list(re.finditer(XML_DAMAGE[what], data)))
        new = r.choice((b"NaN", b"1e999", b"-", b"")) if what == "number" else b""
        data[hit.start() : hit.end()] = new
        step = f"{what} {hit.group()[:40]!r} at {hit.start()} replaced by {new!r}"
    return f"xml mutant #{i} of {source.name}: {step}", bytes(data), source.suffix


def set_field(data: bytearray, mesg: int, num: int, value: bytes, every: bool = True) -> str:
    """Field ``num`` of global message ``mesg`` retyped as a float of ``value``'s width and
    set to ``value`` (little endian) in the first or every such message; CRCs fixed."""
    _, datas = messages(data)
    done = 0
    for pos, define in datas:
        order = "big" if data[define + 2] else "little"
        if int.from_bytes(data[define + 3 : define + 5], order) != mesg:
            continue
        offset = 1
        for k in range(data[define + 5]):
            number, size = data[define + 6 + 3 * k], data[define + 7 + 3 * k]
            if number == num and size == len(value) and (every or not done):
                data[define + 8 + 3 * k] = FLOAT_OF_WIDTH[size]
                data[pos + offset : pos + offset + size] = (
                    value if order == "little" else value[::-1]
                )
                done += 1
            offset += size
    fix_crcs(data)
    return f"field {num} of message {mesg} retyped float{8 * len(value)} = {value.hex()} in {done} messages"
