"""A runner's forms: pain and symptoms, shoes, and uploading watch files. A rejected form
is shown again with the error next to its field, and nothing of it is stored."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from loadguard.app import dashboard, seen, service, wording
from loadguard.app.importing import ImportSummary
from loadguard.contract import Athlete
from loadguard.guard import pain_scale
from loadguard.store.db import StoreError
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
UPLOAD_TYPES = (*(f".{kind}{gz}" for kind in ("fit", "gpx", "tcx") for gz in ("", ".gz")), ".zip")
CHUNK = 1 << 20
PAIN_FIELDS = {"bad_date": "day", "future": "day", "moment": "moment"}  # error key -> field


def _pain_values(web: Web, athlete: Athlete, **extra: Any) -> dict[str, Any]:
    series = dashboard.pain_series(web.store(), athlete)
    return {
        "athlete": athlete,
        "moments": pain_scale.MOMENTS,
        "symptoms": tuple(pain_scale.SYMPTOMS),
        "recent": series[::-1][:14],
        "today": service.today(athlete).isoformat(),
        **extra,
    }


@router.get("/pain", response_class=HTMLResponse)
def pain_page(request: Request, web: WebDep, user: UserDep, view: PainViewDep) -> Response:
    values = _pain_values(web, view.athlete, view=view)
    return page(request, web, "pain.html", user, values)


def _day(text: str, athlete: Athlete) -> date:
    if not text:
        return service.today(athlete)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise pain_scale.PainError(
            f"{text!r} is not a date like 2026-11-15", key="bad_date"
        ) from None


@router.post("/pain", response_class=HTMLResponse)
def log_pain(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    values = {k: field(form, k) for k in ("score", "moment", "day")}
    try:
        day = _day(values["day"], athlete)
        if not values["score"].isdigit():
            raise pain_scale.PainError(
                f"pain {values['score']!r} is not a whole number 0-10",
                key="pain_range",
                value=values["score"],
            )
        if field(form, "remove"):
            service.remove_pain(web.store(), athlete, values["moment"], day)
        else:
            service.log_pain(web.store(), athlete, int(values["score"]), values["moment"], day)
    except pain_scale.PainError as exc:
        extra = {"errors": {PAIN_FIELDS.get(exc.key, "score"): exc}, "form": values}
        return page(request, web, "pain.html", user, _pain_values(web, athlete, **extra), 400)
    return back_to(f"/a/{athlete.id}/pain?logged={values['moment']}")


@router.post("/symptom", response_class=HTMLResponse)
def log_symptom(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    values = {k: field(form, k) for k in ("kind", "symptom_day", "note")}
    try:
        day = _day(values["symptom_day"], athlete)
        service.log_symptom(web.store(), athlete, values["kind"], day, values["note"])
    except pain_scale.PainError as exc:
        extra = {"errors": {"kind": exc}, "form": values}
        return page(request, web, "pain.html", user, _pain_values(web, athlete, **extra), 400)
    return back_to(f"/a/{athlete.id}/pain?logged=symptom")


def _shoe_values(web: Web, athlete: Athlete, **extra: Any) -> dict[str, Any]:
    report = service.check(web.store(), athlete, service.today(athlete))
    return {"athlete": athlete, "shoes": report.shoes, **extra}


@router.get("/shoes", response_class=HTMLResponse)
def shoes_page(request: Request, web: WebDep, user: UserDep, view: ViewDep) -> Response:
    report = seen.report(web.store(), view, service.today(view.athlete))
    values = {"athlete": view.athlete, "view": view, "shoes": report.shoes}
    return page(request, web, "shoes.html", user, values)


def _number(form: FormDep, name: str, low: float, high: float) -> float | None:
    text = field(form, name).replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise StoreError(f"{name}: {text!r} is not a number", key="number", value=text) from None
    if not low <= value <= high:
        raise StoreError(
            f"{name}: {text} is not between {low:g} and {high:g}",
            key="between",
            value=text,
            low=low,
            high=high,
        )
    return value


@router.post("/shoes", response_class=HTMLResponse)
def add_shoe(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    values = {k: field(form, k) for k in ("name", "initial_km", "stack", "drop", "default_from")}
    try:
        if not values["name"]:
            raise StoreError("name: give the shoe a name", key="shoe_name")
        since = _day(values["default_from"], athlete) if values["default_from"] else None
        web.store().add_shoe(
            athlete.id,
            values["name"],
            initial_km=_number(form, "initial_km", 0, 5000) or 0.0,
            heel_stack_mm=_number(form, "stack", 0, 60),
            drop_mm=_number(form, "drop", -5, 20),
            minimalist=bool(form.get("minimalist")),
            default_from=since,
        )
    except (StoreError, pain_scale.PainError) as exc:
        name = str(exc).split(":")[0] if ":" in str(exc) else "name"
        extra = {"errors": {name: exc}, "form": values}
        return page(request, web, "shoes.html", user, _shoe_values(web, athlete, **extra), 400)
    service.run_guard(web.store(), athlete, "shoe")
    return back_to(f"/a/{athlete.id}/shoes?added=1")


@router.post("/shoes/{shoe_id}/retire", response_class=HTMLResponse)
def retire_shoe(
    request: Request,
    web: WebDep,
    user: UserDep,
    athlete: AthleteDep,
    shoe_id: int,
    form: FormDep,
) -> Response:
    del form
    try:
        web.store().retire_shoe(athlete.id, str(shoe_id), service.today(athlete))
    except StoreError as exc:
        extra = {"errors": {"retire": exc}}
        return page(request, web, "shoes.html", user, _shoe_values(web, athlete, **extra), 404)
    service.run_guard(web.store(), athlete, "shoe")
    return back_to(f"/a/{athlete.id}/shoes?retired={shoe_id}")


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, web: WebDep, user: UserDep, athlete: AthleteDep) -> Response:
    return page(request, web, "upload.html", user, {"athlete": athlete, "limit": _limit(web)})


def _limit(web: Web) -> int:
    return web.conf.web.max_upload_mb


def _save(upload: UploadFile, folder: Path, limit: int) -> Path:
    """The upload on disk under its own (bare) name; StoreError past the size limit."""
    name = PurePath((upload.filename or "upload").replace("\\", "/")).name or "upload"
    if not name.lower().endswith(UPLOAD_TYPES):
        raise StoreError(
            f"{name}: not a .fit, .gpx or .tcx file (or .gz) or a .zip of them",
            key="file_type",
            name=name,
        )
    target = folder / name
    written = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(CHUNK):
            written += len(chunk)
            if written > limit * CHUNK:
                raise StoreError(
                    f"{name}: larger than the limit of {limit} MB",
                    key="file_size",
                    name=name,
                    limit=limit,
                )
            out.write(chunk)
    return target


@router.post("/upload", response_class=HTMLResponse)
def upload(
    request: Request, web: WebDep, user: UserDep, athlete: AthleteDep, form: FormDep
) -> Response:
    """Files in; each gets its result (new, unchanged, not an activity, failed and why)."""
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    total, refused = ImportSummary(), list[tuple[str, StoreError]]()
    folder = Path(tempfile.mkdtemp(prefix="loadguard-upload-"))
    try:
        for item in files:
            try:
                saved = _save(item, folder, _limit(web))
            except StoreError as exc:
                refused.append((item.filename or "?", exc))
                continue
            total.add(service.import_from(web.store(), athlete, str(saved)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if total.runs or total.activities:
        service.run_guard(web.store(), athlete, "upload")
    values = {
        "athlete": athlete,
        "limit": _limit(web),
        "result": total,
        "refused": refused,
        "failed": [(PurePath(o).name, why) for o, why in total.failed],
        "skipped": [(PurePath(o).name, why) for o, why in total.not_activities],
        "held": [
            (PurePath(o).name, wording.held_text(h, language_of(request, user)))
            for o, h in total.held
        ],
        "errors": {} if files else {"files": "no_files"},
    }
    status = 400 if not files or (refused and not total.new) else 200
    return page(request, web, "upload.html", user, values, status)
