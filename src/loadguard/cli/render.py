"""The check report for people: rich tables in a terminal."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from loadguard.guard.report import Report

LIGHT = {"green": "bold green", "yellow": "bold yellow", "red": "bold red"}
SEVERITY = {"info": "cyan", "warning": "yellow", "critical": "bold red"}
SURFACE_ORDER = ("grass", "gravel", "trail", "track", "treadmill", "paved", "unknown")


def _surface_mix(surface_km: dict[str, float]) -> str:
    total = sum(surface_km.values())
    if total <= 0:
        return "-"
    parts = [
        f"{name} {surface_km[name] / total:.0%}"
        for name in SURFACE_ORDER
        if surface_km.get(name, 0) > 0
    ]
    return ", ".join(parts)


def _header(report: Report) -> Panel:
    light = report.status
    text = Text()
    text.append(f"{report.athlete.name}", style="bold")
    text.append(f"  ·  {report.plan.title}\n")
    text.append(f"{report.as_of.isoformat()}: plan week {report.plan_week}, {report.stage}\n")
    if report.stage_week != report.plan_week:
        text.append(f"stage of week {report.stage_week}: {report.stage_reason}\n", style="yellow")
    text.append("status: ")
    text.append(f"● {light.upper()}", style=LIGHT.get(light, ""))
    pain = report.pain
    if pain["latest"]:
        latest = pain["latest"]
        trend = " ".join(str(m["score"]) for m in pain["mornings"]) or "none logged"
        text.append(f"\npain: {latest['score']}/10 {latest['moment']} {latest['date']} ")
        text.append(f"● {pain['light']}", style=LIGHT.get(pain["light"], ""))
        text.append(f"   mornings (14 days): {trend}", style="dim")
    if report.acwr is not None:
        text.append(f"    acute:chronic {report.acwr:.2f} (context only)", style="dim")
    return Panel(text, title="loadguard check", expand=False)


def _weeks(report: Report, last: int) -> Table:
    table = Table(title=f"Plan weeks (last {last})", title_justify="left")
    for col in (
        "week",
        "from",
        "runs",
        "km",
        "min",
        "change",
        "cap km",
        "walk km",
        "cross min",
        "surface",
    ):
        table.add_column(col, justify="right" if col not in ("from", "surface") else "left")
    for w in report.weeks[-last:]:
        change = "" if w["change_pct"] is None else f"{w['change_pct']:+.0f} %"
        over = w["cap_km"] is not None and w["run_km"] > w["cap_km"]
        table.add_row(
            str(w["plan_week"]),
            w["week_start"],
            str(w["runs"]),
            Text(f"{w['run_km']:.1f}", style="bold red" if over else ""),
            f"{w['run_min']:.0f}",
            change,
            "" if w["cap_km"] is None else f"{w['cap_km']:.1f}",
            f"{w['walk_km']:.1f}" if w["walk_km"] else "",
            f"{w['cross_min']:.0f}" if w["cross_min"] else "",
            _surface_mix(w["surface_km"]),
        )
    return table


def _runs(report: Report, last: int) -> Table | Text:
    if not report.runs:
        return Text("No runs yet: `loadguard import` or `loadguard strava sync`.", style="dim")
    table = Table(title=f"Runs (last {last})", title_justify="left")
    for col in ("date", "wk", "km", "min", "longest run", "surface"):
        table.add_column(col, justify="left" if col in ("date", "surface") else "right")
    for r in report.runs[-last:]:
        longest = "" if r["longest_run_min"] is None else f"{r['longest_run_min']:.0f} min"
        table.add_row(
            r["start_local"][:10],
            str(r["plan_week"]),
            f"{r['km']:.1f}",
            f"{r['min']:.0f}",
            longest,
            _surface_mix(r["surface_km"]),
        )
    return table


def _shoes(report: Report) -> Table | Text:
    if not report.shoes:
        return Text("No shoes recorded: `loadguard shoe add` tracks their mileage.", style="dim")
    table = Table(title="Shoes", title_justify="left")
    for col in ("id", "name", "km", "status"):
        table.add_column(col)
    styles = {"ok": "green", "worn": "yellow", "retire": "bold red", "retired": "dim"}
    for s in report.shoes:
        table.add_row(
            str(s["id"]), s["name"], f"{s['km']:.0f}", Text(s["status"], style=styles[s["status"]])
        )
    return table


def _findings(report: Report, limit: int) -> Text:
    if not report.findings:
        return Text("No findings: nothing to change.", style="green")
    text = Text(f"Findings ({len(report.findings)}, newest first)\n", style="italic")
    for f in report.findings[:limit]:
        source = report.plan.evidence(f.evidence)
        week = f"week {f.plan_week}" if f.plan_week else "shoes"
        text.append("● ", style=SEVERITY[f.severity])
        text.append(f"{f.severity:<8}", style=SEVERITY[f.severity])
        text.append(f" {f.date.isoformat()}  {week:<8} {f.rule}", style="bold")
        text.append(f"  [{source.grade}]\n", style="dim")
        text.append(f"    {f.message}\n")
    return text


def render(report: Report, console: Console, *, weeks: int = 12, findings: int = 30) -> None:
    console.print(
        Group(
            _header(report),
            _weeks(report, weeks),
            _runs(report, 6),
            _shoes(report),
            _findings(report, findings),
        )
    )
    if len(report.findings) > findings:
        console.print(f"... and {len(report.findings) - findings} more (use --json for all)")
