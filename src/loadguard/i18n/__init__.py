"""What loadguard says, in English and Danish: the message catalogues (``locales/en.toml``,
``locales/da.toml``), numbers in the locale's format, and which language a runner reads.

One catalogue per language serves every layer that speaks to people: the alerts, the
command line and the web pages. Code holds no sentences; a template's ``{value:.1f}``
comes out as ``47.5`` in English and ``47,5`` in Danish (Babel's CLDR data decides the
separators). Pure apart from reading the catalogue files from the package.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from loadguard.contract import Athlete
from loadguard.settings import Settings

LANGUAGES = ("en", "da")
LOCALES = {"en": "en_GB", "da": "da_DK"}
_SPEC = re.compile(r"^(?P<sign>\+)?(?P<group>,)?(?:\.(?P<digits>\d+))?(?P<kind>[fd]?)$")


@cache
def catalogue(language: str) -> dict[str, Any]:
    """The catalogue of one language, read from the package once."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    data = files("loadguard.i18n").joinpath("locales", f"{language}.toml").read_text("utf-8")
    return tomllib.loads(data)


@functools.lru_cache(maxsize=8192)
def number(value: float, language: str, digits: int = 0, *, sign: bool = False) -> str:
    """``value`` with ``digits`` decimals in the language's format (47,5 in Danish); kept
    (a list page formats the same few numbers hundreds of times, and Babel takes ~20 µs)."""
    from babel.numbers import format_decimal  # babel: 70 ms, for the commands that print numbers

    body = "#,##0" + ("." + "0" * digits if digits else "")
    pattern = f"+{body};-{body}" if sign else body
    return str(format_decimal(value, format=pattern, locale=LOCALES[language]))


def day(value: date, language: str) -> str:
    """A day as a reader of ``language`` writes it: "Fri 4 Dec" / "fre. 4. dec."."""
    from babel.dates import format_skeleton

    return str(format_skeleton("MMMEd", value, locale=LOCALES[language]))


class LocalNumber(float):
    """A float that formats itself in a language's format inside ``str.format``:
    ``{value:.1f}``, ``{value:+.0f}``, ``{value:,.0f}``."""

    language: str

    def __new__(cls, value: float, language: str) -> LocalNumber:
        made = super().__new__(cls, value)
        made.language = language
        return made

    def __format__(self, spec: str) -> str:
        found = _SPEC.match(spec)
        if found is None:
            return float.__format__(self, spec)
        if found["kind"] == "d":
            digits = 0
        elif found["digits"]:
            digits = int(found["digits"])
        else:  # a bare {value}: whole numbers bare, others to one decimal
            digits = 0 if float(self).is_integer() else 1
        return number(float(self), self.language, digits, sign=bool(found["sign"]))

    def __str__(self) -> str:
        return self.__format__("")


def _local(value: Any, language: str) -> Any:
    return LocalNumber(value, language) if isinstance(value, float) else value


def localised(values: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The values with every float formatting itself in ``language``'s number format."""
    return {k: _local(v, language) for k, v in values.items()}


def say(language: str, key: str, /, **values: Any) -> str:
    """The catalogue's text at a dotted ``key`` ("cli.runs.none"), filled in; a count of 1
    takes the ``<key>_one`` variant where the catalogue has one."""
    section: Any = catalogue(language)
    *path, last = key.split(".")
    for part in path:
        section = section[part]
    if values.get("count") == 1 and f"{last}_one" in section:
        last = f"{last}_one"
    template = section[last]
    return str(template).format_map(localised(values, language))


def word(language: str, key: str) -> str:
    """One word from the ``[words]`` table (a severity, a surface, a grade), else the key."""
    return str(catalogue(language)["words"].get(key, key))


def from_environment() -> str | None:
    """The language of ``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` ("da_DK.UTF-8" -> "da")."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        code = value.split(".")[0].split("_")[0].lower()
        if code in LANGUAGES:
            return code
        if value and value not in ("C", "POSIX"):
            return None
    return None


def language_for(athlete: Athlete | None, settings: Settings) -> str:
    """What a runner reads: their own setting (`athlete set --language`), else the
    settings file (``[alerts.<id>] language``, then ``[athlete] language``), else the
    environment's ``LANG``, else English."""
    if athlete is not None and athlete.language:
        return athlete.language
    chosen = settings.alerts.get(athlete.id) if athlete is not None else None
    if chosen is not None and chosen.language:
        return chosen.language
    return settings.athlete.language or from_environment() or "en"
