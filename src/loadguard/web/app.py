"""The web app of `loadguard serve`: a runner's pages, accounts, and the webhook
endpoints, on FastAPI. Pages are rendered on the server (Jinja2); htmx and vega-embed
are vendored under ``static/vendor`` (npm packages at pinned versions, with licences)."""

from __future__ import annotations

import threading
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loadguard import settings
from loadguard.app.access import NotAllowed
from loadguard.store.sql import Target
from loadguard.web import (
    alerts,
    auth,
    coach,
    consent,
    forms,
    hooks,
    links,
    mydata,
    notes,
    plan,
    runner,
)
from loadguard.web.context import DECLARED, Forbidden, SignInNeeded, Web, page, viewer

SMALL_BODY = 1 << 20  # any form but an upload
# Every route of the app, in the order they are matched (the access test walks these).
ROUTERS = (
    hooks.router,
    auth.router,
    runner.router,
    forms.router,
    alerts.router,
    mydata.router,
    links.router,
    coach.router,
    consent.router,
    notes.router,
    plan.router,
)
# Routes anyone may reach, signed in or not; every other route declares its rule by the
# access dependency it takes (context.DECLARED). The access test fails for a route
# that does neither.
PUBLIC = frozenset(
    {
        "/health",
        "/webhooks/{name}",
        "/",
        "/login",
        "/logout",
        "/signup",
        "/reset",
        "/reset/{token}",
        "/calendar/{token}.ics",  # the token is the access: a private feed, revocable
    }
)


def declared_rule(route: APIRoute) -> str:
    """The access rule a route declares: ``public``, or the rule of the access dependency
    it takes (:data:`context.DECLARED`; the strictest when several). ValueError for a
    route that declares none, so a new route cannot slip past the access tests."""
    if route.path in PUBLIC:
        return "public"
    calls = set()
    todo = list(route.dependant.dependencies)
    while todo:
        dependency = todo.pop()
        calls.add(dependency.call)
        todo.extend(dependency.dependencies)
    rules = {rule for call, rule in DECLARED.items() if call in calls}
    for rule in ("own", "pain", "coach", "view", "coach_user", "signed_in"):
        if rule in rules:
            return rule
    raise ValueError(f"{route.path} declares no access rule")


class BodyLimit:
    """Refuses a request body past its limit however its length is declared (or not):
    413 before the route reads it. Uploads get the operator's limit, others 1 MB."""

    def __init__(self, app: ASGIApp, upload_bytes: int) -> None:
        self.app = app
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope["path"].endswith("/upload") else SMALL_BODY
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit, bad=not declared.isdigit())
            return
        seen = 0
        answered = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        async def sent(message: Message) -> None:
            nonlocal answered
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sent)
        except* _TooLarge:  # raised in a middleware's task group it comes as a group
            if not answered:
                await _too_large(send, limit)


class SafetyHeaders:
    """Headers every answer carries (no sniffing, no framing, no referrer off the site);
    plain ASGI, as a BaseHTTPMiddleware costs a task group a request."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.HEADERS if n not in have]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int, *, bad: bool = False) -> None:
    text = b"bad Content-Length" if bad else b"request body larger than %d MB" % (limit >> 20)
    await send(
        {
            "type": "http.response.start",
            "status": 400 if bad else 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": text})


def create_app(
    db: Path | Target,
    wake: threading.Event | None = None,
    spooled: threading.Event | None = None,
) -> FastAPI:
    """The app; ``wake`` cues the task worker, ``spooled`` the spool's drainer."""
    conf = settings.current()
    web = Web(db, conf, wake, spooled)
    app = FastAPI(title="loadguard", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = web
    static = files("loadguard.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(SignInNeeded)
    async def sign_in_first(request: Request, exc: SignInNeeded) -> Response:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': wanted})}", status_code=303)

    @app.exception_handler(NotAllowed)
    async def not_yours(request: Request, exc: NotAllowed) -> Response:
        return _missing(request, web)

    @app.exception_handler(Forbidden)
    async def forged(request: Request, exc: Forbidden) -> Response:
        return page(request, web, "forbidden.html", None, status=403)

    @app.exception_handler(runner.BadQuery)
    async def bad_query(request: Request, exc: runner.BadQuery) -> Response:
        return page(request, web, "error.html", None, {"problem": str(exc)}, status=400)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
        )
        if request.url.path.startswith(("/webhooks", "/health")):
            return JSONResponse({"error": problems}, 400)
        return page(request, web, "error.html", None, {"problem": problems}, status=400)

    @app.exception_handler(404)
    async def no_route(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(("/webhooks", "/health", "/static")):
            return JSONResponse({"error": f"no route {request.url.path}"}, 404)
        return _missing(request, web)

    app.add_middleware(SafetyHeaders)
    app.add_middleware(BodyLimit, upload_bytes=conf.web.max_upload_mb << 20)
    return app


def _missing(request: Request, web: Web) -> Response:
    user = viewer(request, web)
    return page(request, web, "missing.html", user, status=404)
