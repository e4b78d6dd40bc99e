"""Alert channels added from the CLI and the web app (``alert_channels``), sealed at rest.

A channel URL with a password, token, topic or address in it is stored encrypted
(:mod:`loadguard.store.secretbox`): ``sealed`` holds the ciphertext and ``url`` holds
``sealed:`` and a keyed digest of recipient and URL, so the primary key still keeps one
row per recipient and URL. A URL whose every secret is an ``{env:NAME}`` reference holds
none and is stored as given. Rows stored in plain text before (schema 18) are sealed the
first time the channels are read, their old bytes overwritten (SQLite's secure delete).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import ip_address
from urllib.parse import parse_qsl, urlsplit

from loadguard.store import secretbox
from loadguard.store.db import Store, now_iso
from loadguard.store.secretbox import SecretBox, SecretKeyError

SEALED = "sealed:"  # the start of ``url`` for a sealed row
_ENV = re.compile(r"\{env:[A-Za-z_][A-Za-z0-9_]*\}")
_WHAT = "stored alert channels"
_WORD = re.compile(r"[a-z][a-z-]{0,19}")  # a one-word host name (urlsplit lowercases it)


def holds_secret(url: str) -> bool:
    """Could this URL hold a secret? False only when, its ``{env:NAME}`` references left
    out, nothing is left but a scheme and an ordinary host name: no user or password, no
    path, query value or fragment, no host that is a token (tgram://123456789:AA.../)."""
    if not _ENV.search(url):
        return True
    try:
        parts = urlsplit(_ENV.sub("", url))
        host, _port = parts.hostname or "", parts.port
    except ValueError:
        return True
    extra = [parts.username, parts.password, parts.path.strip("/"), parts.fragment]
    values = [value for _key, value in parse_qsl(parts.query)]
    return any(extra) or any(values) or not plain_host(host)


def plain_host(host: str) -> bool:
    """Is this an ordinary host name or address, not a token in the host's place? A name
    with a dot, an IP address, or one short word (a machine on the network: 'ntfy');
    not digits, a mix of letters and digits, or a long word, as apprise's tokens are."""
    host = host.strip("[]")
    if host == "" or "." in host or _WORD.fullmatch(host):
        return True
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def stored_channels(store: Store) -> dict[str, list[str]]:
    """Recipient key -> its stored channel URLs, opened, oldest first."""
    query = "SELECT recipient, url, sealed FROM alert_channels ORDER BY created_at, url"
    rows = store.conn.execute(query).fetchall()
    if any(sealed is None and holds_secret(url) for _r, url, sealed in rows):
        _seal_plain_rows(store)
        rows = store.conn.execute(query).fetchall()
    box: SecretBox | None = None
    out: dict[str, list[str]] = {}
    for recipient, url, sealed in rows:
        if sealed is not None:
            box = box or _box(store)
            url = box.open(str(sealed), _WHAT)
        out.setdefault(str(recipient), []).append(str(url))
    return out


def add_channel(store: Store, recipient: str, url: str) -> bool:
    """Store one more channel; False when the recipient has it already."""
    _seal_plain_rows(store)  # a URL stored in plain text before is found sealed
    stored, sealed = url, None
    if holds_secret(url):
        box = _box(store)
        stored, sealed = SEALED + box.digest(recipient, url), box.seal(url)
    cur = store.conn.execute(
        "INSERT INTO alert_channels (recipient, url, sealed, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (recipient, stored, sealed, now_iso()),
    )
    return cur.rowcount == 1


def remove_channel(store: Store, recipient: str, url: str) -> bool:
    """Remove a stored channel, given its URL; False when the recipient has no such one."""
    _seal_plain_rows(store)
    stored = url
    if holds_secret(url):
        any_sealed = store.conn.execute(
            "SELECT 1 FROM alert_channels WHERE recipient = ? AND sealed IS NOT NULL LIMIT 1",
            (recipient,),
        ).fetchone()
        if any_sealed is None:
            return False
        stored = SEALED + _box(store).digest(recipient, url)
    cur = store.conn.execute(
        "DELETE FROM alert_channels WHERE recipient = ? AND url = ?", (recipient, stored)
    )
    return cur.rowcount == 1


def _box(store: Store) -> SecretBox:
    """The box of the key in force, checked against a channel sealed before (a new or
    changed key is refused here, not found out as a duplicate no one can remove); the key
    file is made only while nothing is sealed yet."""
    row = store.conn.execute(
        "SELECT sealed FROM alert_channels WHERE sealed IS NOT NULL LIMIT 1"
    ).fetchone()
    try:
        box = secretbox.box(create=row is None)
    except SecretKeyError as exc:
        raise SecretKeyError(f"{_WHAT}: {exc}") from None
    if row is not None:
        box.open(str(row[0]), _WHAT)
    return box


def _seal_plain_rows(store: Store) -> None:
    """Seal the rows an older loadguard stored in plain text (one transaction)."""
    plain = [
        (str(recipient), str(url), str(created_at))
        for recipient, url, created_at in store.conn.execute(
            "SELECT recipient, url, created_at FROM alert_channels WHERE sealed IS NULL"
        )
        if holds_secret(str(url))
    ]
    if not plain:
        return
    box = _box(store)
    with _secure_delete(store), store.atomic():
        for recipient, url, created_at in plain:
            gone = store.conn.execute(
                "DELETE FROM alert_channels WHERE recipient = ? AND url = ? AND sealed IS NULL",
                (recipient, url),
            )
            if gone.rowcount == 1:  # not sealed meanwhile by another process
                store.conn.execute(
                    "INSERT INTO alert_channels (recipient, url, sealed, created_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (recipient, SEALED + box.digest(recipient, url), box.seal(url), created_at),
                )


@contextmanager
def _secure_delete(store: Store) -> Iterator[None]:
    """SQLite overwrites what it deletes meanwhile (the plain text leaves the file)."""
    if store.dialect != "sqlite":
        yield
        return
    (before,) = store.conn.execute("PRAGMA secure_delete").fetchone()
    store.conn.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        store.conn.execute(f"PRAGMA secure_delete = {int(before)}")
