"""A coach's athlete list: one row per athlete who granted access, from one batched guard
pass over all of them (the same metrics and rules as each athlete's own page, run on
every athlete at once), kept per athlete until their data changes.

Each row is what the coach may see: within the scope granted (``no_pain``: no pain,
no symptoms, a light from the other findings) and without Strava's runs unless the
operator allows them (:mod:`loadguard.app.access`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from loadguard.app import passes, seen, service
from loadguard.app.access import View
from loadguard.app.seen import PAIN_RULES, PRIVATE_REASON
from loadguard.guard import metrics, verdict
from loadguard.guard.plan import Plan, load_plan
from loadguard.guard.stages import PAIN_SCHEMA
from loadguard.i18n import LANGUAGES
from loadguard.store import coaching as coaching_store
from loadguard.store.db import Store

# An athlete without a run for this many days is never shown green, whatever the guard
# found: silence is not good news (a product convention for the coach's list; the plan's
# own `inactive` rule, an info finding, starts earlier).
STALE_DAYS = 14
SOFT = ("grass", "gravel", "trail")  # the plan's soft ground (rehab-plan.md, weeks 1-4)
SOFT_WINDOW_DAYS = 28
TREND_DAYS = 7  # last pain trend: the mean of the last 7 days against the 7 before
LIGHT_RANK = {"red": 0, "yellow": 1, "green": 2}
KEPT = 20_000


@dataclass(frozen=True)
class Row:
    athlete_id: str
    name: str
    light: str  # green | yellow | red (never green after STALE_DAYS without a run)
    stale: bool  # made yellow by STALE_DAYS alone
    plan_week: int
    stage: str  # the plan's name for it (English): what filters and the CSV use
    stage_state: str  # on_plan | held | stepped_back | coach
    stage_reason: str
    week_km: float | None
    cap_km: float | None
    soft_share: float | None  # of the known ground, last 28 days
    last_pain: int | None
    pain_trend: str | None  # up | down | flat
    shoes_due: tuple[str, ...]
    days_since_run: int | None
    scope: str
    unread: int = 0
    groups: tuple[str, ...] = ()
    stage_names: tuple[tuple[str, str], ...] = ()  # (language, the stage's name in it)

    def stage_in(self, language: str) -> str:
        return dict(self.stage_names).get(language, self.stage)

    def as_dict(self) -> dict[str, Any]:
        return {
            "athlete": self.athlete_id,
            "name": self.name,
            "light": self.light,
            "plan_week": self.plan_week,
            "stage": self.stage,
            "stage_state": self.stage_state,
            "week_km": self.week_km,
            "cap_km": self.cap_km,
            "soft_share": self.soft_share,
            "last_pain": self.last_pain,
            "pain_trend": self.pain_trend,
            "shoes_due": ";".join(self.shoes_due),
            "days_since_run": self.days_since_run,
            "unread_notes": self.unread,
            "groups": ";".join(self.groups),
            "scope": self.scope,
        }


CSV_FIELDS = (
    "athlete", "name", "light", "plan_week", "stage", "stage_state", "week_km", "cap_km",
    "soft_share", "last_pain", "pain_trend", "shoes_due", "days_since_run", "unread_notes",
    "groups", "scope",
)  # fmt: skip
_ROWS: OrderedDict[Hashable, Row] = OrderedDict()
_LOCK = threading.Lock()


def _state(reason: str) -> str:
    if reason == "on plan":
        return "on_plan"
    if reason.startswith(("held by", "set back to")):
        return "coach"
    return "held" if reason.startswith(("held", PRIVATE_REASON)) else "stepped_back"


def _rows(
    store: Store, views: list[View], plan: Plan, as_of: date, hide: frozenset[str]
) -> list[Row]:
    """One batched guard pass over athletes on one plan, as of one day."""
    ids = [v.athlete.id for v in views]
    m = passes.metrics_for(store, [v.athlete for v in views], plan, as_of, hide)
    pain = m.pain if m.pain is not None else pl.DataFrame(schema=PAIN_SCHEMA)
    found = verdict.evaluate(m, plan, as_of)
    no_pain = [v.athlete.id for v in views if not v.pain]
    found = found.filter(
        ~(pl.col("athlete_id").cast(pl.String).is_in(no_pain) & pl.col("rule").is_in(PAIN_RULES))
    )
    lights = verdict.status(found, ids, as_of)
    figures = _figures(m, pain, plan, as_of)
    return [
        _row(v, plan, as_of, lights[v.athlete.id], figures.get(v.athlete.id, {})) for v in views
    ]


def _by_athlete(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(r["athlete_id"]): r for r in frame.iter_rows(named=True)}


def _figures(
    m: metrics.Metrics, pain: pl.DataFrame, plan: Plan, as_of: date
) -> dict[str, dict[str, Any]]:
    """Each athlete's figures for the list, from whole-frame aggregations (one pass each,
    not one filter per athlete)."""
    assert m.athletes is not None  # metrics.compute always sets it
    key = pl.col("athlete_id").cast(pl.String)
    now = m.athletes.select(
        key, plan_week=((pl.lit(as_of) - pl.col("plan_start")).dt.total_days() // 7 + 1)
    ).with_columns(pl.col("plan_week").cast(pl.Int32))
    out: dict[str, dict[str, Any]] = {str(a): {} for a in now["athlete_id"]}
    parts: list[pl.DataFrame] = []
    if m.stages is not None and m.stages.height:
        parts.append(
            m.stages.with_columns(key, pl.col("plan_week").cast(pl.Int32))
            .join(now, on=["athlete_id", "plan_week"])
            .select("athlete_id", "stage_week", "stage_reason")
        )
    parts.append(
        m.weeks.with_columns(key, pl.col("plan_week").cast(pl.Int32))
        .join(now, on=["athlete_id", "plan_week"])
        .select("athlete_id", week_km=pl.col("run_km"), cap_km=pl.col("cap_km"))
    )
    recent = pl.col("local_date") > as_of - timedelta(days=SOFT_WINDOW_DAYS)
    parts.append(
        m.runs.with_columns(key)
        .group_by("athlete_id")
        .agg(
            last_run=pl.col("local_date").max(),
            known_km=(pl.col("km") - pl.col("surface_unknown_km")).filter(recent).sum(),
            soft_km=pl.sum_horizontal(*(f"surface_{c}_km" for c in SOFT)).filter(recent).sum(),
        )
    )
    last_week = pl.col("day") > as_of - timedelta(days=TREND_DAYS)
    week_before = ~last_week & (pl.col("day") > as_of - timedelta(days=2 * TREND_DAYS))
    parts.append(
        pain.with_columns(key)
        .sort("athlete_id", "day")
        .group_by("athlete_id")
        .agg(
            last_pain=pl.col("score").last(),
            recent=pl.col("score").filter(last_week).mean(),
            before=pl.col("score").filter(week_before).mean(),
        )
    )
    due = m.shoes.with_columns(key).filter(
        (pl.col("km") >= plan.shoes.warn_km)
        & (pl.col("retired_on").is_null() | (pl.col("retired_on") > as_of))
    )
    parts.append(due.group_by("athlete_id").agg(shoes=pl.col("name"), shoe_km=pl.col("km")))
    for part in parts:
        for athlete_id, values in _by_athlete(part).items():
            out.setdefault(athlete_id, {}).update(values)
    return out


def _trend(recent: float | None, before: float | None) -> str | None:
    if recent is None or before is None:
        return None
    change = recent - before
    return "up" if change >= 1 else "down" if change <= -1 else "flat"


def _row(v: View, plan: Plan, as_of: date, light: str, f: dict[str, Any]) -> Row:
    a = v.athlete
    plan_week = (as_of - a.plan_start).days // 7 + 1
    stage_week = f.get("stage_week") or plan_week
    reason = seen.stage_reason(f.get("stage_reason") or "on plan", v)
    stage = plan.stage_for_week(stage_week)
    last_run: date | None = f.get("last_run")
    days = None if last_run is None else (as_of - last_run).days
    quiet = (days if days is not None else (as_of - a.plan_start).days) >= STALE_DAYS
    stale = quiet and light == "green" and plan_week >= 1
    known, soft = f.get("known_km") or 0.0, f.get("soft_km") or 0.0
    week_km, cap_km = f.get("week_km"), f.get("cap_km")
    return Row(
        athlete_id=a.id,
        name=a.name,
        light="yellow" if stale else light,
        stale=stale,
        plan_week=plan_week,
        stage="" if stage is None else stage.name,
        stage_names=()
        if stage is None
        else tuple((lang, plan.stage_name_in(stage.name, lang)) for lang in LANGUAGES),
        stage_state=_state(reason),
        stage_reason=reason,
        week_km=None if week_km is None else round(float(week_km), 1),
        cap_km=None if cap_km is None else float(cap_km),
        soft_share=round(soft / known, 3) if known > 0.05 else None,
        last_pain=f.get("last_pain") if v.pain else None,
        pain_trend=_trend(f.get("recent"), f.get("before")) if v.pain else None,
        shoes_due=tuple(
            f"{n} {k:.0f} km"
            for n, k in zip(f.get("shoes") or [], f.get("shoe_km") or [], strict=True)
        ),
        days_since_run=days,
        scope=v.scope,
    )


def rows(store: Store, views: Iterable[View], as_of: date | None = None) -> list[Row]:
    """A row per athlete, each as of their own today (or ``as_of``); rows whose athlete's
    data has not changed come from the last pass, the rest from one batched pass per
    plan and day."""
    views = list(views)
    out: dict[str, Row] = {}
    missing: dict[tuple[str, date, frozenset[str]], list[tuple[Hashable, View]]] = {}
    revisions = store.revisions([v.athlete.id for v in views])  # one query for the list
    for v in views:
        day = as_of or service.today(v.athlete)
        key: Hashable = (
            store.identity,
            v.athlete,
            revisions.get(v.athlete.id, -1),
            day,
            v.scope,
            v.hide,
        )
        with _LOCK:
            found = _ROWS.get(key)
        if found is not None:
            out[v.athlete.id] = found
        else:
            missing.setdefault((v.athlete.plan_id, day, v.hide), []).append((key, v))
    for (plan_id, day, hide), todo in missing.items():
        made = _rows(store, [v for _k, v in todo], load_plan(plan_id), day, hide)
        with _LOCK:
            for (made_key, _v), row in zip(todo, made, strict=True):
                _ROWS[made_key] = out[row.athlete_id] = row
            while len(_ROWS) > KEPT:
                _ROWS.popitem(last=False)
    return [out[v.athlete.id] for v in views if v.athlete.id in out]


def forget() -> None:
    with _LOCK:
        _ROWS.clear()


def for_coach(
    store: Store, coach_id: int, views: list[View], as_of: date | None = None
) -> list[Row]:
    """The coach's list: rows with their unread replies and groups."""
    unread = coaching_store.unread_for_coach(store, coach_id)
    groups = coaching_store.memberships(store, coach_id)
    return [
        replace(r, unread=unread.get(r.athlete_id, 0), groups=tuple(groups.get(r.athlete_id, ())))
        for r in rows(store, views, as_of)
    ]


# -- sorting and filtering ------------------------------------------------------------

COLUMNS = (
    "light", "name", "plan_week", "stage", "week_km", "soft_share", "last_pain",
    "shoes_due", "days_since_run", "unread",
)  # fmt: skip


def default_order(r: Row) -> tuple[Any, ...]:
    """Reds first, then yellows, then the longest without a run (never ran: first)."""
    stale = -(r.days_since_run if r.days_since_run is not None else 10**6)
    return (LIGHT_RANK[r.light], stale, r.name.lower())


def ordered(found: list[Row], column: str = "", descending: bool = False) -> list[Row]:
    if column not in COLUMNS:
        return sorted(found, key=default_order)
    if column == "light":
        return sorted(
            found, key=lambda r: (LIGHT_RANK[r.light], r.name.lower()), reverse=descending
        )
    if column == "shoes_due":
        return sorted(found, key=lambda r: (len(r.shoes_due), r.name.lower()), reverse=descending)

    def key(r: Row) -> tuple[bool, Any, str]:
        value = getattr(r, column)
        value = value.lower() if isinstance(value, str) else value
        # an empty cell sorts last either way
        return ((value is None) != descending, value if value is not None else 0, r.name.lower())

    return sorted(found, key=key, reverse=descending)


def filtered(
    found: list[Row], *, light: str = "", stage: str = "", quiet: bool = False, group: str = ""
) -> list[Row]:
    """Rows of one light, one stage, those without a run for 7+ days, one group."""
    return [
        r
        for r in found
        if (not light or r.light == light)
        and (not stage or r.stage == stage)
        and (not quiet or r.days_since_run is None or r.days_since_run >= 7)
        and (not group or group in r.groups)
    ]
