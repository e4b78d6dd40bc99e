"""The check report for people: rich tables in a terminal, in the runner's language."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from loadguard.app.wording import (
    current_findings,
    finding_message,
    reason_text,
    rule_title,
    stage_text,
)
from loadguard.cli.words import Words
from loadguard.guard.findings import Finding
from loadguard.guard.report import Report
from loadguard.i18n import say, word

LIGHT = {"green": "bold green", "yellow": "bold yellow", "red": "bold red"}
SEVERITY = {"info": "cyan", "warning": "yellow", "critical": "bold red"}
SURFACE_ORDER = ("grass", "gravel", "trail", "track", "treadmill", "paved", "unknown")


def _surface_mix(surface_km: dict[str, float], t: Words) -> str:
    total = sum(surface_km.values())
    if total <= 0:
        return "-"
    parts = [
        f"{word(t.language, name)} {t.num(100 * surface_km[name] / total, 0)}%"  # narrow
        for name in SURFACE_ORDER
        if surface_km.get(name, 0) > 0
    ]
    return ", ".join(parts)


def _stage(report: Report, t: Words) -> str:
    return stage_text(report, t.language)


def _reason(reason: str, t: Words) -> str:
    return reason_text(reason, t.language)


def _header(report: Report, t: Words) -> Panel:
    light = report.status
    text = Text()
    text.append(f"{report.athlete.name}", style="bold")
    text.append(f"  ·  {report.plan.title_in(t.language)}\n")
    text.append(
        t("where", as_of=report.as_of.isoformat(), week=report.plan_week, stage=_stage(report, t))
        + "\n"
    )
    if report.stage_week != report.plan_week:
        reason = _reason(report.stage_reason, t)
        text.append(
            t("stage_of", stage_week=report.stage_week, reason=reason) + "\n", style="yellow"
        )
    text.append(t("status"))
    text.append(f"● {t.cli(light)}", style=LIGHT.get(light, ""))
    pain = report.pain
    if pain["latest"]:
        latest = pain["latest"]
        trend = " ".join(str(m["score"]) for m in pain["mornings"]) or t("none_logged")
        moment = t.cli(latest["moment"])
        text.append(t("pain", score=latest["score"], moment=moment, date=latest["date"]))
        text.append(
            f"● {say(t.language, 'cli.pain.' + pain['light'])}", style=LIGHT.get(pain["light"], "")
        )
        text.append(t("mornings", trend=trend), style="dim")
    if report.acwr is not None:
        text.append(t("acwr", acwr=float(report.acwr)), style="dim")
    return Panel(text, title=t("title"), expand=False)


def _weeks(report: Report, last: int, t: Words) -> Table:
    shown = report.weeks[-last:]
    walks = any(w["walk_km"] for w in shown)  # columns nobody needs are left out at 80 wide
    cross = any(w["cross_min"] for w in shown)
    table = Table(title=t("weeks", count=last), title_justify="left")
    columns = ["col_week", "col_from", "col_runs", "km", "col_min", "col_change", "col_cap"]
    columns += ["col_walk"] * walks + ["col_cross"] * cross + ["col_surface"]
    for col in columns:
        table.add_column(
            "km" if col == "km" else t(col),
            justify="left" if col in ("col_from", "col_surface") else "right",
            no_wrap=col in ("col_from", "col_change"),
        )
    for w in shown:
        if w["in_progress"]:  # never "-100 %" for a week that has only begun
            change = Text(t("so_far", days=w["days_left"]), style="dim")
        else:
            change = Text(
                "" if w["change_pct"] is None else f"{t.num(w['change_pct'], 0, sign=True)} %"
            )
        over = w["cap_km"] is not None and w["run_km"] > w["cap_km"]
        row: list[str | Text] = [
            str(w["plan_week"]),
            w["week_start"][5:],  # MM-DD: the year is in the header
            str(w["runs"]),
            Text(t.num(w["run_km"]), style="bold red" if over else ""),
            t.num(w["run_min"], 0),
            change,
            "" if w["cap_km"] is None else t.num(w["cap_km"]),
        ]
        if walks:
            row.append(t.num(w["walk_km"]) if w["walk_km"] else "")
        if cross:
            row.append(t.num(w["cross_min"], 0) if w["cross_min"] else "")
        row.append(_surface_mix(w["surface_km"], t))
        table.add_row(*row)
    return table


def _runs(report: Report, last: int, t: Words) -> Table | Text:
    if not report.runs:
        return Text(t.cli("no_runs"), style="dim")
    table = Table(title=t("runs", count=last), title_justify="left")
    for col in ("col_date", "col_wk", "km", "col_min", "col_longest", "col_surface"):
        table.add_column(
            "km" if col == "km" else t(col),
            justify="left" if col in ("col_date", "col_surface") else "right",
        )
    for r in report.runs[-last:]:
        longest = "" if r["longest_run_min"] is None else f"{t.num(r['longest_run_min'], 0)} min"
        table.add_row(
            r["start_local"][:10],
            str(r["plan_week"]) if r["plan_week"] >= 1 else t("pre"),  # before the plan
            t.num(r["km"]),
            t.num(r["min"], 0),
            longest,
            _surface_mix(r["surface_km"], t),
        )
    return table


def _shoes(report: Report, t: Words) -> Table | Text:
    if not report.shoes:
        return Text(t("no_shoes"), style="dim")
    table = Table(title=t("shoes"), title_justify="left")
    for col in ("col_id", "col_name", "km", "col_status"):
        table.add_column("km" if col == "km" else t(col))
    styles = {"ok": "green", "worn": "yellow", "retire": "bold red", "retired": "dim"}
    for s in report.shoes:
        status = Text(word(t.language, s["status"]), style=styles[s["status"]])
        table.add_row(str(s["id"]), s["name"], t.num(s["km"], 0), status)
    return table


def _findings(shown: list[Finding], report: Report, hidden: int, t: Words) -> Text:
    if not shown:
        if hidden:
            return Text(t("nothing_now", count=hidden), style="green")
        return Text(t("nothing"), style="green")
    text = Text(t("findings", count=len(shown)) + "\n", style="italic")
    for f in shown:
        source = report.plan.evidence(f.evidence)
        week = t("finding_week", week=f.plan_week) if f.plan_week else t("finding_shoes")
        severity = word(t.language, f.severity)
        text.append("● ", style=SEVERITY[f.severity])
        text.append(f"{severity:<8}", style=SEVERITY[f.severity])
        rule = f.rule if t.language == "en" else rule_title(f.rule, t.language)
        text.append(f" {f.date.isoformat()}  {week:<8} {rule}", style="bold")
        text.append(f"  [{word(t.language, source.grade)}]\n", style="dim")
        text.append(f"    {finding_message(report, f, t.language)}\n")
    return text


def render(
    report: Report,
    console: Console,
    *,
    weeks: int = 12,
    findings: int = 30,
    every_finding: bool = False,
    language: str = "en",
) -> None:
    """The check. Findings: those that matter now, unless ``every_finding``."""
    t = Words(language)
    wanted = report.findings if every_finding else current_findings(report)
    shown = wanted[:findings]
    hidden = len(report.findings) - len(shown)
    console.print(
        Group(
            _header(report, t),
            _weeks(report, weeks, t),
            _runs(report, 6, t),
            _shoes(report, t),
            _findings(shown, report, hidden, t),
        )
    )
    if hidden:
        console.print(t("more", count=hidden), style="dim")
