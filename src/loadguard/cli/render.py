"""The check report for people: rich tables in a terminal."""

from __future__ import annotations

import polars as pl
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from loadguard.guard.findings import Finding
from loadguard.guard.report import Report

LIGHT = {"green": "bold green", "yellow": "bold yellow", "red": "bold red"}
SEVERITY = {"info": "cyan", "warning": "yellow", "critical": "bold red"}
SURFACE_ORDER = ("grass", "gravel", "trail", "track", "treadmill", "paved", "unknown")


def _num(value: float, decimals: int = 1, *, sign: bool = False) -> str:
    """A number rounded as the guard's messages round it (polars), so a table and a
    message never disagree in the last digit."""
    rounded = pl.Series([value], dtype=pl.Float64).round(2).round(decimals).item()
    return f"{rounded:+.{decimals}f}" if sign else f"{rounded:.{decimals}f}"


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
    shown = report.weeks[-last:]
    walks = any(w["walk_km"] for w in shown)  # columns nobody needs are left out at 80 wide
    cross = any(w["cross_min"] for w in shown)
    table = Table(title=f"Plan weeks (last {last})", title_justify="left")
    columns = ["week", "from", "runs", "km", "min", "change", "cap km"]
    columns += ["walk km"] * walks + ["cross min"] * cross + ["surface"]
    for col in columns:
        table.add_column(
            col,
            justify="left" if col in ("from", "surface") else "right",
            no_wrap=col in ("from", "change"),
        )
    for w in shown:
        if w["in_progress"]:  # never "-100 %" for a week that has only begun
            change = Text(f"so far, {w['days_left']}d left", style="dim")
        else:
            change = Text(
                "" if w["change_pct"] is None else f"{_num(w['change_pct'], 0, sign=True)} %"
            )
        over = w["cap_km"] is not None and w["run_km"] > w["cap_km"]
        row: list[str | Text] = [
            str(w["plan_week"]),
            w["week_start"][5:],  # MM-DD: the year is in the header
            str(w["runs"]),
            Text(_num(w["run_km"]), style="bold red" if over else ""),
            f"{w['run_min']:.0f}",
            change,
            "" if w["cap_km"] is None else _num(w["cap_km"]),
        ]
        if walks:
            row.append(_num(w["walk_km"]) if w["walk_km"] else "")
        if cross:
            row.append(f"{w['cross_min']:.0f}" if w["cross_min"] else "")
        row.append(_surface_mix(w["surface_km"]))
        table.add_row(*row)
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
            str(r["plan_week"]) if r["plan_week"] >= 1 else "pre",  # before the plan
            _num(r["km"]),
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


def current_findings(report: Report) -> list[Finding]:
    """What matters now: this plan week's and the last one's, and every shoe finding."""
    return [f for f in report.findings if f.plan_week == 0 or f.plan_week >= report.plan_week - 1]


def _findings(shown: list[Finding], report: Report, hidden: int) -> Text:
    if not shown:
        if hidden:
            return Text(
                f"Nothing in this plan week or the last one ({hidden} older).", style="green"
            )
        return Text("No findings: nothing to change.", style="green")
    text = Text(f"Findings ({len(shown)}, newest first)\n", style="italic")
    for f in shown:
        source = report.plan.evidence(f.evidence)
        week = f"week {f.plan_week}" if f.plan_week else "shoes"
        text.append("● ", style=SEVERITY[f.severity])
        text.append(f"{f.severity:<8}", style=SEVERITY[f.severity])
        text.append(f" {f.date.isoformat()}  {week:<8} {f.rule}", style="bold")
        text.append(f"  [{source.grade}]\n", style="dim")
        text.append(f"    {f.message}\n")
    return text


def render(
    report: Report,
    console: Console,
    *,
    weeks: int = 12,
    findings: int = 30,
    every_finding: bool = False,
) -> None:
    """The check. Findings: those that matter now, unless ``every_finding``."""
    wanted = report.findings if every_finding else current_findings(report)
    shown = wanted[:findings]
    hidden = len(report.findings) - len(shown)
    console.print(
        Group(
            _header(report),
            _weeks(report, weeks),
            _runs(report, 6),
            _shoes(report),
            _findings(shown, report, hidden),
        )
    )
    if hidden:
        console.print(
            f"{hidden} more findings (older ones): `loadguard check --all` lists them all,"
            " `--json` too.",
            style="dim",
        )
