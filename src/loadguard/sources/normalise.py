"""Raw record -> normalised activities, ready to store: the connector's normalise, the
local offset, and the run/walk structure; and many records at once (an import), in
this process or, for a large import, in worker processes beside it (:class:`Readers`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from loadguard.contract import (
    EXTERNAL_ID,
    NAMED_GEAR,
    Activity,
    ConnectorError,
    NotAnActivity,
    RawRecord,
)
from loadguard.files import Labels, unlabelled
from loadguard.guard.pain_scale import pain_in_text
from loadguard.guard.plan import RunWalkLimits
from loadguard.sources import registry
from loadguard.sources.plausible import Held, implausible

if TYPE_CHECKING:  # numpy's modules load when a file is read, not for every command (0.1 s)
    from loadguard.guard.runwalk import RunWalk
    from loadguard.surfaces.mix import SurfaceContext, SurfaceMix


@dataclass(frozen=True)
class Prepared:
    """One normalised activity with what the core derived from it before storing."""

    activity: Activity
    offset: timedelta  # local = utc + offset
    offset_from: str  # 'source' or 'timezone'
    structure: RunWalk | None = None  # run/walk bouts, from the speed stream
    surfaces: SurfaceMix | None = None  # metres per surface class
    pain: int | None = None  # a pain score the runner wrote into the name or description
    held: Held | None = None  # why its values cannot be right: stored, held for review


Normalised = list[Prepared]


def local_offset(activity: Activity, zone: ZoneInfo) -> tuple[timedelta, str]:
    """The source's own offset, else the athlete's time zone at the start."""
    if activity.utc_offset is not None:
        return activity.utc_offset, "source"
    return activity.start_utc.astimezone(zone).utcoffset() or timedelta(0), "timezone"


# The extras key under which an activity keeps how slowly its runner jogged.
JOG_MPS = "jog_mps"


def activities_of(raw: RawRecord) -> list[Activity]:
    """The activities in a raw record, as its connector reads them, with what an export's
    index said about the file (title, description, shoe, sport) laid over them."""
    inner, labels = unlabelled(raw)
    found = registry.connector(inner.source).normalise(inner)
    return found if labels is None else [_labelled(a, labels) for a in found]


def _labelled(activity: Activity, labels: Labels) -> Activity:
    extras = dict(activity.extras)
    if labels.external_id:
        extras[EXTERNAL_ID] = labels.external_id
    return replace(
        activity,
        name=labels.name or activity.name,
        description=labels.description or activity.description,
        sport=labels.sport or activity.sport,
        gear_id=f"{NAMED_GEAR}{labels.gear}" if labels.gear else activity.gear_id,
        extras=extras,
    )


def _structure(activity: Activity, limits: RunWalkLimits | None) -> RunWalk | None:
    from loadguard.guard import runwalk

    if limits is None:
        return runwalk.analyse(activity.streams)
    return runwalk.analyse(
        activity.streams,
        run_cadence_spm=limits.run_cadence_spm,
        run_speed_mps=limits.run_speed_mps,
    )


def normalise(
    raw: RawRecord,
    timezone: str,
    surfaces: SurfaceContext | None = None,
    runwalk_limits: RunWalkLimits | None = None,
    now: datetime | None = None,
) -> Normalised:
    """Everything the store needs from one raw record; streams are analysed (run/walk
    structure, surfaces when a context is given), then dropped (they stay in the raw
    bytes). An activity whose values cannot be right is held (``now``: the import's time,
    for a start in the future). Raises ConnectorError for a bad record."""
    from loadguard.surfaces import mix

    zone = ZoneInfo(timezone)
    out: Normalised = []
    for activity in activities_of(raw):
        offset, offset_from = local_offset(activity, zone)
        structure = _structure(activity, runwalk_limits)
        extras = dict(activity.extras)
        if structure is not None and structure.jog_mps is not None:
            extras[JOG_MPS] = round(structure.jog_mps, 3)  # calibrates the runner's speed line
        out.append(
            Prepared(
                replace(activity, streams=None, extras=extras),
                offset,
                offset_from,
                structure,
                mix.mix(activity, surfaces) if surfaces is not None else None,
                pain_in_text(f"{activity.name} {activity.description}"),
                implausible(activity, now),
            )
        )
    return out


# -- many records: in this process, or in worker processes beside it ------------------

Read = Callable[[RawRecord], Normalised]
# What reading one record gave: its activities, or the exception it raised.
Outcome = Normalised | Exception
# Records a worker is sent at a time (a round trip per record costs more than reading one).
CHUNK = 8
# A record larger than this is read in this process (copying it to a worker costs memory).
LOCAL_BYTES = 4 * 1024 * 1024


class Fault(Exception):
    """A fault of ours reading a record in a worker process: the class of what it raised
    there (``kind``), its message and its traceback."""

    def __init__(self, kind: str, message: str, detail: str = "") -> None:
        super().__init__(kind, message, detail)
        self.kind, self.message, self.detail = kind, message, detail

    def __str__(self) -> str:
        return self.message


def outcome(read: Read, raw: RawRecord) -> Outcome:
    """What ``read`` makes of ``raw``: its activities, or what it raised."""
    try:
        return read(raw)
    except Exception as exc:
        return exc


@dataclass
class _Chunk:
    """Records read together: by a worker (``future``), or here (``outcomes``, once read)."""

    raws: list[RawRecord]
    future: Future[list[_Sent]] | None = None
    outcomes: list[Outcome] | None = None


class Readers:
    """Records normalised in the order they are given, a batch at a time.

    In this process; or, once :meth:`parallel` is called (an import of more than one
    batch), on Linux with more than one core and from the main thread, in worker
    processes forked from this one: they inherit ``read`` (the athlete's places, maps
    and thresholds) and are sent each record's bytes, so this process stores one batch
    while they decode the next. When it waits for them, it reads itself the chunks sent
    last that no worker has started yet, so it counts as one of the readers: one worker
    fewer than cores (measured on 2 cores: a worker beside it is faster than two that
    share a core with it). A worker that dies loses nothing: its records and all
    after them are read in this process. Workers end with the ``with`` block, and are
    killed by the kernel if this process dies."""

    def __init__(self, read: Read, workers: int | None = None) -> None:
        self._read = read
        self._workers = _cores() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False  # a worker died: the rest is read here
        self._sent: deque[_Chunk] = deque()  # chunks sent to the workers, oldest first

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def forked(self) -> bool:
        return self._pool is not None

    @property
    def reading_ahead(self) -> bool:
        """Whether workers have records to read that this process has not taken back."""
        return self._pool is not None and bool(self._sent)

    def parallel(self) -> None:
        """Read from now on in worker processes, where that is worth it and safe."""
        if self._pool is not None or self._broken or self._workers < 2 or not _may_fork():
            return
        self._pool = ProcessPoolExecutor(
            self._workers - 1,  # and this process: it reads what they have not started
            mp_context=multiprocessing.get_context("fork"),
            initializer=_started,
            initargs=(self._read, os.getpid()),
        )

    def submit(self, raws: Sequence[RawRecord]) -> Callable[[], list[Outcome]]:
        """Start reading ``raws``; the function returned waits for their outcomes, in order
        (in this process it reads them then)."""
        pool = self._pool
        if pool is None:
            return lambda: self._here(raws)
        chunks: list[_Chunk] = []
        for raw in raws:  # a large record alone, read here (not copied to a worker)
            if (
                not chunks
                or _local(raw)
                or _local(chunks[-1].raws[0])
                or len(chunks[-1].raws) >= CHUNK
            ):
                chunks.append(_Chunk([raw]))
            else:
                chunks[-1].raws.append(raw)
        for chunk in chunks:
            if not _local(chunk.raws[0]):
                chunk.future = self._send(pool, chunk.raws)
                if chunk.future is not None:
                    self._sent.append(chunk)
        return lambda: [o for chunk in chunks for o in self._wait(chunk)]

    def _send(self, pool: ProcessPoolExecutor, raws: list[RawRecord]) -> Future[list[_Sent]] | None:
        """``raws`` to a worker; None (read here) when a worker died since the last group."""
        if self._broken:
            return None
        try:
            return pool.submit(_read_chunk, raws)
        except BrokenProcessPool:
            self._broken = True
            return None

    def _wait(self, chunk: _Chunk) -> list[Outcome]:
        future = chunk.future
        while chunk.outcomes is None and future is not None and not future.done():
            # Rather than wait idle, read here the last chunk sent that no worker has
            # started yet (the workers are behind: this process helps them).
            if not self._steal(chunk):
                break
        if chunk.outcomes is not None:
            return chunk.outcomes
        if future is None:
            return self._here(chunk.raws)
        try:
            sent = future.result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): read here
            self._broken = True
            self.close()
            return self._here(chunk.raws)
        finally:
            if self._sent and self._sent[0] is chunk:
                self._sent.popleft()
        for name, level, message in (line for _, lines in sent for line in lines):
            logging.getLogger(name).log(level, "%s", message)
        return [result for result, _ in sent]

    def _here(self, raws: Sequence[RawRecord]) -> list[Outcome]:
        """Records read in this process."""
        return [outcome(self._read, raw) for raw in raws]

    def _steal(self, waiting: _Chunk) -> bool:
        """Read here the newest chunk sent that no worker has started (not ``waiting``,
        whose turn it is); False when there is none."""
        while self._sent and self._sent[-1] is not waiting:
            chunk = self._sent.pop()
            if chunk.future is not None and chunk.future.cancel():
                chunk.outcomes = self._here(chunk.raws)
                return True
        return False

    def close(self) -> None:
        self._sent.clear()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _local(raw: RawRecord) -> bool:
    return len(raw.payload) > LOCAL_BYTES


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _may_fork() -> bool:
    """Forking is safe on Linux from the main thread of a process that is no worker itself
    (a web or daemon thread reads in its own process)."""
    return (
        sys.platform == "linux"
        and threading.current_thread() is threading.main_thread()
        and not multiprocessing.current_process().daemon
    )


# In a worker: the read it inherited, and the log lines of the record being read.
_worker_read: Read | None = None
_Line = tuple[str, int, str]
_Sent = tuple[Outcome, list[_Line]]


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[_Line] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.levelno, record.getMessage()))


_kept = _Kept()


def _started(read: Read, parent: int) -> None:
    """A worker's start: killed when its parent dies; what it logs (and warns) goes back
    with its outcomes, never to the terminal it shares with its parent."""
    global _worker_read
    _worker_read = read
    if sys.platform == "linux":
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            logger.handlers = []
    logging.getLogger().addHandler(_kept)
    logging.captureWarnings(True)


def _read_chunk(raws: list[RawRecord]) -> list[_Sent]:
    assert _worker_read is not None
    sent: list[_Sent] = []
    for raw in raws:
        _kept.lines = []
        sent.append((_portable(outcome(_worker_read, raw)), _kept.lines))
    return sent


def _portable(result: Outcome) -> Outcome:
    """An outcome that crosses to the parent whatever its exception's class."""
    if isinstance(result, NotAnActivity):
        return NotAnActivity(str(result))
    if isinstance(result, ConnectorError):
        return ConnectorError(str(result))
    if isinstance(result, Exception):
        detail = "".join(traceback.format_exception(result))
        return Fault(type(result).__name__, str(result), detail)
    return result
