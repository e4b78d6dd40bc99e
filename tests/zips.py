"""Archives built to exhaust an importer, shared by the tests and bench/bench_hostile.py."""

from __future__ import annotations

import io
import zipfile


def nested(depth: int, fan_out: int, leaf: bytes) -> bytes:
    """A zip of ``fan_out`` zips of ... ``depth`` levels down, each leaf a .fit file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(fan_out):
            if depth == 1:
                archive.writestr(f"run{i}.fit", leaf)
            else:
                archive.writestr(f"part{i}.zip", nested(depth - 1, fan_out, leaf))
    return buffer.getvalue()
