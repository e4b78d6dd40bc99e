"""People who sign in to the web app: users, sessions, sign-in attempts, password resets.

Only SQL lives here; hashing, token making and the rules (rate limits, expiry) are
:mod:`loadguard.app.accounts`'s. Tokens are stored as their SHA-256, never as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loadguard.store.db import Store, StoreError, now_iso
from loadguard.store.sql import integrity_errors


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    password_hash: str
    roles: tuple[str, ...]
    athlete_id: str | None
    language: str

    def has_role(self, role: str) -> bool:
        return role in self.roles


_COLUMNS = "id, email, name, password_hash, roles, athlete_id, language"


def _user(row: tuple[object, ...]) -> User:
    roles = tuple(str(row[4]).split(",")) if row[4] else ()
    return User(
        int(str(row[0])),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        roles,
        None if row[5] is None else str(row[5]),
        str(row[6]),
    )


def add_user(
    store: Store,
    email: str,
    name: str,
    password_hash: str,
    roles: tuple[str, ...],
    athlete_id: str | None,
    language: str,
) -> User:
    try:
        with store.atomic():
            cur = store.conn.execute(
                "INSERT INTO users (email, name, password_hash, roles, athlete_id, language,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (email, name, password_hash, ",".join(roles), athlete_id, language, now_iso()),
            )
            user_id = int(cur.fetchone()[0])
    except integrity_errors(store.dialect):
        raise StoreError(f"an account for {email} exists already") from None
    return user_by_id(store, user_id)


def user_by_id(store: Store, user_id: int) -> User:
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise StoreError(f"no user {user_id}")
    return _user(row)


def user_by_email(store: Store, email: str) -> User | None:
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM users WHERE email = ?", (email,)).fetchone()
    return None if row is None else _user(row)


def users(store: Store) -> list[User]:
    rows = store.conn.execute(f"SELECT {_COLUMNS} FROM users ORDER BY id").fetchall()
    return [_user(r) for r in rows]


def update_user(
    store: Store,
    user_id: int,
    *,
    password_hash: str | None = None,
    athlete_id: str | None = None,
    language: str | None = None,
) -> None:
    sets, args = [], []
    for column, value in (
        ("password_hash", password_hash),
        ("athlete_id", athlete_id),
        ("language", language),
    ):
        if value is not None:
            sets.append(f"{column} = ?")
            args.append(value)
    if not sets:
        return
    try:
        with store.atomic():
            store.conn.execute(f"UPDATE users SET {', '.join(sets)} WHERE id = ?", (*args, user_id))
    except integrity_errors(store.dialect):
        raise StoreError(f"athlete {athlete_id!r} is linked to another account") from None


def delete_user(store: Store, user_id: int) -> None:
    with store.atomic():
        store.conn.execute("DELETE FROM users WHERE id = ?", (user_id,))


# -- sessions ---------------------------------------------------------------------


def add_session(store: Store, token_hash: str, user_id: int, expires: datetime) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, user_id, now_iso(), expires.isoformat(timespec="seconds")),
        )


def session_user(store: Store, token_hash: str, now: datetime) -> User | None:
    row = store.conn.execute(
        f"SELECT {', '.join('u.' + c for c in _COLUMNS.split(', '))} FROM sessions s"
        " JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?",
        (token_hash, now.isoformat(timespec="seconds")),
    ).fetchone()
    return None if row is None else _user(row)


def end_sessions(
    store: Store, *, token_hash: str | None = None, user_id: int | None = None
) -> None:
    """End one session (logout) or every session of a user (a password change)."""
    with store.atomic():
        if token_hash is not None:
            store.conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
        if user_id is not None:
            store.conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


# -- sign-in attempts and resets --------------------------------------------------------


def record_attempt(store: Store, email: str, address: str, ok: bool) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO login_attempts (email, address, ok, at) VALUES (?, ?, ?, ?)",
            (email, address, int(ok), now_iso()),
        )


def failed_attempts(
    store: Store, *, since: datetime, email: str | None = None, address: str | None = None
) -> int:
    column, value = ("email", email) if email is not None else ("address", address)
    row = store.conn.execute(
        f"SELECT COUNT(*) FROM login_attempts WHERE {column} = ? AND ok = 0 AND at > ?",
        (value, since.isoformat(timespec="seconds")),
    ).fetchone()
    return int(row[0])


def add_reset(store: Store, token_hash: str, user_id: int, expires: datetime) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
            (token_hash, user_id, expires.isoformat(timespec="seconds")),
        )


def use_reset(store: Store, token_hash: str, now: datetime) -> int | None:
    """The user a reset token is for, marking it used; None when unknown, used or old."""
    stamp = now.isoformat(timespec="seconds")
    with store.atomic():
        row = store.conn.execute(
            "SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (token_hash, stamp),
        ).fetchone()
        if row is None:
            return None
        store.conn.execute(
            "UPDATE password_resets SET used_at = ? WHERE token_hash = ?", (stamp, token_hash)
        )
    return int(row[0])
