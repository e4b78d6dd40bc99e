"""What alerts, digests and summaries say, from the message catalogues of
:mod:`loadguard.i18n` (``en.toml``, ``da.toml``); code holds no sentences, and numbers
come out in the language's format.
Every function here is pure: a payload (plain data, stored in the outbox) and a
language in, a title and a body out. Texts are rendered when they are sent, so
a recipient who changes language gets the next message in the new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loadguard.i18n import LANGUAGES as LANGUAGES
from loadguard.i18n import catalogue as catalogue
from loadguard.i18n import localised, number

if TYPE_CHECKING:
    from loadguard.guard.findings import Finding
    from loadguard.guard.report import Report


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def _fill(template: str, values: Mapping[str, Any], language: str = "en") -> str | None:
    try:
        return template.format_map(localised(values, language))
    except (KeyError, TypeError, ValueError, IndexError):
        return None  # a placeholder this finding cannot fill (a value it does not have)


def _word(words: Mapping[str, str], key: str) -> str:
    return words.get(key, key)


def finding_text(
    alert: Mapping[str, Any], language: str, *, about: bool = False
) -> tuple[str, str]:
    """What a finding says (the number vs the limit) and what to do, in ``language``;
    the guard's own English sentence where the catalogue cannot fill its template.
    ``about``: told to a coach about the athlete ("Anna's longest run"), not to them."""
    cat = catalogue(language)
    words = cat["words"]
    rule = cat["rules"].get(alert["rule"], {})
    detail = str(alert.get("detail") or "")
    values = {
        **alert,
        "severity": _word(words, alert["severity"]),
        "detail_text": cat.get("details", {}).get(detail, detail),
    }
    candidates = [rule.get(f"what_{detail}", ""), rule.get("what", "")]
    if alert.get("value") is None:
        candidates.insert(0, rule.get("what_novalue", ""))
    if about:
        candidates[:0] = [rule.get(f"what_coach_{detail}", ""), rule.get("what_coach", "")]
        if alert.get("value") is None:
            candidates.insert(0, rule.get("what_coach_novalue", ""))
    # the guard's own sentence is English (and speaks to the runner): another language, or
    # a coach, gets the rule's title instead
    fallback = (
        alert["message"]
        if language == "en" and not about
        else cat["alert"]["fallback"].format_map(
            {**values, "rule_title": rule.get("title", alert["rule"])}
        )
    )
    what = next(
        (t for c in candidates if c and (t := _fill(c, values, language)) is not None),
        fallback,
    )
    advice = rule.get(f"do_{alert['severity']}", rule.get("do", ""))
    return what, advice


def alert_text(alert: Mapping[str, Any], language: str, *, long: bool = False) -> Text:
    """An alert: what happened (the number vs the limit), what to do, the rule's source.
    ``long`` is the email variant, which adds an opening line and the rule's own sentence."""
    cat = catalogue(language)
    words = cat["words"]
    rule = cat["rules"].get(alert["rule"], {})
    what, advice = finding_text(alert, language)
    values = {**alert, "severity": _word(words, alert["severity"])}
    title = cat["alert"]["title"].format_map(
        {**values, "rule_title": rule.get("title", alert["rule"].replace("_", " "))}
    )
    sources = alert.get("sources") or {}
    source = cat["alert"]["source"].format_map(
        {
            "grade": _word(words, alert["grade"]),
            "source": sources.get(language) or alert["source"],
        }
    )
    lines = [what, advice, source]
    if long:
        intro = cat["alert"]["email_intro"].format_map(values)
        detail = [alert["message"]] if language == "en" and alert["message"] != what else []
        chart = _chart(alert.get("weeks") or [], cat["alert"], language)
        lines = [intro, "", what, *detail, "", advice, "", *chart, source]
    return Text(title, "\n".join(lines).strip())


def _chart(weeks: list[Mapping[str, Any]], words: Mapping[str, str], language: str) -> list[str]:
    """A small text chart of the last plan weeks' running (the email's), cap marked."""
    if not weeks:
        return []
    top = max(max(w["run_km"], w["cap_km"] or 0.0) for w in weeks) or 1.0
    lines = [words["chart"]]
    for w in weeks:
        bar = "█" * round(20 * w["run_km"] / top)
        cap = (
            f"  ({words['cap']} {number(w['cap_km'], language, 1)})"
            if w["cap_km"] is not None
            else ""
        )
        lines.append(f"{w['plan_week']:>3} {bar:<20} {number(w['run_km'], language, 1)}{cap}")
    return [*lines, ""]


def digest_text(digest: Mapping[str, Any], language: str) -> Text:
    """A coach's daily digest: their athletes' new findings grouped by athlete, told about
    the athlete, with a link to each athlete's page and to the list; then their replies."""
    cat = catalogue(language)
    d = cat["digest"]
    items: list[Mapping[str, Any]] = list(digest.get("items", []))
    notes: list[Mapping[str, Any]] = list(digest.get("notes", []))
    links: Mapping[str, str] = digest.get("links", {})
    if not items and not notes:
        return Text(d["title"].format(count=0), d["empty"])
    names = {str(i["athlete"]): str(i.get("athlete_name", "")) for i in [*items, *notes]}
    lines: list[str] = []
    for athlete in sorted(names, key=lambda a: (names[a].lower(), a)):
        header = d["athlete"].format(athlete=athlete, name=names[athlete] or athlete)
        lines.append(f"{header}: {links[athlete]}" if athlete in links else header)
        for item in (i for i in items if i["athlete"] == athlete):
            what, _advice = finding_text(item, language, about=True)
            severity = _word(cat["words"], item["severity"])
            lines.append(d["line"].format(severity=severity, text=what))
        for note in (n for n in notes if n["athlete"] == athlete):
            lines.append(d["reply"].format(text=note["body"]))
    if "" in links:
        lines += ["", d["list"].format(url=links[""])]
    count = len(items)
    title = d["title_one"] if count == 1 else d["title"].format(count=count)
    if not items:
        title = d["title_replies"]
    return Text(title, "\n".join(lines))


def note_text(note: Mapping[str, Any], language: str) -> Text:
    """A coach's note shared with the athlete."""
    n = catalogue(language)["note"]
    return Text(n["title"].format_map(note), n["body"].format_map(note))


def summary_text(summary: Mapping[str, Any], language: str) -> Text:
    """A runner's weekly summary: volume vs cap, surface mix, shoes, morning pain trend."""
    cat = catalogue(language)
    s, words = cat["summary"], cat["words"]

    def f(key: str, **values: Any) -> str:
        return str(s[key]).format_map(localised(values, language))

    week = summary["week"]
    change = (
        s["change_none"]
        if week.get("change_pct") is None
        else f("change", change_pct=float(week["change_pct"]))
    )
    lines = [f("volume", run_km=float(week["run_km"]), runs=week["runs"], change=change)]
    if week.get("cap_km") is None:
        lines.append(f("no_cap", stage=summary["stage"]))
    else:
        lines.append(f("cap", cap_km=float(week["cap_km"])))
    mix = [
        f"{_word(words, k)} {number(v, language, 1)} km"
        for k, v in week["surface_km"].items()
        if v > 0
    ]
    lines.append(f("surfaces", mix=", ".join(mix) or _word(words, "none")))
    shoes = [
        f("shoe", name=x["name"], km=float(x["km"]), status=_word(words, x["status"]))
        for x in summary["shoes"]
        if x["status"] != "retired"
    ]
    lines.append(f("shoes", list=", ".join(shoes) or _word(words, "none")))
    mornings = summary["mornings"]
    if mornings:
        lines.append(f("pain", scores=" ".join(str(m["score"]) for m in mornings)))
    else:
        lines.append(s["pain_none"])
    lines.append(f("findings", count=summary["findings"]))
    title = f("title", athlete=summary["athlete_name"], plan_week=week["plan_week"])
    return Text(title, "\n".join(lines))


def test_text(recipient: str, language: str) -> Text:
    t = catalogue(language)["test"]
    return Text(t["title"], t["body"].format(recipient=recipient))


def file_text(problem: Mapping[str, Any], language: str) -> Text:
    """A watch file that could not be read: which, why, and what loadguard does about it."""
    t = catalogue(language)["file"]
    return Text(t["title"].format_map(problem), t["body"].format_map(problem))


def finding_payload(report: Report, f: Finding) -> dict[str, Any]:
    """A finding as plain data, in no language: what the texts are rendered from."""
    source = report.plan.evidence(f.evidence)
    shoe_id = f.subject.removeprefix("shoe ") if f.subject.startswith("shoe ") else None
    shoe = next((s["name"] for s in report.shoes if str(s["id"]) == shoe_id), shoe_id)
    weeks = [
        {"plan_week": w["plan_week"], "run_km": w["run_km"], "cap_km": w["cap_km"]}
        for w in report.weeks
        if w["plan_week"] <= max(1, report.plan_week)
    ][-6:]
    return {
        "athlete": report.athlete.id,
        "athlete_name": report.athlete.name,
        "rule": f.rule,
        "severity": f.severity,
        "date": f.date.isoformat(),
        "plan_week": f.plan_week,
        "subject": f.subject,
        "value": f.value,
        "limit": f.limit,
        "message": f.message,
        "grade": source.grade,
        "source": source.source,
        "sources": {language: source.text(language) for language in LANGUAGES},
        "detail": f.detail,
        "shoe": shoe,
        "weeks": weeks,  # the email's small chart
    }
