"""A runner's alert page: where alerts go (apprise channels, shown redacted), the
lowest severity worth a message, quiet hours, and a test message to every channel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from loadguard.app import alert_choices
from loadguard.app.accounts import AccountError
from loadguard.contract import Athlete
from loadguard.guard.findings import SEVERITY_RANK
from loadguard.store.users import User
from loadguard.web.context import AthleteDep, FormDep, UserDep, Web, WebDep, back_to, field, page

router = APIRouter(prefix="/a/{athlete_id}/alerts")


def _show(
    request: Request,
    web: Web,
    user: User,
    athlete: Athlete,
    status: int = 200,
    **extra: Any,
) -> Response:
    values = {
        "athlete": athlete,
        "choices": alert_choices.current(web.store(), athlete),
        "severities": sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__),
        "errors": {},
        "form": {},
        **extra,
    }
    return page(request, web, "alerts.html", user, values, status)


def _refused(
    request: Request, web: Web, user: User, athlete: Athlete, exc: AccountError, form: Any
) -> Response:
    return _show(request, web, user, athlete, 400, errors={exc.field: exc}, form=form)


@router.get("", response_class=HTMLResponse)
def alerts_page(request: Request, web: WebDep, user: UserDep, athlete: AthleteDep) -> Response:
    return _show(request, web, user, athlete)


@router.post("/channels", response_class=HTMLResponse)
def add_channel(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    url = field(form, "url")
    try:
        added = alert_choices.add_channel(web.store(), athlete, url)
    except AccountError as exc:
        return _refused(request, web, user, athlete, exc, {"url": url})
    return back_to(f"/a/{athlete.id}/alerts?done={'added' if added else 'there'}")


@router.post("/channels/remove", response_class=HTMLResponse)
def remove_channel(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    try:
        alert_choices.remove_channel(web.store(), athlete, field(form, "channel"))
    except AccountError as exc:
        return _refused(request, web, user, athlete, exc, {})
    return back_to(f"/a/{athlete.id}/alerts?done=removed")


@router.post("/choices", response_class=HTMLResponse)
def save_choices(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    values = {k: field(form, k) for k in ("min_severity", "quiet_hours")}
    try:
        alert_choices.save(web.store(), athlete, values["min_severity"], values["quiet_hours"])
    except AccountError as exc:
        return _refused(request, web, user, athlete, exc, values)
    return back_to(f"/a/{athlete.id}/alerts?done=saved")


@router.post("/test", response_class=HTMLResponse)
def send_test(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    try:
        done = alert_choices.send_test(web.store(), athlete)
    except AccountError as exc:
        return _refused(request, web, user, athlete, exc, {})
    return _show(request, web, user, athlete, tested=done)
