"""Reports kept per process until the athlete's data changes (the key holds the store's
revision for the athlete), the last 256; and one guard pass per key at a time: when a
page's four charts ask at once after a change, one request makes the report and the
others wait for it instead of making it again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from loadguard.guard.report import Report

KEPT = 256
_REPORTS: OrderedDict[Hashable, Report] = OrderedDict()
_MAKING: dict[Hashable, threading.Lock] = {}
_LOCK = threading.Lock()


def _get(key: Hashable, valid: Callable[[Report], bool]) -> Report | None:
    with _LOCK:
        found = _REPORTS.get(key)
        if found is not None and valid(found):
            _REPORTS.move_to_end(key)
            return found
        return None


def report(key: Hashable, make: Callable[[], Report], valid: Callable[[Report], bool]) -> Report:
    """The kept report for ``key`` if ``valid``, else ``make()``'s, kept."""
    found = _get(key, valid)
    if found is not None:
        return found
    with _LOCK:
        making = _MAKING.setdefault(key, threading.Lock())
    with making:
        found = _get(key, valid)  # made by the request this one waited for
        if found is not None:
            return found
        try:
            made = make()
            with _LOCK:
                _REPORTS[key] = made
                while len(_REPORTS) > KEPT:
                    _REPORTS.popitem(last=False)
        finally:
            with _LOCK:
                _MAKING.pop(key, None)
    return made


def forget() -> None:
    """Drop every kept report (benchmarks; a test of the guard pass itself)."""
    with _LOCK:
        _REPORTS.clear()
