"""Checking a file's tables against their declared shape (settings and plan files).

msgspec does the checking: it is made for it, and it loads in a fifth of pydantic's time,
which every command pays at start-up (issue 20). What it adds here: ``pathlib.Path``
fields, and errors as ``where: what`` with the key written as in the file
(``alerts.anna.quiet_hours: ...``), also under a table keyed by a name (msgspec says
``[...]`` there), which :func:`keyed` checks one name at a time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

# What every table of a file is: unknown keys refused, never changed after the check.
Table = msgspec.Struct


class CheckError(ValueError):
    """A value does not fit; the message says where (``scheduler.retry_s: ...``)."""


_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<where>[^`]*)`)?$", re.DOTALL)
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<key>[^`]+)`")
_MISSING = re.compile(r"Object missing required field `(?P<key>[^`]+)`")
# A table's own check (``__post_init__``) names its key first: "quiet_hours: '7am' is not ..."
_OWN = re.compile(r"(?P<key>[a-z_]+): (?P<what>.+)", re.DOTALL)


def _path(kind: type, value: Any) -> Any:
    if kind is Path:
        if isinstance(value, str):
            return Path(value)
        raise TypeError("expected a path, as text")
    raise TypeError(f"expected {getattr(kind, '__name__', kind)}")


def _explained(exc: msgspec.ValidationError, prefix: str) -> str:
    found = _AT.match(str(exc))
    what, where = (found["what"], found["where"] or "") if found else (str(exc), "")
    for pattern, said in ((_UNKNOWN, "not a known key"), (_MISSING, "missing")):
        key = pattern.fullmatch(what)
        if key:
            what, where = said, f"{where}.{key['key']}"
    own = _OWN.fullmatch(what)
    if own:
        what, where = own["what"], f"{where}.{own['key']}"
    where = ".".join(p for p in (prefix, where.lstrip(".")) if p) or "(top level)"
    return f"{where}: {what.replace('`', '')}"


def convert(data: Any, kind: type[T], *, where: str = "") -> T:
    """``data`` (a parsed TOML table) as ``kind``, else CheckError naming the key."""
    try:
        return msgspec.convert(data, kind, dec_hook=_path)
    except msgspec.ValidationError as exc:
        raise CheckError(_explained(exc, where)) from None


def keyed(data: dict[str, Any], section: str, kind: type[T]) -> dict[str, T]:
    """A table of tables keyed by a name (``[alerts.anna]``), each checked as ``kind``."""
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise CheckError(f"{section}: expected a table of [{section}.<name>] tables")
    return {name: convert(value, kind, where=f"{section}.{name}") for name, value in table.items()}
