"""The words of the commands' tables in one language, and their numbers rounded as the
guard rounds them."""

from __future__ import annotations

import math
from typing import Any

from loadguard.i18n import number, say


class Words:
    """The check's words in one language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, **values: Any) -> str:
        return say(self.language, f"cli.check.{key}", **values)

    def cli(self, key: str, **values: Any) -> str:
        return say(self.language, f"cli.{key}", **values)

    def num(self, value: float, decimals: int = 1, *, sign: bool = False) -> str:
        """A number rounded as the guard's messages round it (polars), so a table and a
        message never disagree in the last digit; in the language's format."""
        return number(rounded(rounded(value, 2), decimals), self.language, decimals, sign=sign)


def rounded(value: float, decimals: int) -> float:
    """``value`` rounded as polars' ``round`` rounds it (half to even after scaling, the
    sign of a zero kept), without loading polars: a kept report is shown without it."""
    if not math.isfinite(value):
        return value
    scale = 10.0**decimals
    made = round(value * scale) / scale
    return made if made != 0 else math.copysign(0.0, value)
