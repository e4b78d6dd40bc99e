"""A runner's alert page: where alerts go (apprise channels, shown redacted), the
lowest severity worth a message, quiet hours, and a test message to every channel."""

from __future__ import annotations

from collections.abc import Callable
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
        "severities": sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__),
        "errors": {},
        "form": {},
        **extra,
    }
    try:
        values["choices"] = alert_choices.current(web.store(), athlete)
    except AccountError as exc:  # the stored channels cannot be opened: the key
        values["choices"] = alert_choices.nothing_chosen(athlete)
        values["errors"] = {exc.field: exc, **values["errors"]}
        status = max(status, 500)
    return page(request, web, "alerts.html", user, values, status)


def _change(
    request: Request,
    web: Web,
    user: User,
    athlete: Athlete,
    form: dict[str, str],
    change: Callable[[], str],
) -> Response:
    """Make the change and show the page with what was done, or the form again with the
    error next to its field (nothing stored)."""
    try:
        done = change()
    except AccountError as exc:
        return _show(request, web, user, athlete, 400, errors={exc.field: exc}, form=form)
    return back_to(f"/a/{athlete.id}/alerts?done={done}")


@router.get("", response_class=HTMLResponse)
def alerts_page(request: Request, web: WebDep, user: UserDep, athlete: AthleteDep) -> Response:
    return _show(request, web, user, athlete)


@router.post("/channels", response_class=HTMLResponse)
def add_channel(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    url = field(form, "url")

    def add() -> str:
        return "added" if alert_choices.add_channel(web.store(), athlete, url) else "there"

    return _change(request, web, user, athlete, {"url": url}, add)


@router.post("/channels/remove", response_class=HTMLResponse)
def remove_channel(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    def remove() -> str:
        alert_choices.remove_channel(web.store(), athlete, field(form, "channel"))
        return "removed"

    return _change(request, web, user, athlete, {}, remove)


@router.post("/choices", response_class=HTMLResponse)
def save_choices(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    values = {k: field(form, k) for k in ("min_severity", "quiet_hours")}

    def save() -> str:
        alert_choices.save(web.store(), athlete, values["min_severity"], values["quiet_hours"])
        return "saved"

    return _change(request, web, user, athlete, values, save)


@router.post("/test", response_class=HTMLResponse)
def send_test(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    try:
        done = alert_choices.send_test(web.store(), athlete)
    except AccountError as exc:
        return _show(request, web, user, athlete, 400, errors={exc.field: exc})
    return _show(request, web, user, athlete, tested=done)
