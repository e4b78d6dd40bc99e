"""The words of the commands' tables in one language, and their numbers rounded as the
guard rounds them."""

from __future__ import annotations

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
        import polars as pl  # the commands that print numbers have computed them with it

        rounded = pl.Series([value], dtype=pl.Float64).round(2).round(decimals).item()
        return number(rounded, self.language, decimals, sign=sign)
