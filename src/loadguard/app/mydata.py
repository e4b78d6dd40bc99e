"""A runner's own data: everything in one zip (GDPR art. 15 and 20: the raw files as
imported, every record as JSON and as CSV), and erasing the account with all of it
(art. 17). Pain and symptoms are health data (art. 9): they go with everything else."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import PurePath
from typing import IO, Any

from loadguard.contract import Athlete
from loadguard.store import export
from loadguard.store.db import Store

README = """Everything loadguard keeps about {name} ({athlete}), {when}.

raw/        each file or API answer as it was imported, byte for byte
json/       every record, one file per kind (all.json: all of them in one)
csv/        the same records as CSV (UTF-8, a header row)

Kinds: {kinds}.
Tokens and password hashes are not included: they are secrets, not your data.
"""


def _jsonable(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value


def _safe(name: str) -> str:
    base = PurePath(name.replace("\\", "/")).name or "record"
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in base)[:120]


def write_zip(store: Store, athlete: Athlete, out: IO[bytes]) -> dict[str, int]:
    """The zip into ``out``; returns how many records of each kind it holds."""
    counts: dict[str, int] = {}
    everything: dict[str, list[dict[str, Any]]] = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for raw_id, source, origin, payload in export.raw_files(store, athlete.id):
            z.writestr(f"raw/{raw_id:06d}-{source}-{_safe(origin)}", payload)
            counts["raw"] = counts.get("raw", 0) + 1
        for table in export.TABLES:
            columns, rows = export.rows(store, athlete.id, table)
            records = [dict(zip(columns, map(_jsonable, r), strict=True)) for r in rows]
            everything[table] = records
            counts[table] = len(records)
            z.writestr(f"json/{table}.json", json.dumps(records, indent=1, ensure_ascii=False))
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(columns)
            writer.writerows([list(map(_jsonable, r)) for r in rows])
            z.writestr(f"csv/{table}.csv", text.getvalue())
        z.writestr("json/all.json", json.dumps(everything, indent=1, ensure_ascii=False))
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        kinds = ", ".join(f"{k} ({n})" for k, n in counts.items())
        z.writestr(
            "README.txt",
            README.format(name=athlete.name, athlete=athlete.id, when=when, kinds=kinds),
        )
    return counts
