"""Providers that push (webhooks) and the health check: JSON, no session, no CSRF (a
provider is no browser; each receiver checks its own events)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from loadguard.sources import registry
from loadguard.sources.registry import UnknownConnector
from loadguard.store.spool import Spooled
from loadguard.web.context import WebDep

log = logging.getLogger("loadguard.web")
router = APIRouter()
MAX_EVENT = 64 * 1024


@router.get("/health")
def health() -> Response:
    return JSONResponse({"ok": True, "webhooks": registry.webhook_names()})


@router.get("/webhooks/{name}")
def challenge(name: str, request: Request) -> Response:
    try:
        receiver = registry.webhook(name)
    except UnknownConnector as exc:
        return JSONResponse({"error": str(exc)}, 404)
    status, body = receiver.challenge(dict(request.query_params))
    return JSONResponse(dict(body), status)


@router.post("/webhooks/{name}")
async def event(name: str, request: Request, web: WebDep) -> Response:
    """Validated, spooled to disk and answered at once, whatever the store is doing
    (Strava wants 200 within 2 s); the server's drainer queues it in the store and the
    worker does the slow part. A duplicate is dropped when it is queued."""
    body = await request.body()
    if len(body) > MAX_EVENT:
        return JSONResponse({"error": "event body too large"}, 413)
    try:
        receiver = registry.webhook(name)
        accepted = receiver.accept(body)
    except UnknownConnector as exc:
        return JSONResponse({"error": str(exc)}, 404)
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    try:
        await web.intake().put(Spooled(name, accepted.key, dict(accepted.payload)))
    except OSError as exc:
        log.warning("webhook %s: cannot spool the event: %s", name, exc)
        return JSONResponse({"error": "cannot store the event now; send it again"}, 503)
    return JSONResponse({"accepted": True})
