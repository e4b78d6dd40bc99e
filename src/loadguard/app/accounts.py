"""Accounts for the web app: sign-up, sign-in with rate limits, sessions, password change
and reset. The web routes and `loadguard user ...` both call these.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended set); session and reset tokens are 32 random bytes, stored as their
SHA-256 so a copy of the database opens no session.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from loadguard import settings
from loadguard.contract import Athlete, Explained
from loadguard.guard.plan import load_plan
from loadguard.store import export, users
from loadguard.store.db import Store, StoreError
from loadguard.store.users import User

log = logging.getLogger("loadguard.accounts")

SESSION_DAYS = 30
RESET_HOURS = 2
# Sign-in limits: failures within the window lock the account, or the address, until
# the window has passed (a person mistyping is not locked out; a guesser is slowed).
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = ("runner", "coach")

_hasher = PasswordHasher()


class AccountError(Explained):
    """A request about an account that cannot be honoured; ``field`` names the form field."""

    def __init__(self, message: str, field: str = "", key: str = "", **values: object) -> None:
        super().__init__(message, key=key, **values)
        self.field = field


class TooManyAttempts(AccountError):
    """Sign-in refused for now: too many failures for this account or address."""


def _now() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"a password needs at least {MIN_PASSWORD} characters",
            "password",
            "password_short",
            count=MIN_PASSWORD,
        )


def _email(email: str) -> str:
    email = email.strip()
    if not EMAIL.match(email):
        raise AccountError(f"{email!r} is not an email address", "email", "not_email")
    return email


def _new_athlete_id(store: Store, email: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@")[0].lower())[:56].strip("-") or "runner"
    taken = {a.id for a in store.athletes()}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@dataclass(frozen=True)
class NewAccount:
    email: str
    name: str
    password: str
    roles: tuple[str, ...] = ("runner",)
    plan_start: date | None = None  # a runner's plan week 1 (a new athlete is made)
    timezone: str = ""
    language: str = "en"
    athlete_id: str | None = None  # link an existing CLI athlete instead


def add_account(store: Store, new: NewAccount) -> User:
    """An account; a runner gets a new athlete (or is linked to ``athlete_id``). Nothing
    is stored when anything is wrong (AccountError names the field)."""
    email = _email(new.email)
    name = new.name.strip() or email.split("@")[0]
    check_password(new.password)
    if not new.roles or any(r not in ROLES for r in new.roles):
        raise AccountError(f"a role is one of {', '.join(ROLES)}", "roles", "roles")
    if users.user_by_email(store, email) is not None:
        raise AccountError(f"an account for {email} exists already", "email", "email_taken")
    athlete_id = new.athlete_id
    if athlete_id is not None:
        store.athlete(athlete_id)  # StoreError when there is none
    elif "runner" in new.roles:
        if new.plan_start is None:
            raise AccountError("say when your plan's week 1 starts", "plan_start", "plan_start")
        zone = new.timezone or settings.current().athlete.timezone
        athlete_id = _new_athlete_id(store, email)
        load_plan("heel-fat-pad")
        try:
            store.add_athlete(athlete_id, name, "heel-fat-pad", new.plan_start, zone, new.language)
        except StoreError as exc:
            raise AccountError(str(exc), "timezone", "timezone") from None
    hashed = _hasher.hash(new.password)
    try:
        return users.add_user(store, email, name, hashed, new.roles, athlete_id, new.language)
    except StoreError as exc:
        raise AccountError(str(exc), "email") from None


def sign_in(store: Store, email: str, password: str, address: str) -> str:
    """A new session token for the right password; TooManyAttempts while the account or
    the address is locked; AccountError (the same words whatever was wrong) otherwise."""
    since = _now() - WINDOW
    email = email.strip()
    if (
        users.failed_attempts(store, since=since, email=email) >= MAX_FAILURES_PER_ACCOUNT
        or users.failed_attempts(store, since=since, address=address) >= MAX_FAILURES_PER_ADDRESS
    ):
        raise TooManyAttempts("too many failed sign-ins: wait 15 minutes", "email", "too_many")
    user = users.user_by_email(store, email)
    ok = False
    if user is not None:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password)  # the same work as a real check: no timing tells who exists
    users.record_attempt(store, email, address, ok)
    if not ok or user is None:
        raise AccountError("wrong email or password", "password", "wrong_login")
    if _hasher.check_needs_rehash(user.password_hash):
        users.update_user(store, user.id, password_hash=_hasher.hash(password))
    return open_session(store, user)


def open_session(store: Store, user: User) -> str:
    token = secrets.token_urlsafe(32)
    users.add_session(store, token_hash(token), user.id, _now() + timedelta(days=SESSION_DAYS))
    return token


def session_user(store: Store, token: str | None) -> User | None:
    if not token:
        return None
    return users.session_user(store, token_hash(token), _now())


def sign_out(store: Store, token: str) -> None:
    users.end_sessions(store, token_hash=token_hash(token))


def change_password(store: Store, user: User, current: str, new: str) -> str:
    """Check the current password, set the new one, end every session; a new session."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError("the current password is wrong", "current", "wrong_current") from None
    check_password(new)
    users.update_user(store, user.id, password_hash=_hasher.hash(new))
    users.end_sessions(store, user_id=user.id)
    return open_session(store, users.user_by_id(store, user.id))


def request_reset(store: Store, email: str, base_url: str) -> None:
    """Make a reset link and print it to the operator's log (never to the page: whoever
    asks must not learn whether the account exists)."""
    user = users.user_by_email(store, email.strip())
    if user is None:
        log.warning("password reset asked for %s: no such account", email.strip())
        return
    token = secrets.token_urlsafe(32)
    users.add_reset(store, token_hash(token), user.id, _now() + timedelta(hours=RESET_HOURS))
    log.warning(
        "password reset for %s: %s/reset/%s (valid %d h)", user.email, base_url, token, RESET_HOURS
    )


def reset_password(store: Store, token: str, new: str) -> str:
    check_password(new)
    user_id = users.use_reset(store, token_hash(token), _now())
    if user_id is None:
        raise AccountError(
            "this reset link is unknown, used or older than 2 hours", "token", "reset_link"
        )
    users.update_user(store, user_id, password_hash=_hasher.hash(new))
    users.end_sessions(store, user_id=user_id)
    return open_session(store, users.user_by_id(store, user_id))


def set_language(store: Store, user: User, language: str) -> None:
    """The language of the pages and, for a runner, of everything they are sent."""
    from loadguard.app import service

    users.update_user(store, user.id, language=language)
    if user.athlete_id is not None:
        athlete = store.athlete(user.athlete_id)
        service.update_athlete(store, athlete, language=language)


def link_athlete(store: Store, user: User, athlete: Athlete) -> None:
    users.update_user(store, user.id, athlete_id=athlete.id)


def check_own_password(user: User, password: str) -> None:
    """A signed-in person confirms a grave step with their password."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise AccountError("the password is wrong", "password", "wrong_password") from None


def delete_account(store: Store, user: User, password: str) -> None:
    """Delete the account and the athlete's every record (raw files, runs, pain, alerts,
    channels, sessions): confirmed with the password. Connected sources are told first by
    the caller (Strava's deauthorisation)."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise AccountError("the password is wrong", "password", "wrong_password") from None
    if user.athlete_id is not None:
        export.erase(store, user.athlete_id, user.id, user.email)
    else:
        users.delete_user(store, user.id)
