"""Property tests: the cap and spike rules agree with a plain-Python oracle on any history
(the cap's oracle is the plan's recurrence, written out week by week)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from builders import Run, findings, week_day

km = st.floats(min_value=0.5, max_value=40.0, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weekly=st.lists(km, min_size=2, max_size=8))
@example(weekly=[1.0, 1.0, 1.1])  # exactly +10 %: within the cap
@example(weekly=[1.0, 1.0, 1.11])  # +11 %: over it
@example(weekly=[15.7, 15.7, 21.9, 21.9])  # after an overload the cap stays on the trajectory
def test_the_weekly_cap_flags_exactly_the_weeks_over_ten_percent(weekly: list[float]) -> None:
    first = 6
    runs = [Run(first + i, v) for i, v in enumerate(weekly)]
    last_week = first + len(weekly) - 1
    found = findings(runs, week_day(last_week, 6), "weekly_volume_cap")
    expected = []
    cap = None  # the cap of the week before, while the cap applies
    for i in range(1, len(weekly)):
        week, prev, cur = first + i, weekly[i - 1], weekly[i]
        if week < 8 or prev < 1.0:
            cap = None
            continue
        base = prev if cap is None else min(prev, cap)  # after an overload: the trajectory
        change = round((cur / base - 1.0) * 100.0, 6)  # exactly +10 % is within the cap
        if change > 10.0:
            expected.append((week, "critical" if change > 30.0 else "warning"))
        cap = base * 1.1
    assert sorted((f["plan_week"], f["severity"]) for f in found) == sorted(expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=st.lists(
        st.tuples(st.integers(min_value=0, max_value=90), km),
        min_size=1,
        max_size=25,
        unique_by=lambda r: r[0],
    )
)
@example(history=[(0, 1.0), (1, 1.1)])  # exactly +10 %: within the limit, not a spike
def test_a_spike_is_flagged_exactly_when_a_run_beats_the_30_day_longest_by_ten_percent(
    history: list[tuple[int, float]],
) -> None:
    # from plan week 10 on: continuous running, no stage prescription softens a spike
    runs = [Run(10, v, offset_days=day) for day, v in history]
    found = findings(runs, week_day(10, 120), "session_spike")
    expected = []
    for day, v in history:
        before = [w for d, w in history if day - 30 <= d < day]
        change = round((v / max(before) - 1.0) * 100.0, 6) if before else 0.0
        if change > 10.0:
            severity = "critical" if change > 100.0 else "warning"
            expected.append((week_day(10, day), severity))
    assert sorted((f["date"], f["severity"]) for f in found) == sorted(expected)
