"""Run/walk structure of one activity from its speed stream (pure numpy).

Each sample is *running* when its smoothed speed is at or above a threshold
(2.0 m/s, about 8:20 min/km, is a convention: brisk walking tops out near
1.8-1.9 m/s), else *walking*. Bouts shorter than ``min_bout_s`` are folded
into their neighbours so a stumble or a GPS glitch does not split a bout.
Gaps in the timeline longer than ``max_gap_s`` (auto-pause) end a bout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loadguard.contract import Streams

RUN_SPEED_MPS = 2.0


@dataclass(frozen=True)
class RunWalk:
    run_s: float
    walk_s: float
    run_bouts: int
    walk_bouts: int
    longest_run_s: float


def _smooth(speed: np.ndarray, window: int) -> np.ndarray:
    filled = np.where(np.isfinite(speed), speed, 0.0)
    if window <= 1 or len(filled) < window:
        return filled
    left = window // 2
    padded = np.pad(filled, (left, window - 1 - left), mode="edge")
    return np.convolve(padded, np.ones(window) / window, mode="valid")


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


def analyse(
    streams: Streams | None,
    *,
    run_speed_mps: float = RUN_SPEED_MPS,
    min_bout_s: float = 15.0,
    max_gap_s: float = 10.0,
) -> RunWalk | None:
    """The structure of one activity, or None when it has no usable speed stream."""
    if streams is None:
        return None
    t, speed = streams.get("t"), streams.get("speed_mps")
    if t is None or speed is None or len(t) < 2 or not np.isfinite(speed).any():
        return None
    t = np.asarray(t, dtype=np.float64)
    gaps = np.diff(t, prepend=t[0])
    breaks = gaps > max_gap_s
    dt = np.where(breaks, 0.0, gaps)  # time in an auto-pause counts for neither
    median_dt = float(np.median(gaps[1:])) if len(gaps) > 1 else 1.0
    window = max(1, round(5.0 / max(median_dt, 0.1)))
    running = _smooth(np.asarray(speed, dtype=np.float64), window) >= run_speed_mps
    bouts = _fold_short(_bouts(running, dt, breaks), min_bout_s)
    runs = [s for kind, s in bouts if kind]
    walks = [s for kind, s in bouts if not kind]
    return RunWalk(
        run_s=float(sum(runs)),
        walk_s=float(sum(walks)),
        run_bouts=len(runs),
        walk_bouts=len(walks),
        longest_run_s=float(max(runs, default=0.0)),
    )
