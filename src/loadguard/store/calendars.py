"""Private calendar feeds: one per athlete at most, found by the hash of its token."""

from __future__ import annotations

from loadguard.store.db import Store, now_iso


def replace_feed(store: Store, athlete_id: str, token_hash: str) -> None:
    """Give the athlete a feed with this token; an older one stops working."""
    with store.atomic():
        store.conn.execute(
            "INSERT INTO calendar_feeds (athlete_id, token_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT(athlete_id) DO UPDATE SET token_hash = excluded.token_hash,"
            " created_at = excluded.created_at",
            (athlete_id, token_hash, now_iso()),
        )


def revoke_feed(store: Store, athlete_id: str) -> bool:
    """Stop the athlete's feed; False when there was none."""
    with store.atomic():
        cur = store.conn.execute("DELETE FROM calendar_feeds WHERE athlete_id = ?", (athlete_id,))
        return bool(cur.rowcount)


def feed_athlete(store: Store, token_hash: str) -> str | None:
    row = store.conn.execute(
        "SELECT athlete_id FROM calendar_feeds WHERE token_hash = ?", (token_hash,)
    ).fetchone()
    return None if row is None else str(row[0])


def has_feed(store: Store, athlete_id: str) -> str | None:
    """When the athlete's feed was made (None: they have none)."""
    row = store.conn.execute(
        "SELECT created_at FROM calendar_feeds WHERE athlete_id = ?", (athlete_id,)
    ).fetchone()
    return None if row is None else str(row[0])
