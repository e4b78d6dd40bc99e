"""Providers that push (webhooks) and the health check: JSON, no session, no CSRF (a
provider is no browser; each receiver checks its own events)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from loadguard.sources import registry
from loadguard.sources.registry import UnknownConnector
from loadguard.store.accounts import queue_event
from loadguard.web.context import WebDep

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
    """Validated and queued in the store, answered at once (Strava wants 200 within 2 s);
    the server's worker does the slow part."""
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
    from starlette.concurrency import run_in_threadpool

    # one provider athlete's events run in order, whichever worker takes them
    owner = accepted.payload.get("owner_id")
    lock = f"{name}:{owner}" if owner is not None else None

    def queue() -> bool:
        event_id = queue_event(web.store(), name, accepted.key, dict(accepted.payload))
        if event_id is not None:
            web.tasks().defer("process_event", lock=lock, event_id=event_id)
        return event_id is not None

    return JSONResponse({"queued": await run_in_threadpool(queue)})
