"""My data: download everything, and delete the account with all of it."""

from __future__ import annotations

import tempfile

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from loadguard.app import accounts, connections, mydata
from loadguard.app.accounts import AccountError
from loadguard.web.context import (
    SESSION_COOKIE,
    AthleteDep,
    FormDep,
    UserDep,
    WebDep,
    back_to,
    field,
    page,
)

router = APIRouter(prefix="/a/{athlete_id}")


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, web: WebDep, user: UserDep, athlete: AthleteDep) -> Response:
    return page(request, web, "data.html", user, {"athlete": athlete})


@router.get("/data/export.zip")
def export_zip(web: WebDep, athlete: AthleteDep) -> Response:
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115 - streamed below
    mydata.write_zip(web.store(), athlete, spool)
    size = spool.tell()
    spool.seek(0)

    def chunks() -> object:
        with spool:
            while block := spool.read(1 << 16):
                yield block

    name = f"loadguard-{athlete.id}.zip"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Length": str(size),
        "Cache-Control": "no-store",
    }
    return StreamingResponse(chunks(), media_type="application/zip", headers=headers)  # type: ignore[arg-type]


@router.post("/data/delete", response_class=HTMLResponse)
def delete_everything(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    """Confirmed twice: the word DELETE (or SLET) typed, and the password."""
    confirm = field(form, "confirm").upper()
    if confirm not in ("DELETE", "SLET"):
        return page(
            request,
            web,
            "data.html",
            user,
            {"athlete": athlete, "errors": {"confirm": "confirm"}},
            400,
        )
    store = web.store()
    try:
        accounts.check_own_password(user, str(form.get("password") or ""))
    except AccountError as exc:
        return page(
            request, web, "data.html", user, {"athlete": athlete, "errors": {"password": exc}}, 400
        )
    told = connections.disconnect_all(store, athlete)
    accounts.delete_account(store, user, str(form.get("password") or ""))
    response = page(request, web, "deleted.html", None, {"told": told})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


__all__ = ["back_to", "router"]
