"""What every route shares: the store of this thread, who is signed in, the CSRF check,
the one access check, and rendering a page in the viewer's language.

Access is decided in exactly one place, :func:`loadguard.app.access.athlete_for`: every
``/a/{athlete_id}/...`` route declares what it needs through one of the dependencies
below (:data:`DECLARED`), and they all ask it. A route never looks an athlete up itself.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from loadguard import settings
from loadguard.app import access, accounts
from loadguard.app.tasks import TaskQueue, queue_for
from loadguard.contract import Athlete, Explained
from loadguard.i18n import LANGUAGES, number, say, word
from loadguard.store.db import Store
from loadguard.store.spool import Spool, folder_for
from loadguard.store.sql import Target, target
from loadguard.store.users import User
from loadguard.web.spooling import Intake

SESSION_COOKIE = "lg_session"
CSRF_COOKIE = "lg_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class Forbidden(Exception):
    """A form without the right CSRF token (or none): answered 403, nothing changed."""


class SignInNeeded(Exception):
    """A page for signed-in people only: answered with a redirect to /login."""


class Web:
    """The web app's state: the database, the settings in force, and a store per
    thread (FastAPI runs plain routes in a thread pool; SQLite connections are
    per thread)."""

    def __init__(
        self,
        db: Path | Target,
        conf: settings.Settings,
        wake: threading.Event | None,
        spooled: threading.Event | None = None,
    ) -> None:
        self.db = db
        self.conf = conf
        self.wake = wake or threading.Event()
        self.spooled = spooled or threading.Event()
        self._intake: Intake | None = None
        self._tasks: TaskQueue | None = None
        self._tasks_lock = threading.Lock()
        self._local = threading.local()
        root = files("loadguard.web")
        self.templates = Jinja2Templates(directory=str(root.joinpath("templates")))
        self.templates.env.globals.update(word=word, number=number, languages=LANGUAGES)
        self.templates.env.filters["when"] = when

    def tasks(self) -> TaskQueue:
        """Where work goes (:mod:`loadguard.app.tasks`), made on first use."""
        with self._tasks_lock:
            if self._tasks is None:
                self._tasks = queue_for(target(self.db), self.wake)
            return self._tasks

    def intake(self) -> Intake:
        """Where pushed events go first (:mod:`loadguard.web.spooling`), made on first use
        (in the event loop's thread, the only one that calls it)."""
        if self._intake is None:
            self._intake = Intake(Spool(folder_for(target(self.db))), self.spooled)
        return self._intake

    def store(self) -> Store:
        found: Store | None = getattr(self._local, "store", None)
        if found is None:
            found = Store(self.db)
            self._local.store = found
        return found


def when(stamp: str, timezone: str) -> str:
    """A stored UTC time ('2026-12-04T04:22:10+00:00') as the reader's clock shows it."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


WebDep = Annotated[Web, Depends(web_of)]


def viewer(request: Request, web: WebDep) -> User | None:
    """The signed-in user of this request, or None."""
    return accounts.session_user(web.store(), request.cookies.get(SESSION_COOKIE))


def signed_in(user: Annotated[User | None, Depends(viewer)]) -> User:
    if user is None:
        raise SignInNeeded
    return user


UserDep = Annotated[User, Depends(signed_in)]


def _decide(web: Web, user: User, athlete_id: str, need: str) -> access.View:
    return access.athlete_for(
        web.store(), user, athlete_id, need, coaches_see_strava=web.conf.web.coaches_see_strava
    )


def own_athlete(athlete_id: str, user: UserDep, web: WebDep) -> Athlete:
    """The athlete of the URL, if this is the runner themself (forms that change data)."""
    return _decide(web, user, athlete_id, "own").athlete


def viewed(athlete_id: str, user: UserDep, web: WebDep) -> access.View:
    """The athlete of the URL as this user may read them: the runner, or their coach."""
    return _decide(web, user, athlete_id, "view")


def viewed_with_pain(athlete_id: str, user: UserDep, web: WebDep) -> access.View:
    """As :func:`viewed`, for pages of pain and symptoms (a coach's scope must hold them)."""
    return _decide(web, user, athlete_id, "pain")


def coaching(athlete_id: str, user: UserDep, web: WebDep) -> access.View:
    """The athlete of the URL, for a coach they granted access (notes, stage changes)."""
    return _decide(web, user, athlete_id, "coach")


def coach_user(user: UserDep) -> User:
    """A signed-in coach (the athlete list, invitations, groups); others get 404."""
    if not user.has_role("coach"):
        raise access.NotAllowed("coach")
    return user


AthleteDep = Annotated[Athlete, Depends(own_athlete)]
ViewDep = Annotated[access.View, Depends(viewed)]
PainViewDep = Annotated[access.View, Depends(viewed_with_pain)]
CoachingDep = Annotated[access.View, Depends(coaching)]
CoachDep = Annotated[User, Depends(coach_user)]
# The rule each dependency declares (the access matrix test reads these off every route).
DECLARED = {
    own_athlete: "own",
    viewed: "view",
    viewed_with_pain: "pain",
    coaching: "coach",
    coach_user: "coach_user",
    signed_in: "signed_in",
}


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the cookie's (double submit: a
    page on another site can post a form but cannot read our cookie)."""
    form = await request.form()
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    if not cookie or not secrets.compare_digest(cookie, sent):
        raise Forbidden
    return form


FormDep = Annotated[FormData, Depends(checked_form)]


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (made on its first visit)."""
    token: str | None = getattr(request.state, "csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(24)
    request.state.csrf = token
    return token


def set_cookie(response: Response, web: Web, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=web.conf.web.secure_cookies,
        path="/",
    )


def language_of(request: Request, user: User | None) -> str:
    if user is not None and user.language in LANGUAGES:
        return user.language
    chosen = request.query_params.get("lang") or request.cookies.get("lg_lang", "")
    if chosen in LANGUAGES:
        return chosen
    header = request.headers.get("accept-language", "")
    return "da" if header.lower().startswith("da") else "en"


@dataclass(frozen=True)
class Words:
    """The page's words: ``t("today.title")`` is the catalogue's ``web.today.title``."""

    language: str

    def __call__(self, key: str, **values: Any) -> str:
        return say(self.language, f"web.{key}", **values)

    def num(self, value: float, digits: int = 0) -> str:
        return number(value, self.language, digits)

    def problem(self, problem: object) -> str:
        """An error in this language (:func:`explain`)."""
        return explain(self, problem)


def explain(t: Words, problem: object) -> str:
    """An error for the page, in its language: an AccountError with catalogue words, a
    catalogue key (``web.errors.<key>``), or else the message as it is."""
    if isinstance(problem, Explained) and problem.key:
        return t(f"errors.{problem.key}", **problem.values)
    if isinstance(problem, str):
        try:
            return t(f"errors.{problem}")
        except KeyError:
            return problem
    return str(problem)


def page(
    request: Request,
    web: Web,
    name: str,
    user: User | None,
    values: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A page rendered in the viewer's language, with the CSRF token for its forms."""
    language = language_of(request, user)
    token = csrf_token(request)
    t = Words(language)
    context = {
        "request": request,
        "user": user,
        "t": t,
        "lang": language,
        "csrf": token,
        "form": {},
        "view": None,
        **(values or {}),
    }
    # forms that change an athlete's data are shown to the runner themself only
    context["own"] = context["view"] is None or context["view"].own
    context["errors"] = {k: explain(t, v) for k, v in dict(context.get("errors", {})).items()}
    response = web.templates.TemplateResponse(request, name, context, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != token:
        set_cookie(response, web, CSRF_COOKIE, token, 60 * 60 * 24 * 365)
    return response


def back_to(url: str) -> RedirectResponse:
    """After a form that worked: see the result (POST, redirect, GET)."""
    return RedirectResponse(url, status_code=303)
