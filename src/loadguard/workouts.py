"""Planned sessions as the core hands them to a connector that writes for watches.

The guard plans the next sessions of a runner's stage (:mod:`loadguard.guard.sessions`);
a connector with the :class:`WorkoutWriter` capability turns one into its own format
(the FIT connector: a workout file a Garmin watch takes from its ``NewFiles`` folder).
Like :mod:`loadguard.contract`, this module is part of what a connector may import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol, runtime_checkable

Intensity = Literal["warmup", "active", "rest", "cooldown"]
MAX_WEEKS = 8  # how many weeks of sessions ahead may be planned, written or fed at once


@dataclass(frozen=True)
class Step:
    """One step on the watch: walk or run for ``seconds`` (None: until the lap button)."""

    intensity: Intensity
    seconds: int | None
    label: str  # shown on the watch: "Walk", "Run" (in the runner's language)

    def __post_init__(self) -> None:
        if self.seconds is not None and self.seconds <= 0:
            raise ValueError(f"a step lasts a positive number of seconds, not {self.seconds}")


@dataclass(frozen=True)
class Workout:
    """One planned session: a warm-up, ``repeats`` times the ``interval`` steps (run, walk),
    and a cool-down. ``name`` is what the watch lists (short: watches cut it near 15
    characters); ``title`` the full line a calendar shows; ``notes`` the ground to run on.
    """

    day: date
    name: str
    title: str
    notes: str
    warmup: Step | None
    interval: tuple[Step, ...]
    repeats: int
    cooldown: Step | None
    plan_week: int
    stage: str

    def __post_init__(self) -> None:
        if self.repeats < 1:
            raise ValueError(f"a workout repeats its interval at least once, not {self.repeats}")
        if not self.interval:
            raise ValueError("a workout has at least one step in its interval")

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step in the order it is run, the repeats written out."""
        ends = tuple(s for s in (self.warmup,) if s) + self.interval * self.repeats
        return ends + tuple(s for s in (self.cooldown,) if s)

    @property
    def total_s(self) -> int | None:
        """The session's whole time, or None when a step runs until the lap button."""
        seconds = [s.seconds for s in self.steps]
        return None if None in seconds else sum(s for s in seconds if s is not None)


@runtime_checkable
class WorkoutWriter(Protocol):
    """Optional connector capability: a planned session in the connector's file format."""

    workout_suffix: str  # ".fit"

    def encode_workout(self, workout: Workout) -> bytes: ...
