"""A check report made from the metrics and the findings (:class:`.report.Report`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from loadguard.contract import Athlete
from loadguard.guard.frames import to_findings
from loadguard.guard.metrics import Metrics
from loadguard.guard.pain_scale import light
from loadguard.guard.plan import Plan
from loadguard.guard.report import Report
from loadguard.guard.weeks import calendar_weekly
from loadguard.surfaces.classes import SURFACE_CLASSES


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _weeks(m: Metrics, as_of: date) -> list[dict[str, Any]]:
    """The plan weeks, with km rounded by polars as the messages round them (so a
    table and a message never say 7.2 and 7.3 for the same week)."""
    km = ("run_km", "cap_km", "walk_km", *(f"surface_{c}_km" for c in SURFACE_CLASSES))
    frame = m.weeks.filter(pl.col("plan_week") >= 1).with_columns(pl.col(*km).round(2))
    out = []
    for w in frame.iter_rows(named=True):
        start: date = w["week_start"]
        in_progress = 0 <= (as_of - start).days < 7
        out.append(
            {
                "week_start": start.isoformat(),
                "plan_week": w["plan_week"],
                "run_km": w["run_km"],
                "run_min": round(w["run_min"], 1),
                "runs": w["runs"],
                "change_pct": _round(w["change_pct"], 1),
                "cap_from_week": w["cap_from_week"],
                "cap_km": w["cap_km"],
                "in_progress": in_progress,  # the week of as_of: its figures are "so far"
                "days_left": 6 - (as_of - start).days if in_progress else 0,
                "walk_km": w["walk_km"],
                "cross_min": round(w["cross_min"], 1),
                "surface_km": {c: w[f"surface_{c}_km"] for c in SURFACE_CLASSES},
            }
        )
    return out


def _runs(m: Metrics) -> list[dict[str, Any]]:
    names = dict(zip(m.shoes["shoe_id"].to_list(), m.shoes["name"].to_list(), strict=True))
    out = []
    for r in m.runs.iter_rows(named=True):
        longest = r["longest_run_s"]
        out.append(
            {
                "id": r["activity_id"],
                "start_local": r["start_local"].isoformat(timespec="minutes"),
                "plan_week": r["plan_week"],
                "km": round(r["km"], 2),
                "min": round(r["minutes"], 1),
                "longest_run_min": None if longest is None else round(longest / 60, 1),
                "longest_prev_km": _round(r["longest_prev_km"]),
                "surface_km": {
                    c: round(r[f"surface_{c}_km"], 2)
                    for c in SURFACE_CLASSES
                    if r[f"surface_{c}_km"] > 0
                },
                "shoe": names.get(r["shoe"]),
            }
        )
    return out


def _calendar(runs: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "week_start": w["week_start"].isoformat(),
            "run_km": round(w["run_km"], 2),
            "run_min": round(w["run_min"], 1),
            "runs": w["runs"],
            "change_pct": _round(w["change_pct"], 1),
        }
        for w in calendar_weekly(runs).iter_rows(named=True)
    ]


def _pain(m: Metrics, plan: Plan, as_of: date) -> dict[str, Any]:
    """The latest pain and its light, and the morning trend of the last 14 days."""
    if m.pain is None or m.pain.height == 0:
        return {"latest": None, "light": None, "mornings": []}
    latest = m.pain.sort("day").row(-1, named=True)
    since = as_of - timedelta(days=13)
    mornings = m.pain.filter((pl.col("moment") == "morning") & (pl.col("day") >= since))
    return {
        "latest": {
            "date": latest["day"].isoformat(),
            "moment": latest["moment"],
            "score": latest["score"],
        },
        "light": light(latest["score"], plan.pain.green_max, plan.pain.yellow_max),
        "mornings": [
            {"date": d.isoformat(), "score": s} for d, s in mornings.select("day", "score").rows()
        ],
    }


def _shoes(m: Metrics, plan: Plan, as_of: date) -> list[dict[str, Any]]:
    out = []
    for s in m.shoes.sort("shoe_id").iter_rows(named=True):
        retired = s["retired_on"] is not None and s["retired_on"] <= as_of
        if retired:
            status = "retired"
        elif s["km"] >= plan.shoes.retire_km:
            status = "retire"
        elif s["km"] >= plan.shoes.warn_km:
            status = "worn"
        else:
            status = "ok"
        out.append(
            {"id": s["shoe_id"], "name": s["name"], "km": round(s["km"], 1), "status": status}
        )
    return out


def build_report(
    athlete: Athlete, plan: Plan, m: Metrics, found: pl.DataFrame, status: str, as_of: date
) -> Report:
    plan_week = (as_of - athlete.plan_start).days // 7 + 1
    stage_week, reason = plan_week, "on plan"
    if m.stages is not None:
        now = m.stages.filter(pl.col("plan_week") == plan_week)
        if now.height:
            stage_week, reason = int(now["stage_week"][0]), str(now["stage_reason"][0])
    stage = plan.stage_for_week(stage_week)
    if stage is None:
        stage_name = "before the plan"
    elif stage_week > plan.weeks:
        stage_name = f"after the plan ({stage.name})"
    else:
        stage_name = stage.name
    ratio = m.acwr["ratio"][0] if m.acwr.height else None
    return Report(
        athlete=athlete,
        plan=plan,
        as_of=as_of,
        plan_week=plan_week,
        stage=stage_name,
        stage_week=stage_week,
        stage_reason=reason,
        status=status,
        weeks=_weeks(m, as_of),
        shoes=_shoes(m, plan, as_of),
        findings=to_findings(found),
        acwr=None if ratio is None else float(ratio),
        runs=_runs(m),
        pain=_pain(m, plan, as_of),
        calendar_weeks=_calendar(m.runs),
    )
