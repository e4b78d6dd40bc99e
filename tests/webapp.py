"""The web app served for real on 127.0.0.1 (uvicorn, a SQLite file), and a client that
behaves like a browser's forms: it keeps cookies and sends the CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import requests

from loadguard.app import accounts
from loadguard.app.accounts import NewAccount
from loadguard.store.db import Store
from loadguard.store.users import User
from loadguard.web.server import GuardServer

FIT = Path(__file__).parents[1].parent / "shared" / "data" / "fit"
A_RUN = FIT / "python-fitparse" / "activity-small-fenix2-run.fit"
PASSWORD = "heel-and-toe-42"


@contextmanager
def served(db: Path) -> Iterator[GuardServer]:
    server = GuardServer(db, port=0).start()
    try:
        yield server
    finally:
        server.stop()


def add_runner(
    db: Path,
    email: str,
    *,
    plan_start: date | None = date(2026, 3, 2),
    athlete_id: str | None = None,
    language: str = "en",
    roles: tuple[str, ...] = ("runner",),
) -> User:
    with Store(db) as store:
        return accounts.add_account(
            store,
            NewAccount(
                email=email,
                name=email.split("@")[0].title(),
                password=PASSWORD,
                roles=roles,
                plan_start=plan_start,
                timezone="Europe/Copenhagen",
                language=language,
                athlete_id=athlete_id,
            ),
        )


def add_coach(db: Path, email: str, *, runner: bool = False, language: str = "en") -> User:
    """A coach's account (``runner``: a coach who runs too, with an athlete of their own)."""
    if runner:
        return add_runner(db, email, language=language, roles=("runner", "coach"))
    return add_runner(db, email, plan_start=None, language=language, roles=("coach",))


def grant(db: Path, coach: User, runner: User, scope: str = "all") -> int:
    """The coach invites the runner and the runner accepts with ``scope``: the link's id."""
    from loadguard.app import coaching
    from loadguard.store import coaching as coaching_store

    with Store(db) as store:
        code = coaching.invite(store, coach, "")
        link = coaching.invitation(store, code)
        coaching.answer(store, runner, link, accept=True, scope=scope)
        found = coaching_store.link(store, link.id)
        assert found is not None
        assert found.status == "active"
        return found.id


class Browser(requests.Session):
    """Cookies kept, redirects followed, every form posted with this browser's token."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def csrf(self) -> str:
        if "lg_csrf" not in self.cookies:
            self.get(self.base + "/login", timeout=10)
        return str(self.cookies["lg_csrf"])

    def open(self, path: str, **kwargs: Any) -> requests.Response:
        return self.get(self.base + path, timeout=30, **kwargs)

    def send_form(
        self, path: str, data: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        return self.post(
            self.base + path, data={"csrf": self.csrf(), **(data or {})}, timeout=60, **kwargs
        )

    def login(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.send_form("/login", {"email": email, "password": password})


def text_of(html: str) -> str:
    """The page's words without tags, whitespace folded (what a reader reads)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
