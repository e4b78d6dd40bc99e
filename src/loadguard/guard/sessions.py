"""The next sessions of a runner's plan (pure): which days, which stage, how long.

The stage in force today (the adaptive stage: held, stepped back or on plan) decides
the first week; each later week moves one plan week on, unless the runner is held,
when the stage repeats until a week is tolerated. A run/walk session lasts from the
stage's shortest session in its first week to its longest in its last; it opens with
a walk (the schedule's ``warmup_s``), repeats run + walk as often as fits and walks
the rest. A continuous session grows by the schedule's ``growth`` a week from the
longest run of the last ``window_days`` (the plan's +10 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from loadguard.guard.plan import Plan, Schedule, Stage

COOLDOWN_MIN_S = 30  # a remainder shorter than this is not worth a step of its own


@dataclass(frozen=True)
class Session:
    """One planned session, in seconds; ``run_s``/``walk_s`` None for a continuous run."""

    day: date
    plan_week: int
    stage_week: int
    stage: Stage
    warmup_s: int
    run_s: int | None
    walk_s: int | None
    repeats: int
    cooldown_s: int
    continuous_s: int | None  # the continuous run's length (None for run/walk)

    @property
    def total_s(self) -> int:
        if self.continuous_s is not None:
            return self.warmup_s + self.continuous_s + self.cooldown_s
        assert self.run_s is not None
        assert self.walk_s is not None
        return self.warmup_s + self.repeats * (self.run_s + self.walk_s) + self.cooldown_s


def plan_week(plan_start: date, day: date) -> int:
    return (day - plan_start).days // 7 + 1


def next_sessions(
    plan: Plan,
    plan_start: date,
    as_of: date,
    stage_week: int,
    next_stage_week: int,
    held: bool,
    weeks: int,
    longest_recent_s: float | None,
) -> list[Session]:
    """The sessions from ``as_of`` (included) for ``weeks`` weeks. ``stage_week`` is the
    stage week in force on ``as_of``; ``next_stage_week`` the one the guard gives the next
    plan week from what is logged so far (pain this week may hold or step it back);
    ``held``: the weeks after that stay there too."""
    schedule = plan.schedule
    if schedule is None or weeks < 1:
        return []
    today_week = max(1, plan_week(plan_start, as_of))
    out: list[Session] = []
    first = max(plan_start, as_of)
    for offset in range(weeks * 7):
        day = first + timedelta(days=offset)
        week = plan_week(plan_start, day)
        if (day - plan_start).days % 7 not in schedule.days:
            continue
        ahead = week - today_week
        if ahead <= 0:
            stage_at = stage_week
        else:
            stage_at = next_stage_week if held else next_stage_week + ahead - 1
        stage = plan.stage_for_week(min(stage_at, plan.weeks)) or plan.stages[-1]
        out.append(_session(schedule, stage, day, week, stage_at, ahead, longest_recent_s))
    return out


def _session(
    schedule: Schedule,
    stage: Stage,
    day: date,
    week: int,
    stage_week: int,
    ahead: int,
    longest_recent_s: float | None,
) -> Session:
    warmup = round(schedule.warmup_s)
    if stage.run_s is None or stage.walk_s is None:
        base = longest_recent_s or schedule.first_continuous_min * 60 + warmup
        grown = base * (1 + schedule.growth) ** max(ahead, 0)
        run = max(60, int(grown - warmup) // 60 * 60)  # whole minutes, never more
        return Session(day, week, stage_week, stage, warmup, None, None, 1, 0, run)
    total = _minutes(stage, stage_week) * 60
    cycle = round(stage.run_s + stage.walk_s)
    repeats = max(1, int(total - warmup) // cycle)
    rest = max(0, int(total - warmup - repeats * cycle))
    run, walk = round(stage.run_s), round(stage.walk_s)
    cooldown = rest if rest >= COOLDOWN_MIN_S else 0
    return Session(day, week, stage_week, stage, warmup, run, walk, repeats, cooldown, None)


def _minutes(stage: Stage, stage_week: int) -> float:
    """The session's length: the stage's shortest in its first week, its longest in its
    last, evenly between."""
    if stage.session_min is None:
        return 30.0
    shortest, longest = stage.session_min
    first, last = stage.weeks
    if last == first:
        return longest
    share = min(max((stage_week - first) / (last - first), 0.0), 1.0)
    return shortest + (longest - shortest) * share
