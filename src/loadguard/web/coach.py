"""A coach's pages: the athlete list (sortable, filterable, as CSV), invitations, groups
and the channel for the daily digest. Every route takes the coach from
:data:`CoachDep`; the athletes on the list are those who granted this coach access."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from markupsafe import Markup

from loadguard import settings
from loadguard.alerts.delivery import WEB_DIGEST_AT, coach_key
from loadguard.app import access, alert_choices, athlete_list, coaching
from loadguard.app.access import View
from loadguard.app.accounts import AccountError
from loadguard.store import coaching as coaching_store
from loadguard.store import outbox
from loadguard.store.users import User
from loadguard.web.context import (
    CoachDep,
    FormDep,
    Web,
    WebDep,
    Words,
    back_to,
    field,
    language_of,
    page,
)

router = APIRouter(prefix="/coach")
LIGHTS = ("red", "yellow", "green")


def _views(web: Web, coach: User) -> list[View]:
    return access.coached(web.store(), coach, coaches_see_strava=web.conf.web.coaches_see_strava)


def _listed(
    request: Request, web: Web, coach: User
) -> tuple[list[athlete_list.Row], dict[str, Any]]:
    """The coach's rows, filtered and sorted as the query string asks."""
    q = request.query_params
    light = q.get("light", "") if q.get("light", "") in LIGHTS else ""
    sort, desc, stage = q.get("sort", ""), q.get("desc", "") == "1", q.get("stage", "")
    quiet, group = q.get("quiet", "") == "1", q.get("group", "")
    everyone = athlete_list.for_coach(web.store(), coach.id, _views(web, coach))
    shown = athlete_list.filtered(everyone, light=light, stage=stage, quiet=quiet, group=group)
    chosen: dict[str, Any] = {
        "sort": sort,
        "desc": desc,
        "light": light,
        "stage": stage,
        "quiet": quiet,
        "group": group,
        "stages": sorted(
            {(r.stage, r.stage_in(language_of(request, coach))) for r in everyone if r.stage}
        ),
        "total": len(everyone),
    }
    return athlete_list.ordered(shown, sort, desc), chosen


@functools.lru_cache(maxsize=20_000)  # about 1 KB each
def _row_html(env: Environment, row: athlete_list.Row, language: str) -> Markup:
    """One row of the list as HTML, kept until the row changes (a row is a frozen value:
    any change of the athlete's figures, notes or groups makes another): a list of a
    thousand athletes renders only the rows that changed since the last load."""
    t = Words(language)
    r = row
    km = "" if r.week_km is None else t.num(r.week_km, 1)
    if km and r.cap_km is not None:
        km += f" / {t.num(r.cap_km, 1)}"
    pain = r.last_pain
    cells = {
        "id": r.athlete_id,
        "name": r.name,
        "light": r.light,
        "light_text": t(f"light.{r.light}"),
        "stale": t("coach.stale") if r.stale else "",
        "limited": r.scope == "no_pain",
        "plan_week": r.plan_week,
        "stage": r.stage_in(language),
        "state": "" if r.stage_state == "on_plan" else t(f"coach.state_{r.stage_state}"),
        "km": f"{km} km" if km else "",
        "soft": "" if r.soft_share is None else f"{t.num(r.soft_share * 100, 0)} %",
        "pain": "" if pain is None else f"{pain}/10",
        "pain_light": ""
        if pain is None
        else "green"
        if pain <= 2
        else "yellow"
        if pain <= 5
        else "red",
        "trend": t(f"coach.trend_{r.pain_trend}") if r.pain_trend else "",
        "shoes": ", ".join(r.shoes_due),
        "days": t("coach.never")
        if r.days_since_run is None
        else t("coach.days", count=r.days_since_run),
        "unread": r.unread,
    }
    headings = {c: t(f"coach.col_{c}") for c in athlete_list.COLUMNS}  # a phone's labels
    return Markup(env.get_template("coach_row.html").render(r=cells, h=headings))


def _show(request: Request, web: Web, coach: User, status: int = 200, **extra: Any) -> Response:
    rows, chosen = _listed(request, web, coach)
    store = web.store()
    try:
        digest_channels = alert_choices.shown_channels(store, coach_key(coach.id))
    except AccountError as exc:  # the stored channels cannot be opened: the key
        digest_channels, status = [], max(status, 500)
        extra["errors"] = {exc.field: exc, **extra.get("errors", {})}
    env, language = web.templates.env, language_of(request, coach)
    values = {
        "rows": [_row_html(env, r, language) for r in rows],
        "limited": any(r.scope == "no_pain" for r in rows),
        "chosen": chosen,
        "lights": LIGHTS,
        "columns": athlete_list.COLUMNS,
        "invites": [
            i for i in coaching_store.links_of_coach(store, coach.id) if i.status == "invited"
        ],
        "groups": coaching_store.groups(store, coach.id),
        "channels": digest_channels,
        "digest_at": outbox.digest_times(store).get(coach_key(coach.id), WEB_DIGEST_AT),
        "base": settings.current().web.base_url.rstrip("/") or str(request.base_url).rstrip("/"),
        "query": request.url.query,
        **extra,
    }
    return page(request, web, "coach.html", coach, values, status)


@router.get("", response_class=HTMLResponse)
def athletes(request: Request, web: WebDep, coach: CoachDep) -> Response:
    return _show(request, web, coach)


@router.get("/athletes.csv")
def athletes_csv(request: Request, web: WebDep, coach: CoachDep) -> Response:
    """The list as shown (filters and order of the query string), one row per athlete."""
    rows, _chosen = _listed(request, web, coach)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=athlete_list.CSV_FIELDS)
    writer.writeheader()
    for r in rows:
        writer.writerow(r.as_dict())
    headers = {"Content-Disposition": 'attachment; filename="athletes.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/invite", response_class=HTMLResponse)
def invite(request: Request, web: WebDep, coach: CoachDep, form: FormDep) -> Response:
    """A new invitation: its code and link are shown once, here."""
    email = field(form, "email")
    try:
        code = coaching.invite(web.store(), coach, email)
    except AccountError as exc:
        return _show(request, web, coach, 400, errors={"email": exc}, form={"email": email})
    return _show(request, web, coach, invited={"code": code, "email": email})


def _change(
    request: Request, web: Web, coach: User, where: str, change: Callable[[], object], done: str
) -> Response:
    """Make one change and see the list again, or the form's error under ``where``."""
    try:
        change()
    except AccountError as exc:
        return _show(request, web, coach, 400, errors={where: exc})
    return back_to(f"/coach?done={done}")


@router.post("/groups", response_class=HTMLResponse)
def add_group(request: Request, web: WebDep, coach: CoachDep, form: FormDep) -> Response:
    name = field(form, "name")
    return _change(
        request, web, coach, "group", lambda: coaching.add_group(web.store(), coach, name), "group"
    )


@router.post("/channels", response_class=HTMLResponse)
def add_channel(request: Request, web: WebDep, coach: CoachDep, form: FormDep) -> Response:
    """Where the daily digest goes (an apprise URL, shown redacted from now on)."""
    url, key = field(form, "url"), coach_key(coach.id)
    return _change(
        request,
        web,
        coach,
        "url",
        lambda: alert_choices.add_channel_to(web.store(), key, url),
        "channel",
    )


@router.post("/digest", response_class=HTMLResponse)
def digest_time(request: Request, web: WebDep, coach: CoachDep, form: FormDep) -> Response:
    """When the daily digest goes out (their zone), or off."""
    at = field(form, "digest_at")
    return _change(
        request,
        web,
        coach,
        "digest_at",
        lambda: coaching.set_digest_time(web.store(), coach, at),
        "digest",
    )


@router.post("/channels/remove", response_class=HTMLResponse)
def remove_channel(request: Request, web: WebDep, coach: CoachDep, form: FormDep) -> Response:
    channel, key = field(form, "channel"), coach_key(coach.id)
    return _change(
        request,
        web,
        coach,
        "url",
        lambda: alert_choices.remove_channel_from(web.store(), key, channel),
        "channel_removed",
    )
