"""Streams <-> one compact BLOB: a JSON header naming each column's dtype and length, then the bytes.

Positions stay float64 (float32 would round a coordinate to about a metre);
every other column is stored as float32: time to the millisecond for runs up
to 4.6 hours, distance to the centimetre up to 160 km.
"""

from __future__ import annotations

import json
import struct

import numpy as np

from loadguard.contract import FloatArray, Streams

_LEN = struct.Struct("<I")
FULL_PRECISION = frozenset({"lat", "lon"})


def encode(streams: Streams) -> bytes:
    header: list[tuple[str, str, int]] = []
    parts: list[bytes] = []
    for name, values in streams.columns.items():
        dtype = np.float64 if name in FULL_PRECISION else np.float32
        arr = np.ascontiguousarray(values, dtype=dtype)
        header.append((name, arr.dtype.str, arr.nbytes))
        parts.append(arr.tobytes())
    head = json.dumps(header, separators=(",", ":")).encode()
    return _LEN.pack(len(head)) + head + b"".join(parts)


def decode(blob: bytes) -> Streams:
    (head_len,) = _LEN.unpack_from(blob, 0)
    header = json.loads(blob[4 : 4 + head_len])
    pos = 4 + head_len
    columns: dict[str, FloatArray] = {}
    for name, dtype, nbytes in header:
        columns[name] = np.frombuffer(blob, dtype=np.dtype(dtype), count=-1, offset=pos)[
            : nbytes // np.dtype(dtype).itemsize
        ]
        pos += nbytes
    return Streams(columns)
