"""Real FIT files from the shared data folder, and fitparse as the reference decoder."""

from __future__ import annotations

import hashlib
import json
import math
import struct
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

DATA = Path(__file__).parents[1].parent / "shared" / "data" / "fit"

# Fields compared with fitparse: (message, field name, field number, use the raw value).
SESSION_FIELDS = (
    ("start_time", 2, True),
    ("sport", 5, True),
    ("sub_sport", 6, True),
    ("total_distance", 9, False),
    ("total_timer_time", 8, False),
    ("total_elapsed_time", 7, False),
)
RECORD_FIELDS = (
    ("timestamp", 253, True),
    ("position_lat", 0, True),
    ("position_long", 1, True),
    ("distance", 5, False),
    ("speed", 6, False),
    ("enhanced_speed", 73, False),
    ("heart_rate", 3, True),
    ("cadence", 4, True),
    ("fractional_cadence", 53, False),
)
ACTIVITY_FIELDS = (("timestamp", 253, True), ("local_timestamp", 5, True))
COMPARED = {"session": SESSION_FIELDS, "record": RECORD_FIELDS, "activity": ACTIVITY_FIELDS}


def fit_files() -> list[Path]:
    """Every FIT file in the shared data, sorted."""
    return sorted(p for p in DATA.glob("*/*") if p.suffix.lower() == ".fit")


def path_of(name: str) -> Path:
    """The shared FIT file called ``name``."""
    (path,) = (p for p in fit_files() if p.name == name)
    return path


class _NoProcessing:
    """A fitparse data processor that leaves values alone (dates stay raw; faster)."""

    def run_type_processor(self, field_data: Any) -> None: ...
    def run_field_processor(self, field_data: Any) -> None: ...
    def run_unit_processor(self, field_data: Any) -> None: ...
    def run_message_processor(self, data_message: Any) -> None: ...


def _number(message: Any, name: str, raw: bool) -> float:
    """The first valid value named ``name``: a field can appear twice in fitparse,
    once as itself and once expanded from a component (compressed_speed_distance)."""
    for field in message.fields:
        if field.name != name:
            continue
        value = field.raw_value if raw else field.value
        if isinstance(value, tuple):
            value = value[0] if value else None
        if value is not None:
            return float(value)
    return math.nan


def fitparse_values(path: Path) -> dict[str, dict[str, list[float]]] | str:
    """The compared fields as fitparse 1.2.0 decodes them, or why fitparse failed."""
    import fitparse

    out: dict[str, dict[str, list[float]]] = {
        mesg: {name: [] for name, _, _ in fields} for mesg, fields in COMPARED.items()
    }
    try:
        fit = fitparse.FitFile(str(path), data_processor=_NoProcessing())
        for message in fit.get_messages(list(COMPARED)):
            for name, _, raw in COMPARED[message.name]:
                out[message.name][name].append(_number(message, name, raw))
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return out


Reference = dict[str, dict[str, list[float]]] | str


def fitparse_all(paths: list[Path], cache: Any = None) -> dict[str, Reference]:
    """fitparse on every file, biggest first, on two processes (it runs at ~0.3 MB/s).

    With pytest's ``cache`` the results are kept between runs, keyed by the file's
    SHA-256, the fitparse version and the compared fields.
    """
    version = metadata.version("fitparse")
    fields = hashlib.sha256(repr(COMPARED).encode()).hexdigest()[:12]
    keys = {
        path: f"loadguard_fit/fitparse-{version}-{fields}/"
        + hashlib.sha256(path.read_bytes()).hexdigest()
        for path in paths
    }
    found: dict[str, Reference] = {}
    todo = []
    for path, key in keys.items():
        hit = cache.get(key, None) if cache is not None else None
        if hit is None:
            todo.append(path)
        else:
            found[path.name] = json.loads(hit)
    todo.sort(key=lambda p: -p.stat().st_size)
    with ProcessPoolExecutor(max_workers=2) as pool:
        for path, result in zip(todo, pool.map(fitparse_values, todo), strict=True):
            found[path.name] = result
            if cache is not None:  # one compact string: pytest indents its cache files
                cache.set(keys[path], json.dumps(result, separators=(",", ":")))
    return found


# Building small FIT files by hand, for the cases no real file covers.


def crc16(data: bytes) -> int:
    import fastcrc

    return int(fastcrc.crc16.arc(data))


def fit_file(body: bytes, header_size: int = 14, header_crc: bool = True) -> bytes:
    """A complete FIT file around ``body`` (messages), with both CRCs."""
    header = struct.pack("<BBHI4s", header_size, 0x20, 2190, len(body), b".FIT")
    if header_size == 14:
        header += struct.pack("<H", crc16(header) if header_crc else 0)
    data = header + body
    return data + struct.pack("<H", crc16(data))


def definition(
    local: int,
    global_num: int,
    fields: list[tuple[int, int, int]],
    big: bool = False,
    dev: list[tuple[int, int, int]] | None = None,
) -> bytes:
    """A definition message; fields are (number, size, base type byte)."""
    header = 0x40 | local | (0x20 if dev else 0)
    order = ">" if big else "<"
    out = struct.pack(f"{order}BBBHB", header, 0, int(big), global_num, len(fields))
    out += b"".join(bytes(f) for f in fields)
    if dev:
        out += bytes([len(dev)]) + b"".join(bytes(d) for d in dev)
    return out


def data(local: int, body: bytes, time_offset: int | None = None) -> bytes:
    """A data message, with a compressed-timestamp header when ``time_offset`` is given."""
    if time_offset is None:
        return bytes([local]) + body
    return bytes([0x80 | local << 5 | time_offset]) + body
