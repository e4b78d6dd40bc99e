"""A runner's side of consent: the invitations waiting for them, accepting one (choosing
what the coach may see) or declining it, changing a coach's scope, revoking, and the
record of every grant, change and revocation. An invitation by link or code opens at
``/join/{code}``; one sent to the runner's email also waits on their Coaches page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from loadguard.app import coaching
from loadguard.app.accounts import AccountError
from loadguard.contract import Athlete
from loadguard.store import coaching as coaching_store
from loadguard.store.coaching import SCOPES
from loadguard.store.users import User
from loadguard.web.context import (
    AthleteDep,
    FormDep,
    UserDep,
    Web,
    WebDep,
    back_to,
    field,
    page,
)

router = APIRouter()


def _show(
    request: Request, web: Web, user: User, athlete: Athlete, status: int = 200, **extra: Any
) -> Response:
    store = web.store()
    links = coaching_store.links_of_athlete(store, athlete.id, user.email)
    values = {
        "athlete": athlete,
        "coaches": [link for link in links if link.status == "active"],
        "invites": [link for link in links if link.status == "invited"],
        "record": coaching_store.consent_log(store, athlete.id),
        "scopes": SCOPES,
        **extra,
    }
    return page(request, web, "coaches.html", user, values, status)


@router.get("/a/{athlete_id}/coaches", response_class=HTMLResponse)
def coaches_page(request: Request, web: WebDep, user: UserDep, athlete: AthleteDep) -> Response:
    return _show(request, web, user, athlete)


def _answer(web: Web, user: User, link: coaching_store.Link, form: FormDep) -> str:
    given = field(form, "answer")
    if given not in ("accept", "decline"):
        raise AccountError(f"answer {given!r}", "code", "answer")
    accept = given == "accept"
    coaching.answer(web.store(), user, link, accept=accept, scope=field(form, "scope"))
    return "accepted" if accept else "declined"


@router.post("/a/{athlete_id}/invitations/{link_id}", response_class=HTMLResponse)
def answer_invitation(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, link_id: int, form: FormDep
) -> Response:
    """Accept or decline an invitation sent to this runner's email."""
    found = coaching_store.link(web.store(), link_id)
    try:
        if found is None or found.status != "invited" or not found.email:
            raise AccountError("no such invitation", "code", "invite_unknown")
        done = _answer(web, user, found, form)
    except AccountError as exc:
        return _show(request, web, user, athlete, 400, errors={"code": exc})
    return back_to(f"/a/{athlete.id}/coaches?done={done}")


@router.post("/a/{athlete_id}/coaches/{link_id}", response_class=HTMLResponse)
def change(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, link_id: int, form: FormDep
) -> Response:
    """``action`` scope (with ``scope``) or revoke."""
    action = field(form, "action")
    try:
        if action == "revoke":
            coaching.revoke(web.store(), athlete, link_id)
        else:
            coaching.change_scope(web.store(), athlete, link_id, field(form, "scope"))
    except AccountError as exc:
        return _show(request, web, user, athlete, 400, errors={"coach": exc})
    return back_to(f"/a/{athlete.id}/coaches?done={'revoked' if action == 'revoke' else 'scope'}")


@router.get("/join", response_class=HTMLResponse)
def join_by_code(request: Request, web: WebDep, user: UserDep) -> Response:
    """A code typed in (the form on the Coaches page): the invitation's page."""
    code = request.query_params.get("code", "").strip()
    return back_to(f"/join/{code}") if code else back_to("/")


def _join_page(
    request: Request, web: Web, user: User, code: str, status: int = 200, **extra: Any
) -> Response:
    try:
        found = coaching.invitation(web.store(), code)
    except AccountError as exc:
        values = {"problem": exc, "code": code}
        return page(request, web, "join.html", user, values, 404)
    values = {"invite": found, "code": code, "scopes": SCOPES, **extra}
    return page(request, web, "join.html", user, values, status)


@router.get("/join/{code}", response_class=HTMLResponse)
def join_page(request: Request, web: WebDep, user: UserDep, code: str) -> Response:
    return _join_page(request, web, user, code)


@router.post("/join/{code}", response_class=HTMLResponse)
def join(request: Request, web: WebDep, user: UserDep, code: str, form: FormDep) -> Response:
    try:
        found = coaching.invitation(web.store(), code)
        done = _answer(web, user, found, form)
    except AccountError as exc:
        return _join_page(request, web, user, code, 400, errors={"code": exc})
    return back_to(f"/a/{user.athlete_id}/coaches?done={done}")
