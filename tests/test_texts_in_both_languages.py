"""Every message of every rule, rendered in English and Danish (short, email, digest),
checked against what must never reach a Danish runner: an English word, a decimal
point, a repository path; and numbers in the locale's format."""

from __future__ import annotations

import re
from typing import Any

import pytest

from loadguard.alerts import texts
from loadguard.guard import pain_scale, verdict
from loadguard.guard.plan import load_plan
from loadguard.i18n import LANGUAGES, catalogue, number, say

PLAN = load_plan("heel-fat-pad")
# what the guard puts in a finding's detail (see the rules): symptoms, conditions, a
# shoe's measure
DETAILS = {
    "red_flag": [*pain_scale.SYMPTOMS, *pain_scale.CONDITIONS],
    "shoe_profile": ["heel_stack", "drop", "minimalist"],
}
# English words a Danish text must not hold (commands in `backticks` are left out)
ENGLISH = re.compile(
    r"\b(the|and|of|your|you|run|runs|week|weeks|shoe|pain|minutes?|surface|source|"
    r"limit|see|doctor|before|after|today|morning|unknown|paved)\b",
    re.IGNORECASE,
)
DECIMAL_POINT = re.compile(r"\d\.\d")
PATH = re.compile(r"\b(shared|src|docs|config)/|\.(md|toml|py)\b")


def findings() -> list[dict[str, Any]]:
    """One payload per rule and detail, shaped as the outbox stores it."""
    out = []
    for rule in verdict.RULES:
        evidence = {"red_flag": "plan", "shoe_profile": "shoe_profile"}.get(rule, "plan")
        source = PLAN.evidence(evidence)
        for detail in DETAILS.get(rule, [""]):
            for value in (47.5, 1.0, None):
                out.append(
                    {
                        "athlete": "anna",
                        "athlete_name": "Anna",
                        "rule": rule,
                        "severity": "warning",
                        "date": "2026-03-18",
                        "plan_week": 3,
                        "subject": "2026-03-18",
                        "value": value,
                        "limit": 8.5,
                        "message": "The guard's own English sentence.",
                        "grade": source.grade,
                        "source": source.source,
                        "sources": {lang: source.text(lang) for lang in LANGUAGES},
                        "detail": detail,
                        "shoe": "Hoka Clifton",
                        "weeks": [{"plan_week": 3, "run_km": 12.5, "cap_km": 13.75}],
                    }
                )
    return out


def outside_commands(text: str) -> str:
    return re.sub(r"`[^`]*`", "", text)


@pytest.mark.parametrize(
    "finding", findings(), ids=lambda f: f"{f['rule']}-{f['detail']}-{f['value']}"
)
def test_a_danish_alert_has_no_english_word_no_decimal_point_and_no_path(
    finding: dict[str, Any],
) -> None:
    for long in (False, True):
        text = texts.alert_text(finding, "da", long=long)
        whole = outside_commands(f"{text.title}\n{text.body}")
        assert ENGLISH.search(whole) is None, whole
        assert DECIMAL_POINT.search(whole) is None, whole
        assert PATH.search(whole) is None, whole
    english = texts.alert_text(finding, "en", long=True)
    assert PATH.search(english.body) is None, english.body


def test_a_danish_digest_and_summary_read_danish_numbers() -> None:
    digest = texts.digest_text({"items": findings()[:3]}, "da")
    assert ENGLISH.search(outside_commands(digest.body)) is None
    summary = {
        "athlete_name": "Anna",
        "stage": "løb/gang 2:1",
        "week": {
            "plan_week": 4,
            "run_km": 12.25,
            "runs": 3,
            "change_pct": 8.5,
            "cap_km": 13.5,
            "surface_km": {"grass": 6.5, "paved": 0.25},
        },
        "shoes": [{"name": "Hoka", "km": 512.0, "status": "worn"}],
        "mornings": [{"score": 2}],
        "findings": 1,
    }
    body = texts.summary_text(summary, "da").body
    assert "12,2 km" in body or "12,3 km" in body
    assert "+8 %" in body or "+9 %" in body
    assert "græs 6,5 km" in body
    assert "Hoka 512 km (slidt)" in body
    assert DECIMAL_POINT.search(body) is None


@pytest.mark.parametrize(("rule", "details"), DETAILS.items())
def test_every_detail_the_guard_gives_has_a_text_in_every_language(
    rule: str, details: list[str]
) -> None:
    for language in LANGUAGES:
        assert set(details) <= set(catalogue(language)["details"]), (rule, language)


def test_the_red_flag_alert_names_the_symptom_and_the_shoe_alert_the_measure() -> None:
    by = {(f["rule"], f["detail"], f["value"]): f for f in findings()}
    flag = texts.alert_text(by[("red_flag", "numbness", None)], "da").body
    assert flag.startswith("2026-03-18: følelsesløshed, prikken eller snurren")
    drop = texts.alert_text(by[("shoe_profile", "drop", 47.5)], "da").body
    assert drop.startswith("Skoen 'Hoka Clifton': drop 48 mm")
    minutes = texts.alert_text(by[("session_duration", "", 1.0)], "da").body
    assert "1 min." in minutes
    assert "minutter" not in minutes


def test_numbers_follow_the_locale() -> None:
    assert number(47.5, "da", 1) == "47,5"
    assert number(47.5, "en", 1) == "47.5"
    assert number(1234.5, "da", 1) == "1.234,5"
    assert number(12.0, "da", 0, sign=True) == "+12"
    assert say("da", "summary.cap", cap_km=13.75) == "Ugens loft: 13,8 km."


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_digest_speaks_to_the_coach_about_the_athlete_never_to_the_athlete(
    language: str,
) -> None:
    """Every rule, detail and value shape: the coach reads "Anna's longest run", not
    "your longest run" (nor the guard's own English, which speaks to the runner)."""
    body = texts.digest_text({"items": findings()}, language).body
    second_person = {
        "en": r"\b(you|your|yours)\b",
        "da": r"\b(du|din|dit|dine|dig)\b",
    }[language]
    assert re.search(second_person, body, re.IGNORECASE) is None, body
    assert "The guard's own English sentence." not in body
    assert body.startswith("Anna (anna)")
