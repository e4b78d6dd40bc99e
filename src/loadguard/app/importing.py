"""Reading runs in: a connector's records through the normaliser into the store, a batch
going on past a bad item; re-exported by :mod:`loadguard.app.service`, the one front."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from loadguard.app.reading import normaliser
from loadguard.contract import (
    DROPPED,
    NAMED_GEAR,
    Athlete,
    ConnectorError,
    FetchFailure,
    NotAnActivity,
    RawRecord,
)
from loadguard.guard import metrics
from loadguard.sources import anyfile, registry
from loadguard.sources.normalise import Normalised
from loadguard.sources.plausible import Held
from loadguard.store import activities as stored
from loadguard.store.db import Store

log = logging.getLogger("loadguard.import")


@dataclass
class ImportSummary:
    seen: int = 0
    new: int = 0
    unchanged: int = 0
    activities: int = 0
    runs: int = 0
    duplicates: int = 0
    bytes: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    not_activities: list[tuple[str, str]] = field(default_factory=list)  # skipped, kept
    salvaged: list[tuple[str, str]] = field(default_factory=list)  # kept, part dropped: why
    held: list[tuple[str, Held]] = field(default_factory=list)  # stored, held for review: why

    def add(self, other: ImportSummary) -> None:
        """Count another import's figures into this one."""
        for name in ("seen", "new", "unchanged", "activities", "runs", "duplicates", "bytes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failed.extend(other.failed)
        self.not_activities.extend(other.not_activities)
        self.salvaged.extend(other.salvaged)
        self.held.extend(other.held)


Progress = Callable[[str, ImportSummary], None]


def import_from(
    store: Store,
    athlete: Athlete,
    target: str,
    *,
    source: str = anyfile.AUTO,
    progress: Progress | None = None,
) -> ImportSummary:
    """Read everything ``target`` holds through a connector into the store (``auto``:
    each file through the connector for its kind, an export through its reader).

    Unchanged items are skipped by content key; a bad item is recorded as a
    failure (listed, retryable) and the batch goes on.
    """
    summary = ImportSummary()
    read = normaliser(store, athlete)
    shoes = {shoe.name for shoe in store.shoes(athlete.id)}
    with store.batch() as wrote:
        if source == anyfile.AUTO:
            fetched = anyfile.fetch(target)
        else:
            fetched = registry.connector(source).fetch(target)
        for raw in _fresh(store, athlete, fetched, summary, progress):
            try:
                result = read(raw)
            except NotAnActivity as exc:  # kept (so never read again), counted, no failure
                summary.not_activities.append((raw.origin, str(exc)))
                stored.store_raw_with_activities(store, athlete.id, raw, [])
                with store.atomic():
                    store.clear_failure(athlete.id, raw.source, raw.origin)
            except ConnectorError as exc:
                summary.failed.append((raw.origin, str(exc)))
                with store.atomic():
                    store.record_failure(athlete.id, raw.source, raw.origin, str(exc), raw.key)
            except Exception as bug:  # a fault of ours reading it: this file fails, not the batch
                log.debug("reading %s failed", raw.origin, exc_info=True)  # --verbose shows it
                why = f"loadguard could not read it ({type(bug).__name__}: {bug}); please report it"
                summary.failed.append((raw.origin, why))
                with store.atomic():
                    store.record_failure(athlete.id, raw.source, raw.origin, why, raw.key)
            else:
                _add_named_shoes(store, athlete, result, shoes)
                dropped = {
                    str(p.activity.extras[DROPPED]) for p in result if DROPPED in p.activity.extras
                }
                summary.salvaged.extend((raw.origin, why) for why in sorted(dropped))
                summary.held.extend((raw.origin, p.held) for p in result if p.held)
                written = stored.store_raw_with_activities(store, athlete.id, raw, result)
                summary.new += 1
                summary.activities += len(written)
                summary.duplicates += sum(1 for w in written if w.duplicate_of is not None)
                summary.runs += sum(1 for p in result if p.activity.sport == metrics.RUNNING)
            wrote(len(raw.payload))
            if progress:
                progress(raw.origin, summary)
    return summary


def _add_named_shoes(store: Store, athlete: Athlete, result: Normalised, known: set[str]) -> None:
    """A shoe for each shoe an export named that the athlete does not have yet, so its runs
    count on it (:data:`loadguard.contract.NAMED_GEAR`)."""
    for prepared in result:
        gear = prepared.activity.gear_id or ""
        name = gear.removeprefix(NAMED_GEAR).strip()
        if gear.startswith(NAMED_GEAR) and name and name not in known:
            store.add_shoe(athlete.id, name)
            known.add(name)


def _fresh(
    store: Store,
    athlete: Athlete,
    items: Iterator[RawRecord | FetchFailure],
    summary: ImportSummary,
    progress: Progress | None,
) -> Iterator[RawRecord]:
    """The fetched records not stored yet; failures to fetch and unchanged ones are counted."""
    for item in items:
        summary.seen += 1
        if isinstance(item, FetchFailure):
            summary.failed.append((item.origin, item.reason))
            with store.atomic():
                store.record_failure(athlete.id, item.source, item.origin, item.reason, None)
        elif stored.has_raw(store, athlete.id, item.source, item.key):
            summary.bytes += len(item.payload)
            summary.unchanged += 1
            with store.atomic():
                store.clear_failure(athlete.id, item.source, item.origin)
        else:
            summary.bytes += len(item.payload)
            yield item
            continue
        if progress:
            progress(item.origin, summary)


def retry_failures(
    store: Store, athlete: Athlete, *, progress: Progress | None = None
) -> ImportSummary:
    """Import again every place a failure came from (a zip member retries its zip)."""
    total = ImportSummary()
    targets = sorted({(f.source, f.origin.split("!", 1)[0]) for f in store.failures(athlete.id)})
    for source, target in targets:
        known = source in registry.available()  # else an archive's reader or the auto walk
        how = source if known else anyfile.AUTO
        total.add(import_from(store, athlete, target, source=how, progress=progress))
    return total
