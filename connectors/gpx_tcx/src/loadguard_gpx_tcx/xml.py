"""Reading a GPX or TCX document with lxml, safely and quickly.

gpxpy reads GPX at about 7 MB/s on the shared files; walking lxml's tree here reads
it several times faster (``bench/bench_gpx_tcx.py`` measures both), so gpxpy is kept
as the independent reference the tests compare against, as fitparse is for FIT.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from lxml import etree

from loadguard.contract import ConnectorError

_BOM = b"\xef\xbb\xbf"


def parse(payload: bytes, kind: str) -> etree._Element:
    """The document's root element; ConnectorError naming the problem for bad XML. No
    entities are resolved and nothing is fetched (a file cannot reach the network)."""
    text = payload[3:] if payload.startswith(_BOM) else payload
    text = text.lstrip(b" \t\r\n")  # some exporters put a blank line before <?xml
    try:
        root = etree.fromstring(text, _parser(recover=False))
    except etree.XMLSyntaxError as err:
        if "Namespace prefix" not in str(err):
            raise ConnectorError(f"not a readable {kind} file: {err}") from None
        # Strava's GPX export writes <gpxdata:cadence> without declaring gpxdata: the
        # only fault read past (libxml2's recovery keeps the element, prefix and all).
        root = etree.fromstring(text, _parser(recover=True))
    if root is None:
        raise ConnectorError(f"not a readable {kind} file: it is empty")
    return root


def _parser(*, recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        recover=recover,
    )


def local(tag: object) -> str:
    """An element's name without its namespace ('' for a processing instruction)."""
    return _local(tag) if isinstance(tag, str) else ""


@cache
def _local(tag: str) -> str:  # a file has a few dozen distinct tags in 100,000 elements
    return tag[max(tag.rfind("}"), tag.rfind(":")) + 1 :]  # ":": a recovered prefix


def number(text: str | None) -> float:
    """A number from an element's text, NaN when absent or not a finite number."""
    if text is None:
        return float("nan")
    try:
        value = float(text)
    except ValueError:
        return float("nan")
    return value if value == value and abs(value) != float("inf") else float("nan")


def instant(text: str | None, what: str) -> float:
    """An ISO 8601 time as seconds since the epoch; a time without a zone is UTC (GPX and
    TCX both say times are UTC)."""
    if not text:
        raise ConnectorError(f"{what} has no time")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConnectorError(f"{what} has an unreadable time {text.strip()[:40]!r}") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC).timestamp()
    return moment.timestamp()
