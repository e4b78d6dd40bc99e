"""Run/walk structure from a speed stream."""

from __future__ import annotations

import numpy as np

from loadguard.contract import Streams
from loadguard.guard.runwalk import analyse


def stream(speed: list[float], dt: float = 1.0) -> Streams:
    arr = np.asarray(speed, dtype=np.float64)
    return Streams({"t": np.arange(len(arr)) * dt, "speed_mps": arr})


def test_one_minute_run_two_minutes_walk_is_found_as_bouts() -> None:
    speed = ([2.8] * 60 + [1.4] * 120) * 5
    rw = analyse(stream(speed))
    assert rw is not None
    assert (rw.run_bouts, rw.walk_bouts) == (5, 5)
    assert abs(rw.longest_run_s - 60) <= 3
    assert abs(rw.run_s - 300) <= 10


def test_continuous_running_is_one_bout() -> None:
    rw = analyse(stream([2.9] * 1800))
    assert rw is not None
    assert (rw.run_bouts, rw.walk_bouts) == (1, 0)
    assert rw.longest_run_s >= 1795


def test_a_five_second_slowdown_does_not_split_a_run() -> None:
    rw = analyse(stream([2.8] * 300 + [1.0] * 5 + [2.8] * 300))
    assert rw is not None
    assert rw.run_bouts == 1


def test_a_stream_without_speed_has_no_structure() -> None:
    assert analyse(Streams({"t": np.arange(10.0)})) is None
    assert analyse(None) is None
    assert analyse(stream([float("nan")] * 50)) is None
