"""Coaches and their athletes, in SQL only: invitations and grants (``coach_links``), the
record of every grant, change and revocation (``consent_log``), a coach's groups, the
notes between a coach and an athlete, and the stage adjustments a coach made.

The rules (who may invite, what a scope allows, what a code looks like) are
:mod:`loadguard.app.coaching`'s; the one access decision is :mod:`loadguard.app.access`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadguard.store.db import Store, now_iso

SCOPES = ("all", "no_pain")  # everything; everything but pain and symptoms


@dataclass(frozen=True)
class Link:
    id: int
    coach_id: int
    coach_name: str
    coach_email: str
    athlete_id: str | None
    email: str | None
    status: str  # invited | active | declined | revoked
    scope: str | None
    updated_at: str


_LINK = (
    "SELECT l.id, l.coach_id, u.name, u.email, l.athlete_id, l.email, l.status, l.scope,"
    " l.updated_at FROM coach_links l JOIN users u ON u.id = l.coach_id"
)


def _link(row: tuple[object, ...]) -> Link:
    return Link(
        int(str(row[0])),
        int(str(row[1])),
        str(row[2]),
        str(row[3]),
        None if row[4] is None else str(row[4]),
        None if row[5] is None else str(row[5]),
        str(row[6]),
        None if row[7] is None else str(row[7]),
        str(row[8]),
    )


def add_invite(store: Store, coach_id: int, code_hash: str, email: str | None) -> int:
    stamp = now_iso()
    with store.atomic():
        cur = store.conn.execute(
            "INSERT INTO coach_links (coach_id, email, code_hash, status, created_at, updated_at)"
            " VALUES (?, ?, ?, 'invited', ?, ?) RETURNING id",
            (coach_id, email, code_hash, stamp, stamp),
        )
        return int(cur.fetchone()[0])


def link_by_code(store: Store, code_hash: str) -> Link | None:
    row = store.conn.execute(f"{_LINK} WHERE l.code_hash = ?", (code_hash,)).fetchone()
    return None if row is None else _link(row)


def link(store: Store, link_id: int) -> Link | None:
    row = store.conn.execute(f"{_LINK} WHERE l.id = ?", (link_id,)).fetchone()
    return None if row is None else _link(row)


def links_of_athlete(store: Store, athlete_id: str, email: str) -> list[Link]:
    """The athlete's coaches (active), and the invitations addressed to their email."""
    rows = store.conn.execute(
        f"{_LINK} WHERE (l.athlete_id = ? AND l.status = 'active')"
        " OR (l.status = 'invited' AND l.email = ?) ORDER BY l.id",
        (athlete_id, email),
    ).fetchall()
    return [_link(r) for r in rows]


def links_of_coach(store: Store, coach_id: int) -> list[Link]:
    """A coach's invitations still open and athletes who granted access."""
    rows = store.conn.execute(
        f"{_LINK} WHERE l.coach_id = ? AND l.status IN ('invited', 'active') ORDER BY l.id",
        (coach_id,),
    ).fetchall()
    return [_link(r) for r in rows]


def active_link(store: Store, coach_id: int, athlete_id: str) -> Link | None:
    row = store.conn.execute(
        f"{_LINK} WHERE l.coach_id = ? AND l.athlete_id = ? AND l.status = 'active'",
        (coach_id, athlete_id),
    ).fetchone()
    return None if row is None else _link(row)


def set_link(
    store: Store, found: Link, status: str, scope: str | None, athlete_id: str, event: str
) -> None:
    """Change a link and record it in the consent log, in one transaction."""
    stamp = now_iso()
    with store.atomic():
        store.conn.execute(
            "UPDATE coach_links SET status = ?, scope = ?, athlete_id = ?, updated_at = ?"
            " WHERE id = ?",
            (status, scope, athlete_id, stamp, found.id),
        )
        store.conn.execute(
            "INSERT INTO consent_log (athlete_id, coach_id, coach_name, event, scope, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                athlete_id,
                found.coach_id,
                f"{found.coach_name} <{found.coach_email}>",
                event,
                scope,
                stamp,
            ),
        )


def consent_log(store: Store, athlete_id: str) -> list[tuple[str, str, str, str | None]]:
    """(when, coach, event, scope), newest first."""
    rows = store.conn.execute(
        "SELECT at, coach_name, event, scope FROM consent_log WHERE athlete_id = ?"
        " ORDER BY id DESC",
        (athlete_id,),
    ).fetchall()
    return [(str(r[0]), str(r[1]), str(r[2]), None if r[3] is None else str(r[3])) for r in rows]


def coached(store: Store, coach_id: int) -> list[tuple[str, str, int]]:
    """(athlete id, scope, revision) of every athlete who granted this coach access."""
    rows = store.conn.execute(
        "SELECT l.athlete_id, l.scope, a.revision FROM coach_links l"
        " JOIN athletes a ON a.id = l.athlete_id"
        " WHERE l.coach_id = ? AND l.status = 'active' ORDER BY l.athlete_id",
        (coach_id,),
    ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


# -- groups -------------------------------------------------------------------------


def add_group(store: Store, coach_id: int, name: str) -> int:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO coach_groups (coach_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (coach_id, name),
        )
    row = store.conn.execute(
        "SELECT id FROM coach_groups WHERE coach_id = ? AND name = ?", (coach_id, name)
    ).fetchone()
    return int(row[0])


def groups(store: Store, coach_id: int) -> list[tuple[int, str]]:
    rows = store.conn.execute(
        "SELECT id, name FROM coach_groups WHERE coach_id = ? ORDER BY name", (coach_id,)
    ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def set_member(store: Store, group_id: int, athlete_id: str, member: bool) -> None:
    with store.atomic():
        if member:
            store.conn.execute(
                "INSERT INTO group_members (group_id, athlete_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                (group_id, athlete_id),
            )
        else:
            store.conn.execute(
                "DELETE FROM group_members WHERE group_id = ? AND athlete_id = ?",
                (group_id, athlete_id),
            )


def memberships(store: Store, coach_id: int) -> dict[str, list[str]]:
    """Athlete id -> the names of this coach's groups they are in."""
    rows = store.conn.execute(
        "SELECT m.athlete_id, g.name FROM group_members m JOIN coach_groups g"
        " ON g.id = m.group_id WHERE g.coach_id = ? ORDER BY g.name",
        (coach_id,),
    ).fetchall()
    out: dict[str, list[str]] = {}
    for athlete_id, name in rows:
        out.setdefault(str(athlete_id), []).append(str(name))
    return out


# -- notes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    id: int
    coach_id: int
    coach_name: str
    by_coach: bool
    shared: bool
    finding: str | None
    body: str
    created_at: str
    read: bool


def add_note(
    store: Store,
    athlete_id: str,
    coach_id: int,
    *,
    by_coach: bool,
    shared: bool,
    body: str,
    finding: str | None = None,
) -> int:
    with store.atomic():
        cur = store.conn.execute(
            "INSERT INTO notes (athlete_id, coach_id, by_coach, shared, finding, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (athlete_id, coach_id, int(by_coach), int(shared), finding, body, now_iso()),
        )
        return int(cur.fetchone()[0])


def notes(store: Store, athlete_id: str, coach_id: int | None) -> list[Note]:
    """Oldest first. A coach (``coach_id``) sees their notes with the athlete, private
    ones included; the athlete (None) sees every coach's shared notes and their replies."""
    where = "n.coach_id = ?" if coach_id is not None else "n.shared = 1"
    args: tuple[object, ...] = (athlete_id, coach_id) if coach_id is not None else (athlete_id,)
    rows = store.conn.execute(
        "SELECT n.id, n.coach_id, u.name, n.by_coach, n.shared, n.finding, n.body,"
        " n.created_at, n.read_at IS NOT NULL FROM notes n JOIN users u ON u.id = n.coach_id"
        f" WHERE n.athlete_id = ? AND {where} ORDER BY n.id",
        args,
    ).fetchall()
    return [
        Note(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6], r[7], bool(r[8])) for r in rows
    ]


def mark_read(store: Store, athlete_id: str, coach_id: int | None) -> None:
    """The reader has seen what the other side wrote: a coach the athlete's replies, the
    athlete (None) the coaches' shared notes."""
    stamp = now_iso()
    with store.atomic():
        if coach_id is not None:
            store.conn.execute(
                "UPDATE notes SET read_at = ? WHERE athlete_id = ? AND coach_id = ?"
                " AND by_coach = 0 AND read_at IS NULL",
                (stamp, athlete_id, coach_id),
            )
        else:
            store.conn.execute(
                "UPDATE notes SET read_at = ? WHERE athlete_id = ? AND by_coach = 1"
                " AND shared = 1 AND read_at IS NULL",
                (stamp, athlete_id),
            )


def unread_for_coach(store: Store, coach_id: int) -> dict[str, int]:
    rows = store.conn.execute(
        "SELECT athlete_id, COUNT(*) FROM notes WHERE coach_id = ? AND by_coach = 0"
        " AND read_at IS NULL GROUP BY athlete_id",
        (coach_id,),
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


# -- stage adjustments --------------------------------------------------------------


def add_adjustment(
    store: Store,
    athlete_id: str,
    coach_id: int,
    coach_name: str,
    kind: str,
    plan_week: int,
    to_week: int | None,
    reason: str,
) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO stage_adjustments (athlete_id, coach_id, coach_name, kind, plan_week,"
            " to_week, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (athlete_id, coach_id, coach_name, kind, plan_week, to_week, reason, now_iso()),
        )


def replies_after(store: Store, coach_id: int, after: int) -> list[tuple[str, str, Note]]:
    """(athlete id, athlete name, note) of the athletes' replies to this coach after a
    note id (a digest's cursor), oldest first; only from athletes still coached."""
    rows = store.conn.execute(
        "SELECT n.athlete_id, a.name, n.id, n.coach_id, u.name, n.by_coach, n.shared,"
        " n.finding, n.body, n.created_at, n.read_at IS NOT NULL FROM notes n"
        " JOIN athletes a ON a.id = n.athlete_id JOIN users u ON u.id = n.coach_id"
        " JOIN coach_links l ON l.coach_id = n.coach_id AND l.athlete_id = n.athlete_id"
        " AND l.status = 'active'"
        " WHERE n.coach_id = ? AND n.by_coach = 0 AND n.id > ? ORDER BY n.id",
        (coach_id, after),
    ).fetchall()
    return [
        (
            str(r[0]),
            str(r[1]),
            Note(r[2], r[3], r[4], bool(r[5]), bool(r[6]), r[7], r[8], r[9], bool(r[10])),
        )
        for r in rows
    ]
