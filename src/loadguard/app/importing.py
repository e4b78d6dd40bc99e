"""Reading runs in: a connector's records through the normaliser into the store, a batch
going on past a bad item; re-exported by :mod:`loadguard.app.service`, the one front.

Files go through in groups (:data:`GROUP_FILES`, :data:`GROUP_BYTES`): one query asks
which of a group are stored already; its new files are read (for an import of more than
one group in worker processes, :data:`AHEAD` groups ahead of the one being stored: see
:class:`loadguard.sources.normalise.Readers`) and stored in one savepoint (a group that
cannot be stored whole is stored file by file, as each file always was). What is stored
is committed every :data:`COMMIT_S` seconds; only then does progress tick for its files,
so a file reported is a file kept.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from loadguard.app.reading import normaliser
from loadguard.contract import (
    DROPPED,
    NAMED_GEAR,
    RUNNING,
    Athlete,
    ConnectorError,
    FetchFailure,
    NotAnActivity,
    RawRecord,
)
from loadguard.sources import anyfile, registry
from loadguard.sources.normalise import Fault, Normalised, Outcome, Readers, outcome
from loadguard.sources.plausible import Held
from loadguard.store import activities as stored
from loadguard.store.db import Store

log = logging.getLogger("loadguard.import")

# A group of files is looked up, read and stored together.
GROUP_FILES = 64
GROUP_BYTES = 16 * 1024 * 1024
# Groups being read by worker processes while one is stored, and the most bytes they hold.
AHEAD = 3
AHEAD_BYTES = 2 * GROUP_BYTES
# A commit costs a sync of the file (10-20 ms here): one at most this often, and at the end.
COMMIT_S = 0.5


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
Item = RawRecord | FetchFailure


@dataclass
class _Group:
    """Items in the order fetched: which are stored already (``known``), which repeat a
    record read earlier in this import (``again``: looked up once that one is stored),
    and the outcomes of reading the rest."""

    items: list[Item]
    known: set[int]
    again: set[int]
    outcomes: Callable[[], list[Outcome]]

    @property
    def size(self) -> int:
        return sum(len(r.payload) for r in self.items if isinstance(r, RawRecord))

    def fresh(self) -> list[int]:
        skip = self.known | self.again
        return [i for i, r in enumerate(self.items) if isinstance(r, RawRecord) and i not in skip]


@dataclass
class _Done:
    """What became of one item: 'failed', 'unchanged', 'skipped' (not an activity) or
    'new' (with what it held and what was stored of it)."""

    kind: str
    reason: str = ""
    result: Normalised = field(default_factory=list)
    written: list[stored.StoredActivity] = field(default_factory=list)


def import_from(
    store: Store,
    athlete: Athlete,
    target: str,
    *,
    source: str = anyfile.AUTO,
    progress: Progress | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> ImportSummary:
    """Read everything ``target`` holds through a connector into the store (``auto``:
    each file through the connector for its kind, an export through its reader).

    Unchanged items are skipped by content key; a bad item is recorded as a
    failure (listed, retryable) and the batch goes on. ``meanwhile``: work for this
    process once worker processes have new files to read ahead of it (the command line
    loads the guard it runs afterwards), done at most once, and only then.
    """
    read = normaliser(store, athlete)
    # max_bytes=1: the batch commits whenever told (see _Import.settle)
    with store.batch(max_bytes=1) as commit, Readers(read) as readers:
        run = _Import(store, athlete, read, readers, commit, progress)
        if source == anyfile.AUTO:
            fetched = anyfile.fetch(target)
        else:
            fetched = registry.connector(source).fetch(target)
        pending: deque[_Group] = deque()
        for items, more in _groups(fetched):
            if more:  # more than one group: worth reading beside this process, from the first
                readers.parallel()
            pending.append(run.planned(items, pending))
            if meanwhile is not None and len(pending) > AHEAD and readers.reading_ahead:
                meanwhile()
                meanwhile = None
            while pending and (
                not readers.forked  # read here: nothing to gain holding a group's bytes
                or len(pending) > AHEAD
                or sum(g.size for g in pending) > AHEAD_BYTES
            ):
                run.finish(pending.popleft())
        while pending:
            run.finish(pending.popleft())
        run.settle(at_end=True)
    return run.summary


def _groups(items: Iterable[Item]) -> Iterator[tuple[list[Item], bool]]:
    """The items in groups, each with whether more items follow it (looked at one item
    ahead, so the workers start before a second group is read)."""
    group: list[Item] = []
    held = 0
    for item in items:
        if group and (len(group) >= GROUP_FILES or held >= GROUP_BYTES):
            yield group, True
            group, held = [], 0
        group.append(item)
        held += len(item.payload) if isinstance(item, RawRecord) else 0
    if group:
        yield group, False


class _Import:
    """One import's state: the athlete's reader and shoes, the summary, the progress."""

    def __init__(
        self,
        store: Store,
        athlete: Athlete,
        read: Callable[[RawRecord], Normalised],
        readers: Readers,
        commit: Callable[[int], None],
        progress: Progress | None,
    ) -> None:
        self.store, self.athlete, self.read, self.readers = store, athlete, read, readers
        self.commit, self.progress = commit, progress
        self.summary = ImportSummary()
        self.shoes = {shoe.name for shoe in store.shoes(athlete.id)}
        self.unsettled: list[tuple[Item, _Done]] = []  # stored, not committed yet
        self.committed = time.monotonic()

    def planned(self, items: list[Item], pending: Iterable[_Group]) -> _Group:
        """A group looked up (one query per source) and its new records sent to be read;
        a record read earlier in this import and not stored yet is looked up later."""
        unstored = {_key(g.items[i]) for g in pending for i in g.fresh()}
        raws = [(i, r) for i, r in enumerate(items) if isinstance(r, RawRecord)]
        known: set[int] = set()
        for source in {r.source for _, r in raws}:
            keys = [r.key for _, r in raws if r.source == source]
            found = stored.known_keys(self.store, self.athlete.id, source, keys)
            known.update(i for i, r in raws if r.source == source and r.key in found)
        again: set[int] = set()
        fresh: list[RawRecord] = []
        for i, raw in raws:
            if i in known:
                continue
            if (raw.source, raw.key) in unstored:
                again.add(i)
            else:
                unstored.add((raw.source, raw.key))
                fresh.append(raw)
        return _Group(items, known, again, self.readers.submit(fresh))

    def finish(self, group: _Group) -> None:
        """Store a group whole (one savepoint), or else file by file (the files before a
        file that cannot be stored are kept, and its error stops the import as ever)."""
        outcomes = dict(zip(group.fresh(), group.outcomes(), strict=True))
        shoes = set(self.shoes)
        try:
            with self.store.atomic():
                done = self._write(group, outcomes, whole=True)
        except Exception:
            log.debug("a group could not be stored whole; storing it file by file", exc_info=True)
            self.shoes = shoes
            done = self._write(group, outcomes, whole=False)
        self.unsettled.extend(zip(group.items, done, strict=True))
        self.settle()

    def settle(self, *, at_end: bool = False) -> None:
        """Commit what is stored when it is time; then count and tick each of its items."""
        if not at_end and time.monotonic() - self.committed < COMMIT_S:
            return
        self.commit(1)
        self.committed = time.monotonic()
        for item, what in self.unsettled:
            self._count(item, what)
            if self.progress:
                self.progress(item.origin, self.summary)
        self.unsettled = []

    def _write(self, group: _Group, outcomes: dict[int, Outcome], *, whole: bool) -> list[_Done]:
        done: list[_Done] = []
        waiting: list[tuple[_Done, RawRecord, Normalised]] = []  # stored together

        def store(what: _Done, raw: RawRecord, result: Normalised) -> _Done:
            if whole:
                waiting.append((what, raw, result))
            else:
                what.written = stored.store_raw_with_activities(
                    self.store, self.athlete.id, raw, result
                )
            return what

        def flush() -> None:
            if not waiting:
                return
            records = [(raw, result) for _, raw, result in waiting]
            for (what, _, _), written in zip(
                waiting, stored.store_many(self.store, self.athlete.id, records), strict=True
            ):
                what.written = written
            waiting.clear()

        for i, item in enumerate(group.items):
            if isinstance(item, FetchFailure):
                self._failed(item.source, item.origin, item.reason, None, whole)
                done.append(_Done("failed", item.reason))
                continue
            if i in group.again:
                flush()
            if i in group.known or (
                i in group.again
                and stored.has_raw(self.store, self.athlete.id, item.source, item.key)
            ):
                self._cleared(item, whole)
                done.append(_Done("unchanged"))
                continue
            result = outcomes.get(i)
            if result is None:
                result = outcomes[i] = outcome(self.read, item)
            if isinstance(result, NotAnActivity):  # kept (so never read again), counted
                done.append(store(_Done("skipped", str(result)), item, []))
            elif isinstance(result, Exception):
                why = _why(item, result)
                self._failed(item.source, item.origin, why, item.key, whole)
                done.append(_Done("failed", why))
            else:
                _add_named_shoes(self.store, self.athlete, result, self.shoes)
                done.append(store(_Done("new", result=result), item, result))
        flush()
        return done

    def _failed(self, source: str, origin: str, reason: str, key: str | None, whole: bool) -> None:
        if whole:  # inside the group's savepoint
            self.store.record_failure(self.athlete.id, source, origin, reason, key)
            return
        with self.store.atomic():
            self.store.record_failure(self.athlete.id, source, origin, reason, key)

    def _cleared(self, raw: RawRecord, whole: bool) -> None:
        if whole:
            self.store.clear_failure(self.athlete.id, raw.source, raw.origin)
            return
        with self.store.atomic():
            self.store.clear_failure(self.athlete.id, raw.source, raw.origin)

    def _count(self, item: Item, what: _Done) -> None:
        s = self.summary
        s.seen += 1
        if isinstance(item, FetchFailure):
            s.failed.append((item.origin, item.reason))
            return
        s.bytes += len(item.payload)
        if what.kind == "unchanged":
            s.unchanged += 1
        elif what.kind == "skipped":
            s.not_activities.append((item.origin, what.reason))
        elif what.kind == "failed":
            s.failed.append((item.origin, what.reason))
        else:
            result = what.result
            dropped = {
                str(p.activity.extras[DROPPED]) for p in result if DROPPED in p.activity.extras
            }
            s.salvaged.extend((item.origin, why) for why in sorted(dropped))
            s.held.extend((item.origin, p.held) for p in result if p.held)
            s.new += 1
            s.activities += len(what.written)
            s.duplicates += sum(1 for w in what.written if w.duplicate_of is not None)
            s.runs += sum(1 for p in result if p.activity.sport == RUNNING)


def _key(item: Item) -> tuple[str, str]:
    assert isinstance(item, RawRecord)
    return item.source, item.key


def _why(raw: RawRecord, error: Exception) -> str:
    """A failure's reason: the connector's words, or for a fault of ours (this file fails,
    not the batch) what it was; --verbose shows its traceback."""
    if isinstance(error, ConnectorError):
        return str(error)
    if isinstance(error, Fault):
        log.debug("reading %s failed:\n%s", raw.origin, error.detail)
    else:
        log.debug("reading %s failed", raw.origin, exc_info=error)
    kind = error.kind if isinstance(error, Fault) else type(error).__name__
    return f"loadguard could not read it ({kind}: {error}); please report it"


def _add_named_shoes(store: Store, athlete: Athlete, result: Normalised, known: set[str]) -> None:
    """A shoe for each shoe an export named that the athlete does not have yet, so its runs
    count on it (:data:`loadguard.contract.NAMED_GEAR`)."""
    for prepared in result:
        gear = prepared.activity.gear_id or ""
        name = gear.removeprefix(NAMED_GEAR).strip()
        if gear.startswith(NAMED_GEAR) and name and name not in known:
            store.add_shoe(athlete.id, name)
            known.add(name)


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
