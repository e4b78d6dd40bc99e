"""The runner's charts as Vega-Lite specs, built with Altair from the report's figures.

The server builds each spec (data inlined, words in the viewer's language); vendored
vega-embed draws it as SVG in the browser. Altair is imported on the first chart, not
when the app starts.
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol

from loadguard.guard.plan import Plan
from loadguard.guard.report import Report
from loadguard.i18n import LOCALES, say, word

if TYPE_CHECKING:
    import altair as alt

SURFACES = ("grass", "gravel", "trail", "track", "treadmill", "paved", "unknown")
SURFACE_COLOURS = ("#4c9a2a", "#b8a66a", "#8c6d46", "#d2691e", "#7f7f7f", "#3b4a6b", "#d9d9d9")
BANDS = (  # the plan's pain traffic light: 0-2 go, 3-5 fine if settled, above 5 back off
    ("green", 0, 2.5, "#d8f0d2"),
    ("yellow", 2.5, 5.5, "#fbefc4"),
    ("red", 5.5, 10, "#f7d0cc"),
)
WIDTH = "container"  # as wide as the phone or the page


def _data(name: str) -> Any:
    """A dataset the spec names; its rows are put in at each request (:func:`_filled`)."""
    import altair as alt

    return alt.Data(name=name)  # type: ignore[no-untyped-call]


def _inline(rows: list[dict[str, Any]]) -> Any:
    """Rows that belong to the chart's shape (the plan's marks, the pain bands)."""
    import altair as alt

    return alt.Data(values=rows)  # type: ignore[no-untyped-call]


def _filled(shape: dict[str, Any], **datasets: list[dict[str, Any]]) -> dict[str, Any]:
    """A chart's shape (built with Altair once per language and plan: ~40 ms each) with
    this request's rows (microseconds)."""
    return {**shape, "datasets": datasets}


def _t(language: str, key: str, **values: Any) -> str:
    return say(language, f"web.charts.{key}", **values)


def _finish(chart: alt.TopLevelMixin, language: str) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec["usermeta"] = {"embedOptions": _locale(language)}
    return spec


@cache
def _locale(language: str) -> dict[str, Any]:
    """Vega's number and time format locale from Babel's CLDR data: decimal commas and
    Danish month names on a Danish page."""
    locale = Locale.parse(LOCALES[language])

    def names(table: Any) -> list[str]:
        return [str(table[k]) for k in sorted(table)]

    days = locale.days["format"]
    return {
        "formatLocale": {
            "decimal": get_decimal_symbol(locale),
            "thousands": get_group_symbol(locale),
            "grouping": [3],
            "currency": ["", ""],
        },
        "timeFormatLocale": {
            "dateTime": "%x %X",
            "date": "%d/%m/%Y" if language == "en" else "%d.%m.%Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [str(days["wide"][(i + 6) % 7]) for i in range(7)],  # Sunday first
            "shortDays": [str(days["abbreviated"][(i + 6) % 7]) for i in range(7)],
            "months": names(locale.months["format"]["wide"]),
            "shortMonths": names(locale.months["format"]["abbreviated"]),
        },
    }


def volume(report: Report, language: str) -> dict[str, Any]:
    """Weekly running km as bars, the cap as a stepped line, the plan's stages shaded."""

    weeks = [
        {
            "week": w["plan_week"],
            "km": w["run_km"],
            "cap": w["cap_km"],
            "so_far": _t(language, "so_far") if w["in_progress"] else "",
        }
        for w in report.weeks
        if w["plan_week"] >= 1
    ]
    last = max([report.plan.weeks, *(w["week"] for w in weeks)])
    stages = _stages(report.plan, language, last)
    shape = _volume_shape(language, last, tuple(s["stage"] for s in stages))
    return _filled(shape, weeks=weeks, stages=stages)


def _weeks(last: int) -> tuple[Any, Any]:
    """Plan weeks 1..last on a number line, a slot per week (volume and surfaces)."""
    import altair as alt

    scale = alt.Scale(domain=[0.5, last + 0.5], nice=False)
    return scale, alt.Axis(values=list(range(1, last + 1)), format="d", grid=False)


@cache
def _volume_shape(language: str, last: int, stage_names: tuple[str, ...]) -> dict[str, Any]:
    import altair as alt

    scale, axis = _weeks(last)
    x = alt.X("week:Q", title=_t(language, "plan_week"), scale=scale, axis=axis)
    shade = (
        alt.Chart(_data("stages"))
        .mark_rect(opacity=0.6)
        .encode(
            x=alt.X("from:Q", scale=scale, axis=axis, title=_t(language, "plan_week")),
            x2="to:Q",
            color=alt.Color(
                "stage:N",
                title=_t(language, "stage"),
                sort=list(stage_names),
                scale=alt.Scale(range=["#dfe8f5", "#e3f0d8", "#f6e7cf", "#eadcf0", "#d6efec"]),
                legend=alt.Legend(orient="bottom", direction="vertical", symbolOpacity=1),
            ),
        )
    )
    data = _data("weeks")
    bars = (
        alt.Chart(data)
        .mark_bar(color="#3b6ea8", size=18)
        .encode(
            x=x,
            y=alt.Y("km:Q", title=_t(language, "km")),
            opacity=alt.condition("datum.so_far != ''", alt.value(0.5), alt.value(1.0)),
            tooltip=[
                alt.Tooltip("week:Q", title=_t(language, "plan_week")),
                alt.Tooltip("km:Q", title=_t(language, "km"), format=".1f"),
                alt.Tooltip("cap:Q", title=_t(language, "cap"), format=".1f"),
                alt.Tooltip("so_far:N", title=" "),
            ],
        )
    )
    cap = (  # the week's cap as a red bar across the week's slot
        alt.Chart(data)
        .transform_filter("datum.cap != null")
        .transform_calculate(left="datum.week - 0.42", right="datum.week + 0.42")
        .mark_rule(color="#c0392b", strokeWidth=3)
        .encode(x=alt.X("left:Q", scale=scale, axis=axis), x2="right:Q", y="cap:Q")
    )
    chart = alt.layer(shade, bars, cap).properties(
        width=WIDTH, height=260, title=_t(language, "volume")
    )
    return _finish(chart, language)


def _stages(plan: Plan, language: str, last: int) -> list[dict[str, Any]]:
    rows = []
    for stage in plan.stages:
        first, end = stage.weeks
        if first > last:
            continue
        rows.append(
            {
                "stage": plan.stage_name_in(stage.name, language),
                "from": first - 0.5,
                "to": min(end, last) + 0.5,
            }
        )
    return rows


def surfaces(report: Report, language: str) -> dict[str, Any]:
    """Km per surface and plan week, stacked; unknown ground in grey, named unknown."""

    rows = [
        {"week": w["plan_week"], "surface": word(language, name), "km": km}
        for w in report.weeks
        if w["plan_week"] >= 1
        for name, km in w["surface_km"].items()
        if km > 0
    ]
    last = max([report.plan.weeks, *(r["week"] for r in rows)])
    return _filled(_surfaces_shape(language, last), rows=rows)


@cache
def _surfaces_shape(language: str, last: int) -> dict[str, Any]:
    import altair as alt

    names = [word(language, s) for s in SURFACES]
    scale, axis = _weeks(last)  # the same weeks as the volume chart
    chart = (
        alt.Chart(_data("rows"))
        .mark_bar(size=18)
        .encode(
            x=alt.X("week:Q", title=_t(language, "plan_week"), scale=scale, axis=axis),
            y=alt.Y("sum(km):Q", title=_t(language, "km"), stack="zero"),
            color=alt.Color(
                "surface:N",
                title=_t(language, "surface"),
                scale=alt.Scale(domain=names, range=list(SURFACE_COLOURS)),
                legend=alt.Legend(orient="bottom", columns=4),
            ),
            order=alt.Order("surface:N"),
            tooltip=[
                alt.Tooltip("week:Q", title=_t(language, "plan_week")),
                alt.Tooltip("surface:N", title=_t(language, "surface")),
                alt.Tooltip("km:Q", title=_t(language, "km"), format=".1f"),
            ],
        )
        .properties(width=WIDTH, height=240, title=_t(language, "surfaces"))
    )
    return _finish(chart, language)


def shoes(report: Report, language: str) -> dict[str, Any]:
    """Each shoe's km as a bar against the plan's marks (500 km worn, 800 km retire)."""

    worn_km, retire_km = report.plan.shoes.warn_km, report.plan.shoes.retire_km
    rows = [
        {"shoe": s["name"], "km": s["km"], "status": word(language, s["status"])}
        for s in report.shoes
    ]
    top = 100 * math.ceil(max([retire_km * 1.1, *(r["km"] * 1.05 for r in rows)]) / 100)
    return _filled(_shoes_shape(language, worn_km, retire_km, top, len(rows)), rows=rows)


@cache
def _shoes_shape(
    language: str, worn_km: float, retire_km: float, top: float, count: int
) -> dict[str, Any]:
    import altair as alt

    x = alt.X("km:Q", title=_t(language, "km"), scale=alt.Scale(domain=[0, top]))
    bars = (
        alt.Chart(_data("rows"))
        .mark_bar(height={"band": 0.6})
        .encode(
            y=alt.Y("shoe:N", title=None, sort=None),
            x=x,
            color=alt.Color(
                "km:Q",
                scale=alt.Scale(
                    domain=[0, worn_km, retire_km], range=["#4c9a2a", "#e0a400", "#c0392b"]
                ),
                legend=None,
            ),
            tooltip=["shoe:N", alt.Tooltip("km:Q", format=".0f"), "status:N"],
        )
    )
    marks = [
        {"km": worn_km, "label": _t(language, "worn_mark", km=worn_km)},
        {"km": retire_km, "label": _t(language, "retire_mark", km=retire_km)},
    ]
    rules = alt.Chart(_inline(marks)).mark_rule(strokeDash=[4, 3], color="#555").encode(x=x)
    labels = (
        alt.Chart(_inline(marks))
        .mark_text(align="left", dx=3, dy=-4, baseline="bottom", fontSize=11)
        .encode(x=x, y=alt.value(0), text="label:N")
    )
    height = max(60, 36 * count)
    chart = alt.layer(bars, rules, labels).properties(
        width=WIDTH, height=height, title=_t(language, "shoes")
    )
    return _finish(chart, language)


def pain(series: list[dict[str, Any]], language: str) -> dict[str, Any]:
    """Pain over time on the plan's traffic-light bands: mornings in their own panel, the
    scores during and after runs in the other."""
    rows = {
        name: [
            {**p, "moment_word": say(language, f"web.moments.{p['moment']}")}
            for p in series
            if p["moment"] in moments
        ]
        for name, moments in (("runs", ("during", "after")), ("mornings", ("morning",)))
    }
    return _filled(_pain_shape(language), **rows)


@cache
def _pain_shape(language: str) -> dict[str, Any]:
    import altair as alt

    panels = [_pain_panel(alt, name, _t(language, f"pain_{name}")) for name in ("runs", "mornings")]
    return _finish(alt.vconcat(*panels).resolve_scale(x="shared"), language)


def _pain_panel(alt: Any, name: str, title: str) -> Any:
    bands = [{"band": band, "low": low, "high": high} for band, low, high, _ in BANDS]
    y = alt.Y("score:Q", title="0-10", scale=alt.Scale(domain=[0, 10]))
    back = (
        alt.Chart(_inline(bands))
        .mark_rect()
        .encode(
            y=alt.Y("low:Q", scale=alt.Scale(domain=[0, 10])),
            y2="high:Q",
            color=alt.Color(
                "band:N",
                scale=alt.Scale(domain=[b[0] for b in BANDS], range=[b[3] for b in BANDS]),
                legend=None,
            ),
        )
    )
    x = alt.X("day:T", title=None, axis=alt.Axis(format="%d/%m"))
    line = (
        alt.Chart(_data(name))
        .mark_line(point=alt.OverlayMarkDef(size=50, filled=True), color="#333")
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("day:T", format="%Y-%m-%d"),
                alt.Tooltip("moment_word:N", title=" "),
                "score:Q",
            ],
        )
    )
    return alt.layer(back, line).properties(width=WIDTH, height=150, title=title)


def run(detail: dict[str, Any], language: str) -> dict[str, Any]:
    """One run on a time axis: pace (min/km, faster up) over the run/walk bouts the guard
    saw (green: running, sand: walking)."""

    bouts = [
        {**b, "kind": _t(language, "running" if b["running"] else "walking")}
        for b in detail["bouts"]
    ]
    return _filled(_run_shape(language), bouts=bouts, points=detail["points"])


@cache
def _run_shape(language: str) -> dict[str, Any]:
    import altair as alt

    x = alt.X("min:Q", title=_t(language, "minutes"))
    shade = (
        alt.Chart(_data("bouts"))
        .mark_rect(opacity=0.45)
        .encode(
            x=alt.X("from:Q", title=_t(language, "minutes")),
            x2="to:Q",
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=[_t(language, "running"), _t(language, "walking")],
                    range=["#bfe3b4", "#f3dfb0"],
                ),
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    pace = (
        alt.Chart(_data("points"))
        .mark_line(color="#1f4e79", strokeWidth=1.5)
        .encode(
            x=x,
            y=alt.Y(
                "pace:Q",
                title=_t(language, "pace"),
                scale=alt.Scale(reverse=True, domain=[15, 3], clamp=True),
            ),
            tooltip=[alt.Tooltip("min:Q", format=".1f"), alt.Tooltip("pace:Q", format=".2f")],
        )
    )
    chart = alt.layer(shade, pace).properties(width=WIDTH, height=240, title=_t(language, "run"))
    return _finish(chart, language)
