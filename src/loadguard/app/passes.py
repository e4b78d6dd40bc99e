"""The guard's metrics for some athletes on one plan, read from the store: one pass for
one runner's report (:func:`loadguard.app.service.check`), a coach's whole list
(:mod:`loadguard.app.athlete_list`) or everyone (:mod:`loadguard.app.guard_pass`), so
all see the same figures. From :data:`SNAPSHOT_FROM` athletes on, their activities come
from the store's columnar copy (:mod:`loadguard.store.snapshot`), not from SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from loadguard.contract import Athlete
from loadguard.guard import metrics
from loadguard.guard.plan import Plan
from loadguard.store import frames
from loadguard.store.db import Store
from loadguard.store.snapshot import Snapshot

# A coach's list of a few dozen reads SQL (milliseconds); a pass over hundreds the copy.
SNAPSHOT_FROM = 200


def metrics_for(
    store: Store,
    athletes: Sequence[Athlete],
    plan: Plan,
    as_of: date,
    hide: frozenset[str] = frozenset(),
    *,
    since: date | None = None,
) -> metrics.Metrics:
    """Every counted activity, shoe, pain entry, symptom, condition and coach's stage
    change of these athletes, through the metrics; ``hide``: sources left out; ``since``:
    only findings from that day on are wanted (a scheduled pass: see metrics.compute)."""
    ids = [a.id for a in athletes]
    before = None
    if len(ids) >= SNAPSHOT_FROM:
        copy = Snapshot(store)
        if since is None or hide:  # (the copy's sums count every source)
            source = ("source",) if hide else ()
            activities = copy.activities(ids, (*metrics.READ_COLUMNS, *source))
        else:  # the last months of runs, and what the ones before add up to
            activities, before = copy.windowed(
                ids, metrics.READ_COLUMNS, since - metrics.lookback(plan)
            )
        # the athletes in the order their rows come: the metrics need not sort 4.7 M runs
        place = {a: i for i, a in enumerate(copy.order)}
        athletes = sorted(athletes, key=lambda a: place.get(a.id, len(place)))
        ids = [a.id for a in athletes]
    else:
        activities = frames.activities_frame(store, ids)
    if hide:
        activities = activities.filter(~pl.col("source").is_in(sorted(hide)))
    starts = pl.DataFrame(
        {"athlete_id": ids, "plan_start": [a.plan_start for a in athletes]},
        schema={"athlete_id": pl.String, "plan_start": pl.Date},
    )
    return metrics.compute(
        activities,
        starts,
        frames.shoes_frame(store, ids),
        plan,
        as_of,
        fill_weeks=since is None,  # a window's pass needs no empty weeks, a report does
        since=since,
        pain=frames.pain_frame(store, ids),
        symptoms=frames.symptom_frame(store, ids),
        conditions=frames.conditions_frame(store, ids),
        adjustments=frames.adjustments_frame(store, ids),
        before=before,
    )
