"""Run/walk structure of one activity (pure numpy): from cadence where the file has it,
else from speed.

Running and walking cadence are far apart: people walk at up to about 130 steps/min
and jog at 140 or more, however slowly they move, while a slow rehab jog (1.8-2.0
m/s) is as fast as a brisk walk. So each sample is *running* when its smoothed
cadence is at or above the plan's ``run_cadence_spm`` (140 by default), and only an
activity without a usable cadence stream falls back to speed: running at
``run_speed_mps`` (2.0 m/s, about 8:20 min/km) or faster. Both thresholds live in the
plan file with their source. Bouts shorter than ``min_bout_s`` are folded into their
neighbours so a stumble, a GPS glitch or a cadence drop-out does not split a bout.
Gaps in the timeline longer than ``max_gap_s`` (auto-pause) end a bout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loadguard.contract import Streams

RUN_SPEED_MPS = 2.0
RUN_CADENCE_SPM = 140.0
# A cadence stream is used when at least this share of its samples has a cadence
# (a footpod or wrist sensor that dropped out most of the run is not trusted).
CADENCE_COVERAGE = 0.5


@dataclass(frozen=True)
class RunWalk:
    run_s: float
    walk_s: float
    run_bouts: int
    walk_bouts: int
    longest_run_s: float
    method: str = "speed"  # what told running from walking: "cadence" or "speed"
    # how slowly this runner jogs: the 10th percentile of speed while cadence says running
    jog_mps: float | None = None


def calibrated_speed(
    jog_mps: list[float], plan_mps: float, *, share: float, floor_mps: float, runs: int
) -> float:
    """The speed line for a runner's files without cadence, from their own runs with it:
    ``share`` of their typical slow-jog speed (the median of ``jog_mps``), never above the
    plan's line nor below ``floor_mps`` (brisk walking). Fewer than ``runs`` runs: the
    plan's line."""
    if len(jog_mps) < runs:
        return plan_mps
    return float(min(plan_mps, max(floor_mps, share * float(np.median(jog_mps)))))


def _smooth(speed: np.ndarray, window: int) -> np.ndarray:
    filled = np.where(np.isfinite(speed), speed, 0.0)
    if window <= 1 or len(filled) < window:
        return filled
    left = window // 2
    # padded with the edge values, as np.pad(mode="edge") does, at a fraction of its cost
    padded = np.concatenate(
        (np.full(left, filled[0]), filled, np.full(window - 1 - left, filled[-1]))
    )
    return np.convolve(padded, np.ones(window) / window, mode="valid")


def _median(values: np.ndarray) -> float:
    """``np.median`` of a non-empty float array, the same to the bit (the mean of the two
    middle values when their count is even; NaN when any is NaN), by one partition."""
    n = len(values)
    half = n // 2
    part = np.partition(values, [half - 1, half, -1] if n % 2 == 0 else [half, -1])
    if np.isnan(part[-1]):
        return float("nan")
    if n % 2:
        return float(part[half])
    return float((part[half - 1] + part[half]) / 2)


def _tenth_percentile(values: np.ndarray) -> float:
    """``np.percentile(values, 10)`` of at least two finite values, the same to the bit
    (its linear interpolation between the two nearest ranks), by one partition."""
    virtual = (len(values) - 1) * (10 / 100)
    lower = int(np.floor(virtual))
    gamma = virtual - lower
    part = np.partition(values, [lower, lower + 1])
    a, b = part[lower], part[lower + 1]
    diff = b - a
    return float(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)


def _bouts(running: np.ndarray, dt: np.ndarray, breaks: np.ndarray) -> list[tuple[bool, float]]:
    """Consecutive samples of one kind, as (is_running, seconds)."""
    change = np.flatnonzero((running[1:] != running[:-1]) | breaks[1:]) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [len(running)]))
    sums = np.add.reduceat(dt, starts) if len(dt) else np.array([])
    return [
        (bool(running[s]), float(d)) for s, e, d in zip(starts, ends, sums, strict=True) if e > s
    ]


def _fold_short(bouts: list[tuple[bool, float]], min_bout_s: float) -> list[tuple[bool, float]]:
    merged: list[tuple[bool, float]] = []
    for kind, seconds in bouts:
        if merged and (seconds < min_bout_s or merged[-1][0] == kind):
            prev_kind, prev_s = merged[-1]
            merged[-1] = (prev_kind, prev_s + seconds)
        else:
            merged.append((kind, seconds))
    return merged


def _cadence(streams: Streams) -> np.ndarray | None:
    """The cadence stream in steps/min when enough of it is there, else None."""
    cadence = streams.get("cadence_spm")
    if cadence is None or len(cadence) == 0:
        return None
    values = np.asarray(cadence, dtype=np.float64)
    measured = np.isfinite(values) & (values > 0)
    return values if measured.mean() >= CADENCE_COVERAGE else None


def analyse(
    streams: Streams | None,
    *,
    run_cadence_spm: float = RUN_CADENCE_SPM,
    run_speed_mps: float = RUN_SPEED_MPS,
    min_bout_s: float = 15.0,
    max_gap_s: float = 10.0,
    want_bouts: list[tuple[bool, float]] | None = None,
) -> RunWalk | None:
    """The structure of one activity, or None when it has neither a usable cadence nor
    a usable speed stream. ``want_bouts`` (a list) receives the bouts in order:
    (running?, seconds), pauses left out (a chart of the run draws them)."""
    if streams is None:
        return None
    t = streams.get("t")
    if t is None or len(t) < 2:
        return None
    cadence, speed = _cadence(streams), streams.get("speed_mps")
    if cadence is None and (speed is None or not np.isfinite(speed).any()):
        return None
    t = np.asarray(t, dtype=np.float64)
    gaps = np.empty_like(t)  # np.diff(t, prepend=t[0]), without its overhead
    gaps[0] = t[0] - t[0]
    np.subtract(t[1:], t[:-1], out=gaps[1:])
    breaks = gaps > max_gap_s
    dt = np.where(breaks, 0.0, gaps)  # time in an auto-pause counts for neither
    median_dt = _median(gaps[1:]) if len(gaps) > 1 else 1.0
    window = max(1, round(5.0 / max(median_dt, 0.1)))
    jog = None
    if cadence is not None:
        method, running = "cadence", _smooth(cadence, window) >= run_cadence_spm
        if speed is not None:
            moving = _smooth(np.asarray(speed, dtype=np.float64), window)[running]
            moving = moving[np.isfinite(moving) & (moving > 0)]
            jog = _tenth_percentile(moving) if len(moving) >= 60 else None
    else:
        assert speed is not None
        method = "speed"
        running = _smooth(np.asarray(speed, dtype=np.float64), window) >= run_speed_mps
    bouts = _fold_short(_bouts(running, dt, breaks), min_bout_s)
    if want_bouts is not None:
        want_bouts.extend(bouts)
    runs = [s for kind, s in bouts if kind]
    walks = [s for kind, s in bouts if not kind]
    return RunWalk(
        run_s=float(sum(runs)),
        walk_s=float(sum(walks)),
        run_bouts=len(runs),
        walk_bouts=len(walks),
        longest_run_s=float(max(runs, default=0.0)),
        method=method,
        jog_mps=jog,
    )
