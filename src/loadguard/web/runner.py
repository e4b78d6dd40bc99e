"""A runner's pages: Today, the charts (and their specs), the runs and one run with its
corrections. Pages that read take the athlete as the viewer may see them (:data:`ViewDep`:
the runner, or a coach they granted access, read-only); corrections take it from
:data:`AthleteDep` (the runner only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from loadguard.app import corrections, dashboard, seen, service, wording
from loadguard.app.access import View
from loadguard.contract import Athlete
from loadguard.guard.report import Report
from loadguard.store import corrections as correction_store
from loadguard.store.corrections import RunRef
from loadguard.store.db import StoreError
from loadguard.store.users import User
from loadguard.web import charts
from loadguard.web.context import (
    AthleteDep,
    FormDep,
    PainViewDep,
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
CHARTS = ("volume", "surfaces", "shoes", "pain")


class BadQuery(Exception):
    """A query string value the page cannot use: answered 400, naming it."""

    def __init__(self, name: str, value: str, why: str) -> None:
        super().__init__(f"{name}={value!r}: {why}")


def as_of(request: Request, athlete: Athlete) -> date:
    """The day the pages look from: ``?as_of=YYYY-MM-DD`` (a past season), else today."""
    given = request.query_params.get("as_of")
    if not given:
        return service.today(athlete)
    try:
        return date.fromisoformat(given)
    except ValueError:
        raise BadQuery("as_of", given, "not a date like 2026-11-15") from None


def _findings(report: Report, language: str) -> list[dict[str, Any]]:
    return [
        {
            "severity": f.severity,
            "key": f"{f.rule}|{f.subject}|{f.date}",
            "date": f.date,
            "week": f.plan_week,
            "title": wording.rule_title(f.rule, language),
            "message": wording.finding_message(report, f, language),
            "grade": report.plan.evidence(f.evidence).grade,
            "source": report.plan.evidence(f.evidence).text(language),
        }
        for f in wording.current_findings(report)
    ]


@router.get("/", response_class=HTMLResponse)
def today(request: Request, web: WebDep, user: UserDep, view: ViewDep) -> Response:
    athlete = view.athlete
    now = dashboard.today_from(seen.report(web.store(), view, as_of(request, athlete)))
    language = language_of(request, user)
    report = now.report
    values = {
        "athlete": athlete,
        "view": view,
        "report": report,
        "week": now.this_week,
        "stage": wording.stage_text(report, language),
        "reason": wording.reason_text(report.stage_reason, language),
        "held": report.stage_reason != "on plan",
        "findings": _findings(report, language),
        "next": dashboard.next_sessions(report.plan, now.stage),
        "query": request.url.query,
        "runs_held": len(corrections.held_runs(web.store(), athlete)) if view.own else 0,
    }
    return page(request, web, "today.html", user, values)


@router.get("/charts", response_class=HTMLResponse)
def chart_page(request: Request, web: WebDep, user: UserDep, view: ViewDep) -> Response:
    as_of(request, view.athlete)  # a bad ?as_of= is refused here, not in four chart requests
    shown = CHARTS if view.pain else tuple(c for c in CHARTS if c != "pain")
    values = {"athlete": view.athlete, "view": view, "charts": shown, "query": request.url.query}
    return page(request, web, "charts.html", user, values)


def chart_spec(web: Web, view: View, name: str, day: date, language: str) -> dict[str, Any]:
    """One chart's Vega-Lite spec (the bench calls this directly, too)."""
    if name == "pain":
        return charts.pain(dashboard.pain_series(web.store(), view.athlete), language)
    report = seen.report(web.store(), view, day)
    build = {"volume": charts.volume, "surfaces": charts.surfaces, "shoes": charts.shoes}[name]
    return build(report, language)


@router.get("/charts/pain.json")
def pain_chart(request: Request, web: WebDep, user: UserDep, view: PainViewDep) -> Response:
    """Pain over time: its own route, as a coach sees it only with the pain scope."""
    spec = chart_spec(web, view, "pain", as_of(request, view.athlete), language_of(request, user))
    return JSONResponse(spec)


@router.get("/charts/{name}.json")
def chart(request: Request, web: WebDep, user: UserDep, view: ViewDep, name: str) -> Response:
    if name not in CHARTS or name == "pain":
        return JSONResponse({"error": f"no chart {name!r}: one of {', '.join(CHARTS)}"}, 404)
    day = as_of(request, view.athlete)
    return JSONResponse(chart_spec(web, view, name, day, language_of(request, user)))


@router.get("/runs", response_class=HTMLResponse)
def runs(request: Request, web: WebDep, user: UserDep, view: ViewDep) -> Response:
    store, athlete = web.store(), view.athlete
    values = {
        "athlete": athlete,
        "view": view,
        "runs": service.recent_runs(store, athlete, 50, view.hide),
        "aside": corrections.set_aside(store, athlete) if view.own else [],
        "held": [
            (r, wording.held_text(r.held or "{}", language_of(request, user)))
            for r in (corrections.held_runs(store, athlete) if view.own else [])
        ],
        "shoes": store.shoes(athlete.id),
        "labels": correction_store.LABELS,
    }
    return page(request, web, "runs.html", user, values)


@router.get("/runs/{activity_id}", response_class=HTMLResponse)
def one_run(
    request: Request, web: WebDep, user: UserDep, view: ViewDep, activity_id: int
) -> Response:
    store = web.store()
    try:
        run = seen.run(store, view, activity_id)
    except StoreError:
        return page(request, web, "missing.html", user, status=404)
    values = {
        "athlete": view.athlete,
        "view": view,
        "run": run,
        "held_why": _held_why(request, user, run),
        "shoes": store.shoes(view.athlete.id),
        "labels": correction_store.LABELS,
    }
    return page(request, web, "run.html", user, values)


def _held_why(request: Request, user: User | None, run: RunRef | None) -> str:
    """Why the run is held for review, in the reader's language ("" when it is not)."""
    if run is None or not run.waiting or run.held is None:
        return ""
    return wording.held_text(run.held, language_of(request, user))


@router.get("/runs/{activity_id}/chart.json")
def run_chart(
    request: Request, web: WebDep, user: UserDep, view: ViewDep, activity_id: int
) -> Response:
    try:
        seen.run(web.store(), view, activity_id)
        detail = dashboard.run_detail(web.store(), view.athlete, activity_id)
    except StoreError as exc:
        return JSONResponse({"error": str(exc)}, 404)
    return JSONResponse(charts.run(detail, language_of(request, user)))


@router.post("/runs/{activity_id}/correct")
def correct_run(
    request: Request,
    web: WebDep,
    user: UserDep,
    athlete: AthleteDep,
    activity_id: int,
    form: FormDep,
) -> Response:
    """One form, one correction: ``action`` is delete, restore, accept, label, shoe or
    tag."""
    store = web.store()
    action = field(form, "action")
    try:
        if action == "delete":
            corrections.delete_run(store, athlete, activity_id)
        elif action == "restore":
            corrections.restore_run(store, athlete, activity_id)
        elif action == "accept":
            corrections.accept_run(store, athlete, activity_id)
        elif action == "label":
            label = field(form, "label")
            corrections.label_run(store, athlete, activity_id, label or None)
        elif action == "shoe":
            corrections.shoe_run(store, athlete, activity_id, field(form, "shoe") or None)
        elif action == "tag":
            corrections.tag_run(store, athlete, activity_id, field(form, "tags").split())
        else:
            raise StoreError(f"unknown correction {action!r}", key="action", value=action)
    except StoreError as exc:
        values = {
            "athlete": athlete,
            "run": _ref_or_none(web, athlete, activity_id),
            "shoes": store.shoes(athlete.id),
            "labels": correction_store.LABELS,
            "errors": {action or "action": exc},
        }
        values["held_why"] = _held_why(request, user, values["run"])
        status = 404 if values["run"] is None else 400
        name = "missing.html" if status == 404 else "run.html"
        return page(request, web, name, user, values, status)
    return back_to(f"/a/{athlete.id}/runs/{activity_id}?done={action}")


def _ref_or_none(web: Web, athlete: Athlete, activity_id: int) -> Any:
    try:
        return correction_store.run_ref(web.store(), athlete.id, activity_id)
    except StoreError:
        return None
