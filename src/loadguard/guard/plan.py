"""Rehab plans as data: TOML files under ``config/plans/``, validated on load.

A second plan is a second TOML file; no code changes. A wrong file raises
:class:`PlanError` naming the file, the key and the problem.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from loadguard.checked import CheckError, convert, keyed

Grade = Literal["plan", "study", "convention"]
SurfaceClass = Literal["grass", "gravel", "trail", "track", "paved", "treadmill", "unknown"]
HARD_SURFACES: frozenset[str] = frozenset({"paved"})

Positive = Annotated[float, Meta(gt=0)]
Share = Annotated[float, Meta(ge=0, le=1)]


class PlanError(Exception):
    """A plan file is missing or wrong; the message names the file and key."""


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A table of the plan file: unknown keys refused, not changed once read."""


class Source(_Strict, frozen=True, kw_only=True):
    grade: Grade
    source: Annotated[str, Meta(min_length=1)]  # in English
    translated: dict[str, str] = {}  # the same, in other languages ("da")

    def text(self, language: str) -> str:
        """The source in ``language`` where the plan gives it, else in English."""
        return self.translated.get(language, self.source)


class Stage(_Strict, frozen=True, kw_only=True):
    name: str
    translated: dict[str, str] = {}  # the name in other languages ("da")
    weeks: tuple[int, int]
    run_s: Positive | None = None
    walk_s: Positive | None = None
    session_min: tuple[Positive, Positive] | None = None
    surfaces: tuple[SurfaceClass, ...]
    hard_share_max: Share
    evidence: str

    def __post_init__(self) -> None:
        first, last = self.weeks
        if first < 1 or last < first:
            raise ValueError(
                f"weeks must be [first, last] with 1 <= first <= last, got {self.weeks}"
            )
        if (self.run_s is None) != (self.walk_s is None):
            raise ValueError("run_s and walk_s go together: give both or neither")
        if self.session_min and self.session_min[0] > self.session_min[1]:
            raise ValueError(f"session_min must be [shortest, longest], got {self.session_min}")

    @property
    def is_run_walk(self) -> bool:
        return self.run_s is not None


# A share of increase: bounded at +1,000 % (1e308 would overflow every sum it enters).
Increase = Annotated[float, Meta(gt=0, le=10)]


class _Increases(_Strict, frozen=True, kw_only=True):
    """A cap on growth: past ``increase_max`` a warning, past ``critical_over`` critical."""

    increase_max: Increase
    critical_over: Increase

    def __post_init__(self) -> None:
        if self.critical_over < self.increase_max:
            raise ValueError(
                f"critical_over ({self.critical_over}) must not be below increase_max"
                f" ({self.increase_max})"
            )


class WeeklyCap(_Increases, frozen=True, kw_only=True):
    from_week: Annotated[int, Meta(ge=1, le=520)]
    min_previous_km: Annotated[float, Meta(ge=0, le=1000)]
    evidence: str


class SessionSpike(_Increases, frozen=True, kw_only=True):
    window_days: Annotated[int, Meta(ge=1, le=365)]
    evidence: str


class SessionLimits(_Strict, frozen=True, kw_only=True):
    grace_s: Annotated[float, Meta(ge=0)]
    critical_factor: Annotated[float, Meta(gt=1)]
    interval_grace_s: Annotated[float, Meta(ge=0)]
    interval_critical_factor: Annotated[float, Meta(gt=1)]
    evidence: str


class ShoeWear(_Strict, frozen=True, kw_only=True):
    warn_km: Annotated[float, Meta(gt=0, le=10_000)]
    retire_km: Annotated[float, Meta(gt=0, le=10_000)]
    evidence: str


class ShoeProfile(_Strict, frozen=True, kw_only=True):
    heel_stack_mm: tuple[float, float]
    drop_mm: tuple[float, float]
    minimalist: bool
    evidence: str

    def __post_init__(self) -> None:
        for name, (low, high) in (("heel_stack_mm", self.heel_stack_mm), ("drop_mm", self.drop_mm)):
            if not 0 <= low <= high <= 60:
                raise ValueError(
                    f"{name} must be [lowest, highest] within 0-60 mm, got {[low, high]}"
                )


class Pain(_Strict, frozen=True, kw_only=True):
    green_max: Annotated[int, Meta(ge=0, le=10)]
    yellow_max: Annotated[int, Meta(ge=0, le=10)]
    evidence: str

    def __post_init__(self) -> None:
        if self.green_max > self.yellow_max:
            raise ValueError(
                f"green_max ({self.green_max}) is above yellow_max ({self.yellow_max})"
            )


class Acwr(_Strict, frozen=True, kw_only=True):
    acute_days: Annotated[int, Meta(ge=1)]
    chronic_days: Annotated[int, Meta(ge=1)]
    high: Positive
    low: Positive
    evidence: str


class SurfaceData(_Strict, frozen=True, kw_only=True):
    unknown_share: Share
    evidence: str


class PavedFloor(_Strict, frozen=True, kw_only=True):
    """Paved ground in a soft-ground week counts only when a run has at least ``min_m``
    metres and ``min_share`` of its distance on it: a road crossing does not."""

    min_m: Annotated[float, Meta(ge=0)]
    min_share: Share
    evidence: str


class Inactive(_Strict, frozen=True, kw_only=True):
    """No run for ``days`` days is said (info), so a coach sees it rather than GREEN."""

    days: Annotated[int, Meta(ge=1)]
    evidence: str


class RunWalkLimits(_Strict, frozen=True, kw_only=True):
    """What tells running from walking: cadence where the file has it, else speed."""

    run_cadence_spm: Annotated[float, Meta(gt=0, le=300)]
    run_speed_mps: Positive
    # the speed line per runner, from their own runs with cadence (see runwalk.calibrated_speed)
    calibration_runs: Annotated[int, Meta(ge=1)] = 3
    calibration_share: Share = 0.9
    speed_floor_mps: Positive = 1.4
    evidence: str


class Schedule(_Strict, frozen=True, kw_only=True):
    """When the planned sessions fall: ``days`` counts from a plan week's first day (0-6),
    each session opening with a walk of ``warmup_s``; a continuous run grows by
    ``growth`` a week from the longest run of the last ``window_days``, or starts at
    ``first_continuous_min`` without one."""

    days: Annotated[tuple[int, ...], Meta(min_length=1, max_length=7)]
    warmup_s: Annotated[float, Meta(ge=0, le=1800)]
    growth: Annotated[float, Meta(ge=0, le=0.5)]
    window_days: Annotated[int, Meta(ge=1, le=90)]
    first_continuous_min: Positive
    evidence: str

    def __post_init__(self) -> None:
        if sorted(set(self.days)) != list(self.days) or not all(0 <= d <= 6 for d in self.days):
            raise ValueError(f"days must be distinct days 0-6 in order, got {list(self.days)}")


class Plan(_Strict, frozen=True, kw_only=True):
    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    translated: dict[str, str] = {}  # the title in other languages ("da")
    weeks: Annotated[int, Meta(ge=1, le=520)]
    sources: dict[str, Source]
    stages: Annotated[tuple[Stage, ...], Meta(min_length=1)]
    weekly_cap: WeeklyCap
    session_spike: SessionSpike
    session: SessionLimits
    shoes: ShoeWear
    shoe_profile: ShoeProfile
    pain: Pain
    acwr: Acwr
    surface_data: SurfaceData
    paved_floor: PavedFloor | None = None  # None: every paved metre counts
    inactive: Inactive | None = None  # None: no word on a long break
    runwalk: RunWalkLimits | None = None  # None: the run/walk analysis' own defaults
    schedule: Schedule | None = None  # None: no planned sessions (no workouts, no calendar)

    def __post_init__(self) -> None:
        expected = 1
        for i, stage in enumerate(self.stages):
            if stage.weeks[0] != expected:
                raise ValueError(
                    f"stages[{i}] ({stage.name!r}) starts in week {stage.weeks[0]}, "
                    f"expected week {expected}: stages must cover the plan's weeks without gaps"
                )
            expected = stage.weeks[1] + 1
        if expected - 1 != self.weeks:
            raise ValueError(
                f"stages end in week {expected - 1} but the plan has {self.weeks} weeks"
            )
        for where, key in self._evidence_keys():
            if key not in self.sources:
                raise ValueError(f"{where}.evidence = {key!r} is not one of [sources.*]")
        if self.shoes.warn_km >= self.shoes.retire_km:
            raise ValueError("shoes.warn_km must be below shoes.retire_km")
        if self.weekly_cap.from_week > self.weeks + 1:
            raise ValueError(
                f"weekly_cap.from_week ({self.weekly_cap.from_week}) is after the plan's"
                f" {self.weeks} weeks"
            )

    def _evidence_keys(self) -> list[tuple[str, str]]:
        keys = [(f"stages[{i}]", s.evidence) for i, s in enumerate(self.stages)]
        for name in (
            "weekly_cap",
            "session_spike",
            "session",
            "shoes",
            "shoe_profile",
            "pain",
            "acwr",
        ):
            keys.append((name, getattr(self, name).evidence))
        if self.paved_floor is not None:
            keys.append(("paved_floor", self.paved_floor.evidence))
        if self.inactive is not None:
            keys.append(("inactive", self.inactive.evidence))
        if self.schedule is not None:
            keys.append(("schedule", self.schedule.evidence))
        if self.runwalk is not None:
            keys.append(("runwalk", self.runwalk.evidence))
        return keys

    def stage_for_week(self, plan_week: int) -> Stage | None:
        """The stage of a plan week; the last stage carries on after the plan ends; None before."""
        if plan_week < 1:
            return None
        for stage in self.stages:
            if stage.weeks[0] <= plan_week <= stage.weeks[1]:
                return stage
        return self.stages[-1]

    def title_in(self, language: str) -> str:
        return self.translated.get(language, self.title)

    def stage_name_in(self, name: str, language: str) -> str:
        """A stage's name in ``language`` (the plan's translation, else as written)."""
        stage = next((s for s in self.stages if s.name == name), None)
        return stage.translated.get(language, name) if stage else name

    def evidence(self, key: str) -> Source:
        return self.sources[key]


def default_plans_dir() -> Path:
    """``LOADGUARD_PLANS`` if set, else the settings' plans.dir, else the project's ``config/plans``."""
    env = os.environ.get("LOADGUARD_PLANS")
    if env:
        return Path(env)
    from loadguard import settings  # here, so loading a plan file alone reads no settings

    configured = settings.current().plans.dir
    if configured:
        return configured.expanduser()
    return Path(__file__).resolve().parents[3] / "config" / "plans"


def load_plan_file(path: Path) -> Plan:
    """A plan file, validated; read again only when the file changes."""
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise PlanError(f"plan file {path} does not exist") from None
    return _load_plan_file(path, stamp)


@lru_cache(maxsize=32)
def _load_plan_file(path: Path, stamp: int) -> Plan:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"plan file {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise PlanError(f"plan file {path} is not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"plan file {path} is not valid TOML: {exc}") from None
    try:
        return _checked(data)
    except CheckError as exc:
        raise PlanError(f"plan file {path}: {exc}") from None


def _checked(data: dict[str, Any]) -> Plan:
    """The file as a Plan; its sources are checked one name at a time, so an error names
    the source (``sources.gibbs.grade``)."""
    sources = keyed(data, "sources", Source)
    return convert({**data, "sources": sources}, Plan)


def load_plan(plan_id: str, plans_dir: Path | None = None) -> Plan:
    folder = plans_dir or default_plans_dir()
    path = folder / f"{plan_id}.toml"
    if not path.exists():
        known = ", ".join(available_plans(folder)) or "none"
        raise PlanError(f"no plan {plan_id!r} in {folder} (available: {known})")
    plan = load_plan_file(path)
    if plan.id != plan_id:
        raise PlanError(f"plan file {path}: id = {plan.id!r} does not match the file name")
    return plan


def available_plans(plans_dir: Path | None = None) -> list[str]:
    folder = plans_dir or default_plans_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
