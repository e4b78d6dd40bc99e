"""Connecting a provider by OAuth (Strava) and leaving it, from the runner's pages.

The ``state`` sent with the browser is kept in an HttpOnly cookie with the source and
athlete; the callback must bring it back (constant-time compare) and be made by the
same signed-in user, who must still be allowed that athlete."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loadguard.app import access, connections
from loadguard.contract import HostError
from loadguard.web.context import (
    AthleteDep,
    FormDep,
    UserDep,
    Web,
    WebDep,
    back_to,
    page,
    set_cookie,
)

router = APIRouter()
STATE_COOKIE = "lg_oauth"


def _values(web: Web, athlete: object, **extra: object) -> dict[str, object]:
    assert hasattr(athlete, "id")
    return {
        "athlete": athlete,
        "providers": connections.linkable(web.store(), athlete),  # type: ignore[arg-type]
        **extra,
    }


@router.get("/a/{athlete_id}/connections", response_class=HTMLResponse)
def connections_page(request: Request, web: WebDep, user: UserDep, athlete: AthleteDep) -> Response:
    done = request.query_params.get("done", "")
    return page(request, web, "connections.html", user, _values(web, athlete, done=done))


def _callback(request: Request, web: Web, source: str) -> str:
    base = web.conf.web.base_url or str(request.base_url).rstrip("/")
    return f"{base}/oauth/{source}/callback"


@router.post("/a/{athlete_id}/connect/{source}")
def connect(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, source: str, form: FormDep
) -> Response:
    del form
    state = secrets.token_urlsafe(24)
    try:
        url = connections.authorize_url(web.store(), source, _callback(request, web, source), state)
    except (HostError, LookupError) as exc:
        extra = {"errors": {source: str(exc)}}
        return page(request, web, "connections.html", user, _values(web, athlete, **extra), 400)
    response = RedirectResponse(url, status_code=303)
    set_cookie(response, web, STATE_COOKIE, f"{source}:{athlete.id}:{state}", 600)
    return response


@router.get("/oauth/{source}/callback", response_class=HTMLResponse)
def callback(request: Request, web: WebDep, user: UserDep, source: str) -> Response:
    kept = request.cookies.get(STATE_COOKIE, "")
    kept_source, _, rest = kept.partition(":")
    athlete_id, _, state = rest.partition(":")
    given = request.query_params.get("state", "")
    if kept_source != source or not state or not secrets.compare_digest(state, given):
        # not the answer to a connection this browser started: no athlete to show it on
        return page(request, web, "error.html", user, {"problem": "oauth_state"}, 400)
    athlete = access.athlete_for(web.store(), user, athlete_id, "own").athlete  # 404 for others
    problem = ""
    if request.query_params.get("error"):
        problem = "oauth_denied"
    else:
        try:
            connections.complete(
                web.store(),
                athlete,
                source,
                request.query_params.get("code", ""),
                request.query_params.get("scope", ""),
            )
        except HostError as exc:
            problem = str(exc)
    response: Response
    if problem:
        extra = {"errors": {source: problem}}
        response = page(request, web, "connections.html", user, _values(web, athlete, **extra), 400)
    else:
        response = back_to(f"/a/{athlete.id}/connections?done={source}")
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


@router.post("/a/{athlete_id}/disconnect/{source}")
def disconnect(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, source: str, form: FormDep
) -> Response:
    del form
    try:
        connections.disconnect(web.store(), athlete, source)
    except (HostError, LookupError) as exc:
        extra = {"errors": {source: str(exc)}}
        return page(request, web, "connections.html", user, _values(web, athlete, **extra), 400)
    return back_to(f"/a/{athlete.id}/connections?done=disconnected")
