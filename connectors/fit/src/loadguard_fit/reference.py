"""Fallback decoding with fitparse into the fast decoder's :class:`FitData`.

Slow (about 0.3 MB/s); used only when the fast decoder hits an internal error.
Values are keyed by field number (so fitparse's ``unknown_192``/``unknown_193``
become workout_feel/workout_rpe), in the same units as the fast decoder:
raw FIT seconds for times, raw numbers for enums, scaled floats otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np

from loadguard.contract import ConnectorError

from . import profile as p
from .decoder import FitData, Table


def decode(payload: bytes, wanted: Mapping[int, frozenset[int]] = p.WANTED) -> FitData:
    import fitparse  # slow to import; only needed on this path

    rows: dict[int, list[dict[int, float]]] = {num: [] for num in wanted}
    try:
        for message in fitparse.FitFile(payload).get_messages():
            if message.mesg_num in wanted:
                rows[message.mesg_num].append(_values(message, wanted[message.mesg_num]))
    except Exception as err:  # fitparse raises many types for damaged files
        raise ConnectorError(f"the FIT file could not be decoded: {err}") from err
    tables: dict[int, Table] = {}
    for num, messages in rows.items():
        if messages:
            nums = sorted({n for m in messages for n in m})
            columns = {n: np.array([m.get(n, np.nan) for m in messages]) for n in nums}
            tables[num] = Table(np.arange(len(messages), dtype=np.int64), columns)
    return FitData(tables)


def _values(message: Any, fields: frozenset[int]) -> dict[int, float]:
    values: dict[int, float] = {}
    for data in message.fields:
        if data.field_def is None:  # a component or a compressed timestamp
            num = data.field.def_num
        elif hasattr(data.field_def, "dev_data_index"):
            continue  # developer field: its numbers are not profile numbers
        else:
            num = data.field_def.def_num
        if num not in fields or num in values:
            continue  # unwanted, or already set by the field itself
        value = data.value
        if isinstance(value, str | datetime | bool) or value is None:
            value = data.raw_value  # enum names, dates: keep the raw number
        if isinstance(value, tuple):
            value = value[0] if value else None
        if isinstance(value, int | float) and abs(value) < 2.0**53:  # not inf, NaN or 1e38
            values[num] = float(value)
    return values
