"""Notes between a coach and an athlete, and what a coach changes for an athlete: the
stage (hold, release, set back, with a reason) and the groups they are in.

The athlete reads every coach's shared notes and answers them; a coach reads their own
notes (private ones too) and the athlete's replies. Reading marks the other side's
notes read (the list's "unread" column)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from loadguard.app import coaching, seen, service, wording
from loadguard.app.access import View
from loadguard.app.accounts import AccountError
from loadguard.store import coaching as coaching_store
from loadguard.store.users import User
from loadguard.web.context import (
    AthleteDep,
    CoachingDep,
    FormDep,
    UserDep,
    ViewDep,
    Web,
    WebDep,
    back_to,
    field,
    language_of,
    page,
)

router = APIRouter(prefix="/a/{athlete_id}")


def _show(
    request: Request, web: Web, user: User, view: View, status: int = 200, **extra: Any
) -> Response:
    store = web.store()
    athlete = view.athlete
    coach_id = None if view.coach is None else view.coach.id
    language = language_of(request, user)

    def about(finding: str) -> str:
        """'rule|subject|date' as the reader says it: the rule's title and the day."""
        rule, *_, day = finding.split("|")
        return f"{wording.rule_title(rule, language)} ({day})"

    values: dict[str, Any] = {
        "athlete": athlete,
        "view": view,
        "about": about,
        "notes": coaching_store.notes(store, athlete.id, coach_id),
        "finding": request.query_params.get("finding", ""),
        **extra,
    }
    if view.coach is None:
        links = coaching_store.links_of_athlete(store, athlete.id, "")
        values["coaches"] = [link for link in links if link.status == "active"]
    else:
        report = seen.report(store, view, service.today(athlete))
        values["held"] = report.stage_reason != "on plan"
        values["stage"] = wording.stage_text(report, language)
        values["reason"] = wording.reason_text(report.stage_reason, language)
        values["plan_week"] = report.plan_week
        values["groups"] = coaching_store.groups(store, view.coach.id)
        values["member"] = coaching_store.memberships(store, view.coach.id).get(athlete.id, [])
    coaching_store.mark_read(store, athlete.id, coach_id)
    return page(request, web, "notes.html", user, values, status)


@router.get("/notes", response_class=HTMLResponse)
def notes_page(request: Request, web: WebDep, user: UserDep, view: ViewDep) -> Response:
    return _show(request, web, user, view)


@router.post("/notes", response_class=HTMLResponse)
def write_note(
    request: Request, web: WebDep, user: UserDep, view: CoachingDep, form: FormDep
) -> Response:
    """A coach's note; ``finding`` ('rule|subject|date') when it acknowledges one."""
    shared = field(form, "shared") == "1"
    try:
        coaching.coach_note(
            web.store(), view, field(form, "body"), shared=shared, finding=field(form, "finding")
        )
    except AccountError as exc:
        return _show(request, web, user, view, 400, errors={"body": exc}, form=dict(form))
    return back_to(f"/a/{view.athlete.id}/notes?done=note")


@router.post("/notes/reply", response_class=HTMLResponse)
def reply(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    """The athlete answers one of their coaches (``coach``: the coach's user id)."""
    own = View.of_runner(athlete)
    try:
        coach_id = int(field(form, "coach") or "0")
        coaching.reply(web.store(), athlete, coach_id, field(form, "body"))
    except ValueError:
        return _show(request, web, user, own, 400, errors={"body": "coach_unknown"})
    except AccountError as exc:
        return _show(request, web, user, own, 400, errors={"body": exc}, form=dict(form))
    return back_to(f"/a/{athlete.id}/notes?done=reply")


@router.post("/stage", response_class=HTMLResponse)
def adjust_stage(
    request: Request, web: WebDep, user: UserDep, view: CoachingDep, form: FormDep
) -> Response:
    """Hold the stage, release a hold, or set the plan week back, with a reason."""
    try:
        to_week = int(field(form, "to_week")) if field(form, "to_week") else None
    except ValueError:
        to_week = 0  # refused below with the field's error
    try:
        coaching.adjust_stage(
            web.store(), view, field(form, "kind"), field(form, "reason"), to_week
        )
    except AccountError as exc:
        return _show(
            request, web, user, view, 400, errors={exc.field or "reason": exc}, form=dict(form)
        )
    return back_to(f"/a/{view.athlete.id}/notes?done=stage")


@router.post("/groups", response_class=HTMLResponse)
def set_groups(
    request: Request, web: WebDep, user: UserDep, view: CoachingDep, form: FormDep
) -> Response:
    """The coach's groups this athlete is in: every group ticked, none other."""
    assert view.coach is not None
    ticked = {v for v in form.getlist("group") if isinstance(v, str)}
    try:
        for group_id, _name in coaching_store.groups(web.store(), view.coach.id):
            coaching.set_member(
                web.store(), view.coach, group_id, view.athlete.id, str(group_id) in ticked
            )
    except AccountError as exc:
        return _show(request, web, user, view, 400, errors={"group": exc})
    return back_to(f"/a/{view.athlete.id}/notes?done=groups")
