"""The runner's next sessions: the Plan page, each session as a workout file for the watch
(one, or all in a zip), and the private calendar feed (made, remade, stopped on the page;
read by a phone's calendar at ``/calendar/<token>.ics``, where the token is the access)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from loadguard.app import ical, service, workouts
from loadguard.i18n import day, language_for
from loadguard.store import calendars
from loadguard.web.context import AthleteDep, FormDep, UserDep, WebDep, field, language_of, page

router = APIRouter()
WEEKS = 2  # on the page and in the zip
FEED_WEEKS = 4
ICS = "text/calendar; charset=utf-8"


def _plans(web: WebDep, athlete: AthleteDep, language: str) -> list[workouts.Planned]:
    return workouts.planned(web.store(), athlete, WEEKS, language)


@router.get("/a/{athlete_id}/plan", response_class=HTMLResponse)
def plan_page(request: Request, web: WebDep, user: UserDep, athlete: AthleteDep) -> Response:
    return _page(request, web, user, athlete)


def _page(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, link: str = ""
) -> Response:
    language = language_of(request, user)
    plans = _plans(web, athlete, language)
    values = {
        "athlete": athlete,
        "sessions": [
            (p, workouts.describe(p, language), day(p.workout.day, language)) for p in plans
        ],
        "since": calendars.has_feed(web.store(), athlete.id),
        "link": link,
    }
    return page(request, web, "plan.html", user, values)


@router.get("/a/{athlete_id}/plan/{day}.fit")
def workout_file(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, day: date
) -> Response:
    """One session's workout file; 404 for a day with no session planned."""
    for p in _plans(web, athlete, language_of(request, user)):
        if p.workout.day == day:
            name = workouts.file_name(p.workout, ".fit")
            return _download(workouts.writer("fit").encode_workout(p.workout), name)
    return Response(status_code=404, content=f"no session planned on {day.isoformat()}")


@router.get("/a/{athlete_id}/plan/workouts.zip")
def workouts_zip(request: Request, web: WebDep, user: UserDep, athlete: AthleteDep) -> Response:
    make = workouts.writer("fit")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for p in _plans(web, athlete, language_of(request, user)):
            name = workouts.file_name(p.workout, make.workout_suffix)
            archive.writestr(name, make.encode_workout(p.workout))
    return _download(buffer.getvalue(), f"loadguard-workouts-{athlete.id}.zip")


def _download(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/a/{athlete_id}/plan/calendar", response_class=HTMLResponse)
def calendar_link(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    """Make (or remake) the private feed and show its link once, or stop it."""
    if field(form, "action") == "revoke":
        workouts.revoke_feed(web.store(), athlete)
        return _page(request, web, user, athlete)
    token = workouts.new_feed(web.store(), athlete)
    link = f"{str(request.base_url).rstrip('/')}/calendar/{token}.ics"
    return _page(request, web, user, athlete, link=link)


@router.get("/calendar/{token}.ics")
def calendar_feed(web: WebDep, token: str) -> Response:
    """The feed a calendar app fetches: 404 for a token that is wrong or was stopped."""
    owner = workouts.feed_owner(web.store(), token)
    if owner is None:
        return Response(status_code=404, content="no such calendar", media_type="text/plain")
    language = language_for(owner, web.conf)
    plans = workouts.planned(web.store(), owner, FEED_WEEKS, language, service.today(owner))
    body = ical.feed(owner, plans, language, datetime.now(UTC))
    return Response(body, media_type=ICS, headers={"Cache-Control": "private, max-age=300"})
