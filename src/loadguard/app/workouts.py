"""The plan out to the watch and the calendar: the next sessions as workouts (FIT files a
Garmin takes from its ``NewFiles`` folder, or any connector that writes workouts) and as
a private iCal feed. Both are made from the guard's report of the day, so a stage held,
stepped back or moved on changes them the next time they are asked for.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from loadguard.contract import Athlete
from loadguard.guard.sessions import Session, next_sessions, plan_week
from loadguard.i18n import number, say, word
from loadguard.sources import registry
from loadguard.store import activities as stored
from loadguard.store import calendars
from loadguard.store.db import Store, StoreError
from loadguard.workouts import MAX_WEEKS, Step, Workout, WorkoutWriter

MANIFEST = ".loadguard-workouts"  # the files the last run wrote into a folder


@dataclass(frozen=True)
class Planned:
    session: Session
    workout: Workout


def planned(
    store: Store, athlete: Athlete, weeks: int, language: str, as_of: date | None = None
) -> list[Planned]:
    """The next ``weeks`` weeks of sessions from ``as_of`` (today), in the stage the guard
    finds the runner in today."""
    from loadguard.app import service

    if not 1 <= weeks <= MAX_WEEKS:
        raise StoreError(f"--weeks must be 1 to {MAX_WEEKS}, got {weeks}", key="weeks")
    day = as_of or service.today(athlete)
    report = service.check(store, athlete, day)
    next_week = athlete.plan_start + timedelta(days=7 * max(1, plan_week(athlete.plan_start, day)))
    coming = service.check(store, athlete, max(next_week, day))
    window = report.plan.schedule.window_days if report.plan.schedule else 30
    since = datetime.combine(day - timedelta(days=window), datetime.min.time(), tzinfo=UTC)
    sessions = next_sessions(
        report.plan,
        athlete.plan_start,
        day,
        report.stage_week,
        coming.stage_week,
        held=coming.stage_reason.startswith("held"),
        weeks=weeks,
        longest_recent_s=stored.longest_run_s(store, athlete.id, since),
    )
    return [Planned(s, workout(s, language)) for s in sessions]


def _minutes(seconds: float, language: str) -> str:
    minutes = seconds / 60
    return number(minutes, language, 0 if minutes.is_integer() else 1)


def ground(session: Session, language: str) -> str:
    """The stage's ground as words: "gravel or grass"; "any ground" once paved is free;
    "mixed, at most half paved" while the plan brings it in."""
    stage = session.stage
    if stage.hard_share_max >= 1:
        return say(language, "workouts.any_ground")
    if stage.hard_share_max > 0:
        share = number(stage.hard_share_max * 100, language)
        return say(language, "workouts.mixed_ground", share=share)
    names = [word(language, s) for s in stage.surfaces]
    if len(names) <= 1:
        return "".join(names)
    return say(language, "workouts.either", first=", ".join(names[:-1]), last=names[-1])


def workout(session: Session, language: str) -> Workout:
    """A planned session in the runner's words, steps labelled for the watch."""
    walk, run = say(language, "workouts.walk"), say(language, "workouts.run")
    warmup = Step("warmup", session.warmup_s, walk) if session.warmup_s else None
    cooldown = Step("cooldown", session.cooldown_s, walk) if session.cooldown_s else None
    total = _minutes(session.total_s, language)
    where = ground(session, language)
    if session.continuous_s is not None:
        length = _minutes(session.continuous_s, language)
        name = say(language, "workouts.name_continuous", minutes=length)
        title = say(language, "workouts.title_continuous", minutes=total, ground=where)
        interval: tuple[Step, ...] = (Step("active", session.continuous_s, run),)
    else:
        assert session.run_s is not None
        assert session.walk_s is not None
        ratio = {
            "run": _minutes(session.run_s, language),
            "walk": _minutes(session.walk_s, language),
        }
        name = say(language, "workouts.name_runwalk", **ratio)
        title = say(language, "workouts.title_runwalk", minutes=total, ground=where, **ratio)
        interval = (Step("active", session.run_s, run), Step("rest", session.walk_s, walk))
    return Workout(
        day=session.day,
        name=name,
        title=title,
        notes=where,
        warmup=warmup,
        interval=interval,
        repeats=session.repeats,
        cooldown=cooldown,
        plan_week=session.plan_week,
        stage=session.stage.translated.get(language, session.stage.name),
    )


def describe(planned: Planned, language: str) -> list[str]:
    """The session step by step, as a calendar entry or a page lists it."""
    w = planned.workout
    lines = []
    if w.warmup and w.warmup.seconds:
        lines.append(say(language, "workouts.warmup", minutes=_minutes(w.warmup.seconds, language)))
    steps = ", ".join(f"{s.label} {_minutes(s.seconds or 0, language)} min" for s in w.interval)
    lines.append(say(language, "workouts.repeat", count=w.repeats, steps=steps))
    if w.cooldown and w.cooldown.seconds:
        lines.append(
            say(language, "workouts.cooldown", minutes=_minutes(w.cooldown.seconds, language))
        )
    lines.append(say(language, "workouts.where", ground=w.notes))
    lines.append(say(language, "workouts.week", week=w.plan_week, stage=w.stage))
    return lines


def writer(kind: str) -> WorkoutWriter:
    """The connector that writes workouts as ``kind`` files."""
    found = registry.connector(kind)
    if not isinstance(found, WorkoutWriter):
        raise StoreError(f"the {kind} connector does not write workouts", key="workout_kind")
    return found


def file_name(workout: Workout, suffix: str) -> str:
    """``2026-12-07-run-walk-2-1.fit``: the day first, so a folder lists them in order."""
    slug = re.sub(r"[^a-z0-9]+", "-", workout.name.lower().encode("ascii", "ignore").decode())
    return f"{workout.day.isoformat()}-{slug.strip('-') or 'run'}{suffix}"


def write_workouts(plans: list[Planned], folder: Path, kind: str = "fit") -> list[Path]:
    """The sessions as files in ``folder`` (a watch's GARMIN/NewFiles); files an earlier
    run wrote that are no longer planned (the stage changed) are removed."""
    make = writer(kind)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for p in plans:
        path = folder / file_name(p.workout, make.workout_suffix)
        path.write_bytes(make.encode_workout(p.workout))
        written.append(path)
    manifest = folder / MANIFEST
    before = manifest.read_text("utf-8").split("\n") if manifest.exists() else []
    keep = {p.name for p in written}
    for name in before:
        old = folder / name
        if name and name not in keep and old.parent == folder and old.is_file():
            old.unlink()
    manifest.write_text("\n".join(sorted(keep)), "utf-8")
    return written


# -- the private calendar feed ------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed(store: Store, athlete: Athlete) -> str:
    """A new private feed token for the athlete (shown once); the old one stops working."""
    token = secrets.token_urlsafe(24)
    calendars.replace_feed(store, athlete.id, _hash(token))
    return token


def revoke_feed(store: Store, athlete: Athlete) -> bool:
    return calendars.revoke_feed(store, athlete.id)


def feed_owner(store: Store, token: str) -> Athlete | None:
    """The athlete whose feed this token opens (None: no such feed, or revoked)."""
    athlete_id = calendars.feed_athlete(store, _hash(token))
    return None if athlete_id is None else store.athlete(athlete_id)
