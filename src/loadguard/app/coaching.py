"""A coach and their athletes: invitations, consent (grant, change of scope, revocation,
each recorded with its time), groups, notes both ways, and stage adjustments.

Who may reach whose pages is :mod:`loadguard.app.access`'s one decision; here are the
rules of each change. A shared note goes out through the other side's alert channels
(the athlete's) or in the coach's daily digest (:mod:`loadguard.app.digests`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from loadguard.alerts import delivery
from loadguard.app import service
from loadguard.app.access import View
from loadguard.app.accounts import AccountError
from loadguard.contract import Athlete
from loadguard.settings import current
from loadguard.store import coaching as store_
from loadguard.store import outbox
from loadguard.store.coaching import SCOPES, Link
from loadguard.store.db import Store
from loadguard.store.users import User

NOTE_MAX = 2000  # characters in a note
REASON_MAX = 300
GROUP_MAX = 60
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
INVITE_DAYS = 30  # an invitation not answered by then is void (ask for a new one)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


def invite(store: Store, coach: User, email: str = "") -> str:
    """A new invitation; returns its code (shown once, as a link /join/CODE too). With an
    email, the invitation also waits on that runner's Coaches page."""
    if not coach.has_role("coach"):
        raise AccountError("only a coach invites", "email", "not_coach")
    email = email.strip()
    if email and not EMAIL.fullmatch(email):
        raise AccountError(f"{email!r} is not an email address", "email", "email", value=email)
    if email and email.lower() == coach.email.lower():
        raise AccountError("that is your own address", "email", "invite_self")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    store_.add_invite(store, coach.id, _hash(code), email or None)
    return f"{code[:5]}-{code[5:]}"


def invitation(store: Store, code: str) -> Link:
    """The open invitation with this code; AccountError if none is open."""
    found = store_.link_by_code(store, _hash(code))
    if found is None or found.status != "invited":
        raise AccountError("no open invitation with this code", "code", "invite_unknown")
    if datetime.fromisoformat(found.updated_at) < _now() - timedelta(days=INVITE_DAYS):
        raise AccountError("the invitation is too old", "code", "invite_unknown")
    return found


def _scope(scope: str) -> str:
    if scope not in SCOPES:
        raise AccountError(f"{scope!r} is not a scope", "scope", "scope", value=scope)
    return scope


def answer(store: Store, user: User, link: Link, *, accept: bool, scope: str = "all") -> None:
    """The runner accepts (granting ``scope``) or declines an invitation."""
    if user.athlete_id is None:
        raise AccountError("an account without an athlete", "code", "no_athlete")
    if link.coach_id == user.id:
        raise AccountError("your own invitation", "code", "invite_self")
    if link.email and link.email.lower() != user.email.lower():
        raise AccountError("addressed to someone else", "code", "invite_unknown")
    if not accept:
        store_.set_link(store, link, "declined", None, user.athlete_id, "declined")
        return
    if store_.active_link(store, link.coach_id, user.athlete_id) is not None:
        raise AccountError("already your coach", "code", "already_coached", name=link.coach_name)
    store_.set_link(store, link, "active", _scope(scope), user.athlete_id, "granted")


def _mine(store: Store, athlete: Athlete, link_id: int) -> Link:
    found = store_.link(store, link_id)
    if found is None or found.athlete_id != athlete.id or found.status != "active":
        raise AccountError("no such coach of yours", "coach", "coach_unknown")
    return found


def change_scope(store: Store, athlete: Athlete, link_id: int, scope: str) -> None:
    found = _mine(store, athlete, link_id)
    if found.scope != _scope(scope):
        store_.set_link(store, found, "active", scope, athlete.id, "changed")


def revoke(store: Store, athlete: Athlete, link_id: int) -> None:
    """The coach sees nothing of the athlete from now on (their notes stay the athlete's)."""
    store_.set_link(store, _mine(store, athlete, link_id), "revoked", None, athlete.id, "revoked")


# -- the digest ---------------------------------------------------------------------


def set_digest_time(store: Store, coach: User, given: str) -> str:
    """When the coach's daily digest goes out ('HH:MM', their zone), or 'off'."""
    given = given.strip().lower().replace(".", ":")
    if given not in ("off", "") and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", given):
        raise AccountError(f"{given!r}", "digest_at", "digest_time", value=given)
    chosen = given or "off"
    outbox.save_digest_time(store, f"coach:u{coach.id}", chosen)
    return chosen


# -- groups -------------------------------------------------------------------------


def add_group(store: Store, coach: User, name: str) -> int:
    name = " ".join(name.split())
    if not name or len(name) > GROUP_MAX:
        raise AccountError("a group needs a name", "group", "group_name", limit=GROUP_MAX)
    return store_.add_group(store, coach.id, name)


def set_member(store: Store, coach: User, group_id: int, athlete_id: str, member: bool) -> None:
    if group_id not in dict(store_.groups(store, coach.id)):
        raise AccountError("no such group of yours", "group", "group_unknown")
    if store_.active_link(store, coach.id, athlete_id) is None:
        raise AccountError("not one of your athletes", "group", "coach_unknown")
    store_.set_member(store, group_id, athlete_id, member)


# -- notes --------------------------------------------------------------------------


def _body(text: str) -> str:
    text = text.strip()
    if not text:
        raise AccountError("an empty note", "body", "note_empty")
    if len(text) > NOTE_MAX:
        raise AccountError("too long", "body", "note_long", limit=NOTE_MAX)
    return text


def _now() -> datetime:
    return datetime.now(UTC)


def coach_note(store: Store, view: View, body: str, *, shared: bool, finding: str = "") -> int:
    """A coach's note on the athlete, maybe acknowledging a finding ('rule|subject|date');
    a shared one goes to the athlete's alert channels."""
    assert view.coach is not None
    text = _body(body)
    note = store_.add_note(
        store,
        view.athlete.id,
        view.coach.id,
        by_coach=True,
        shared=shared,
        body=text,
        finding=finding.strip()[:200] or None,
    )
    if shared:
        conf = current()
        payload = {"athlete": view.athlete.id, "from": view.coach.name, "body": text}
        if delivery.queue_note(store, conf, f"athlete:{view.athlete.id}", note, payload, _now()):
            delivery.deliver_due(store, conf, _now())
    return note


def reply(store: Store, athlete: Athlete, coach_id: int, body: str) -> int:
    """The athlete answers a coach; the coach reads it on the athlete's notes page, sees it
    counted on the list, and gets it in the daily digest."""
    if store_.active_link(store, coach_id, athlete.id) is None:
        raise AccountError("no such coach of yours", "coach", "coach_unknown")
    return store_.add_note(
        store, athlete.id, coach_id, by_coach=False, shared=True, body=_body(body)
    )


# -- the stage ----------------------------------------------------------------------

KINDS = ("hold", "back", "release")


def adjust_stage(store: Store, view: View, kind: str, reason: str, to_week: int | None) -> None:
    """Hold the stage from this plan week on, release a hold, or set the stage back to an
    earlier plan week; the guard runs again (the athlete's alerts follow the new stage)."""
    assert view.coach is not None
    athlete = view.athlete
    if kind not in KINDS:
        raise AccountError(f"{kind!r}", "kind", "stage_kind", value=kind)
    reason = " ".join(reason.split())
    if not reason or len(reason) > REASON_MAX:
        raise AccountError("say why", "reason", "stage_reason", limit=REASON_MAX)
    week = max(1, (service.today(athlete) - athlete.plan_start).days // 7 + 1)
    if kind == "back" and (to_week is None or not 1 <= to_week <= week):
        raise AccountError("a week of the plan so far", "to_week", "stage_week", week=week)
    store_.add_adjustment(
        store,
        athlete.id,
        view.coach.id,
        view.coach.name,
        kind,
        week,
        to_week if kind == "back" else None,
        reason,
    )
    service.run_guard(store, athlete, "coach")
