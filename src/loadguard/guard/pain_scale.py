"""Pain and symptoms as the plan reads them (pure): moments, the traffic light, red flags.

Pain is 0-10 at a moment: during or after a run, the next morning, or a rest
day. Runners also write it into activity names ("pain 3/10", Danish "smerte 3",
"p3"). Symptoms on the red-flag list mean "see a doctor", not "run less"
(shared/docs/rehab-plan.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from loadguard.contract import Explained

if TYPE_CHECKING:
    import polars as pl

MOMENTS = ("during", "after", "morning", "rest")

# kind -> why it needs a doctor (the plan's red flags)
SYMPTOMS: dict[str, str] = {
    "night_pain": "heel pain that wakes you at night is not an overload pattern",
    "numbness": "numbness, tingling or pins and needles point to a nerve, not the fat pad",
    "swelling": "swelling, redness or warmth in the heel can mean inflammation or infection",
    "trauma": "pain that began with an acute injury needs imaging, not a load plan",
    "burning": "burning or electric pain on the inside of the heel suggests an entrapped"
    " nerve branch (Baxter's neuropathy)",
}
CONDITIONS: dict[str, str] = {
    "diabetes": "with diabetes, heel pain and skin changes need a doctor's eye",
    "reduced_circulation": "with reduced circulation, heel pain needs a doctor's assessment",
}

_IN_TEXT = re.compile(
    r"\b(?:pain|smerte)\s*[:=]?\s*(\d{1,2})(?:\s*/\s*10)?\b|\bp(\d{1,2})\b", re.IGNORECASE
)


class PainError(Explained, ValueError):
    """A pain or symptom entry that cannot be stored; the message says why."""


def pain_in_text(text: str) -> int | None:
    """The pain score a runner wrote into a name or description, if any (0-10)."""
    for match in _IN_TEXT.finditer(text):
        value = int(match.group(1) or match.group(2))
        if 0 <= value <= 10:
            return value
    return None


def check_entry(score: int, moment: str, day: date, today: date) -> None:
    if not 0 <= score <= 10:
        raise PainError(f"pain {score} is outside 0-10", key="pain_range", value=score)
    if moment not in MOMENTS:
        raise PainError(
            f"moment {moment!r} is not one of {', '.join(MOMENTS)}", key="moment", value=moment
        )
    if day > today:
        raise PainError(f"{day} is in the future (today is {today})", key="future", day=day)


def check_symptom(kind: str, day: date, today: date) -> None:
    if kind not in SYMPTOMS:
        raise PainError(
            f"symptom {kind!r} is not one of {', '.join(SYMPTOMS)}", key="symptom", value=kind
        )
    if day > today:
        raise PainError(f"{day} is in the future (today is {today})", key="future", day=day)


def light(score: int, green_max: int, yellow_max: int) -> str:
    return "green" if score <= green_max else "yellow" if score <= yellow_max else "red"


BASELINE_DAYS = 7  # the baseline is the median morning pain of the 7 days before


@dataclass(frozen=True)
class Unsettled:
    """Yellow pain after a run, and the next morning above baseline (``morning`` None:
    the morning was not logged, so nobody can tell)."""

    athlete_id: str
    run_day: date
    score: int
    morning_day: date
    morning: float | None
    baseline: float


def unsettled(pain: pl.DataFrame, green_max: int, yellow_max: int, as_of: date) -> list[Unsettled]:
    import polars as pl  # only the guard's pass needs it; logging a score does not

    yellow = pain.filter(
        pl.col("moment").is_in(["during", "after"])
        & (pl.col("score") > green_max)
        & (pl.col("score") <= yellow_max)
    )
    mornings = pain.filter(pl.col("moment") == "morning")
    out = []
    for y in yellow.iter_rows(named=True):
        next_day = y["day"] + timedelta(days=1)
        mine = mornings.filter(pl.col("athlete_id") == y["athlete_id"])
        that = mine.filter(pl.col("day") == next_day)["score"]
        window = (pl.col("day") < next_day) & (
            pl.col("day") >= next_day - timedelta(days=BASELINE_DAYS)
        )
        before = mine.filter(window)["score"].to_list()
        baseline = float(sorted(before)[len(before) // 2]) if before else float(green_max)
        if len(that) == 0:
            if next_day < as_of:  # the morning has come and gone unlogged
                out.append(
                    Unsettled(y["athlete_id"], y["day"], y["score"], next_day, None, baseline)
                )
        elif max(that.to_list()) > baseline:
            worst = float(max(that.to_list()))
            out.append(Unsettled(y["athlete_id"], y["day"], y["score"], next_day, worst, baseline))
    return out
