"""Finding activity files: one file, a folder (a mounted watch, walked recursively) or a
zip (an export, zips inside zips too), each file plain or gzipped (``run.gpx.gz``).

Connectors that read files share this, as they share :mod:`loadguard.contract`: a
connector says which suffixes it reads, and gets every such file's bytes (gunzipped)
with an origin a user recognises (``export.zip!activities/123.gpx.gz``), in a sorted,
repeatable order. Anything that cannot be read becomes a :class:`FetchFailure` so a
batch goes on. Sizes are bounded however the archive declares them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from loadguard.contract import FetchFailure, RawRecord

# A day of 1-second samples is a few MB of FIT and some tens of MB of GPX or TCX; a
# watch's chained FIT file of many activities can reach tens of MB (a chained file is
# decoded one part at a time, so memory follows its largest part). Past this it is no
# activity file.
MAX_BYTES = 256 * 1024 * 1024
MAX_ZIP_DEPTH = 3  # an export, a zip in it, and one more: Garmin's bulk export is 2 deep
# An archive as a whole, zips inside it included, is refused before anything in it is
# read when it holds more than this; a real export (ten years of daily runs) is far below.
MAX_MEMBERS = 20_000
MAX_TOTAL_BYTES = 4 * 2**30
# A member that unpacks to more than this many times its packed size (FIT packs about 3:1,
# GPX about 10:1) is a zip bomb, not an activity.
MAX_RATIO = 200

# What a damaged or unusual zip raises: zipfile answers an unsupported compression
# method with the built-in NotImplementedError, an encrypted member with RuntimeError.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError)


@dataclass(frozen=True)
class Found:
    """One file's bytes (gunzipped) and where it came from."""

    suffix: str  # "fit", "gpx", "tcx": lowercase, without the dot and without ".gz"
    payload: bytes
    origin: str


@runtime_checkable
class FileReader(Protocol):
    """Optional connector capability: it reads files whose suffix is its ``name`` (the
    ``gpx`` connector reads ``.gpx`` and ``.gpx.gz``), so ``loadguard import`` picks it for
    them without being told."""

    name: str

    def record(self, payload: bytes, origin: str) -> RawRecord: ...


# A reader for one file: (suffix, bytes, origin) -> its raw record, None for a suffix no
# installed connector reads. The core hands it to archive readers.
ReadFile = Callable[[str, bytes, str], RawRecord | None]


@runtime_checkable
class ArchiveReader(Protocol):
    """Optional capability, registered under ``loadguard.archives``: an export archive
    whose index says more about its files than they say themselves (Strava's bulk export:
    titles, descriptions, shoes). ``claims`` sees the zip's member names."""

    name: str

    def claims(self, names: Sequence[str]) -> bool: ...

    def fetch(self, target: str, read: ReadFile) -> Iterator[RawRecord | FetchFailure]: ...


@dataclass(frozen=True)
class Labels:
    """What an export's index says about one of its files; "" where it says nothing."""

    name: str = ""
    description: str = ""
    gear: str = ""  # the shoe's name
    sport: str = ""  # a FIT sport name, when the index says otherwise than the file
    external_id: str = ""  # the activity's id at the service that exported it


LABELLED = "application/vnd.loadguard.labelled"


def labelled(inner: RawRecord, labels: Labels) -> RawRecord:
    """A record holding both the file and its labels (a line of JSON, then the bytes), so
    the raw record keeps everything the export said and normalises again later."""
    head = json.dumps({"labels": asdict(labels), "media_type": inner.media_type})
    payload = head.encode() + b"\n" + inner.payload
    key = hashlib.sha256(payload).hexdigest()
    return RawRecord(inner.source, key, payload, LABELLED, inner.origin)


def unlabelled(raw: RawRecord) -> tuple[RawRecord, Labels | None]:
    """The file's own record and its labels (None for a record that has none)."""
    if raw.media_type != LABELLED:
        return raw, None
    head, _, payload = raw.payload.partition(b"\n")
    meta = json.loads(head)
    key = hashlib.sha256(payload).hexdigest()
    inner = RawRecord(raw.source, key, payload, str(meta["media_type"]), raw.origin)
    return inner, Labels(**{k: str(v) for k, v in meta["labels"].items()})


def sniff(payload: bytes) -> str:
    """What a file holds by its first bytes, as a suffix ("fit", "gpx", "tcx"), or ""."""
    if len(payload) >= 12 and payload[8:12] == b".FIT":
        return "fit"
    head = payload[:2048]
    if b"<gpx" in head:
        return "gpx"
    if b"<TrainingCenterDatabase" in head:
        return "tcx"
    return ""


class Unreadable(Exception):
    """A file or member that cannot be read; the message says which and why."""


def suffix_of(name: str) -> str:
    """The suffix that says what a file holds: ``Run.GPX.gz`` -> ``gpx``; "" for none."""
    lower = name.lower().rsplit("/", 1)[-1]
    if lower.endswith(".gz"):
        lower = lower[:-3]
    stem, dot, suffix = lower.rpartition(".")
    return suffix if dot and stem else ""


def find(target: str, suffixes: Collection[str], source: str) -> Iterator[Found | FetchFailure]:
    """Every file under ``target`` whose suffix is one of ``suffixes``; failures name
    ``source`` (the connector that would have read them)."""
    path = Path(target).expanduser()
    if not path.exists() and not path.is_symlink():
        yield FetchFailure(source, target, f"{target}: no such file or folder")
    elif path.is_dir():
        yield from _folder(path, suffixes, source)
    elif is_zip(path):
        try:
            archive = zipfile.ZipFile(path)
        except ZIP_ERRORS as err:
            yield FetchFailure(source, target, f"{path} is not a readable zip archive: {why(err)}")
            return
        with archive:
            refused = survey(archive)
            if refused:
                yield FetchFailure(source, target, f"{path} is refused: {refused}")
                return
            yield from members(archive, str(path), suffixes, source)
    else:
        yield _file(path, source)


def is_zip(path: Path) -> bool:
    """A zip by its name or, whatever it is called, by its first bytes."""
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False  # reported when the file itself is read


def gunzip(name: str, payload: bytes) -> bytes:
    """The bytes of ``name``, gunzipped when the name ends in .gz (at most MAX_BYTES)."""
    if not name.lower().endswith(".gz"):
        return payload
    inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        out = inflate.decompress(payload, MAX_BYTES + 1)
    except zlib.error as err:
        raise Unreadable(f"{name} is not a readable gzip file: {err}") from None
    if len(out) > MAX_BYTES:
        raise Unreadable(f"{name} unpacks to more than {MAX_BYTES // 2**20} MB")
    if not inflate.eof:
        raise Unreadable(f"{name} is a cut-off gzip file")
    return out


def members(
    archive: zipfile.ZipFile, origin: str, suffixes: Collection[str], source: str, depth: int = 1
) -> Iterator[Found | FetchFailure]:
    """The wanted files inside an open zip, and inside the zips it holds."""
    infos = sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename)
    for info in infos:
        name = info.filename
        inner = f"{origin}!{name}"
        nested = name.lower().endswith(".zip")
        if not (nested or suffix_of(name) in suffixes):
            continue
        if info.file_size > MAX_BYTES * (4 if nested else 1):
            yield FetchFailure(source, inner, too_large(inner, info.file_size, nested))
            continue
        try:
            payload = read_member(archive, info)
        except (Unreadable, *ZIP_ERRORS) as err:
            yield FetchFailure(source, inner, f"cannot read {inner}: {why(err)}")
            continue
        if not nested:
            yield Found(suffix_of(name), payload, inner)
        elif depth >= MAX_ZIP_DEPTH:
            yield FetchFailure(source, inner, f"{inner}: zips nested too deeply")
        else:
            try:
                child = zipfile.ZipFile(io.BytesIO(payload))
            except ZIP_ERRORS as err:
                yield FetchFailure(
                    source, inner, f"{inner} is not a readable zip archive: {why(err)}"
                )
                continue
            with child:
                yield from members(child, inner, suffixes, source, depth + 1)


def survey(archive: zipfile.ZipFile) -> str:
    """Why a whole archive is refused ("" when it is not): too many files, too many bytes
    unpacked, zips nested too deeply, or a member packed past any real file's ratio. Only
    the directories are read, and the zips nested inside, which are small."""
    reason, members, total = _survey(archive, 1)
    if reason:
        return reason
    if members > MAX_MEMBERS:
        return f"it holds more than {MAX_MEMBERS:,} files; unpack it and import the folder"
    if total > MAX_TOTAL_BYTES:
        return f"it unpacks to more than {MAX_TOTAL_BYTES // 2**30} GB"
    return ""


def _survey(archive: zipfile.ZipFile, depth: int) -> tuple[str, int, int]:
    """(why refused, files, bytes unpacked) of an archive and the zips inside it."""
    members, total = 0, 0
    for info in archive.infolist():
        members += 1
        total += info.file_size
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            return f"{info.filename} unpacks {ratio}:1 (more than {MAX_RATIO}:1: a zip bomb?)", 0, 0
        if members > MAX_MEMBERS or total > MAX_TOTAL_BYTES:
            break
        if not info.filename.lower().endswith(".zip") or info.file_size > MAX_BYTES * 4:
            continue
        if depth >= MAX_ZIP_DEPTH:
            return f"zips nested more than {MAX_ZIP_DEPTH} deep", 0, 0
        try:
            with zipfile.ZipFile(io.BytesIO(archive.read(info))) as child:
                reason, inner, unpacked = _survey(child, depth + 1)
        except ZIP_ERRORS:
            continue  # reported when the member is read
        if reason:  # the path down to it: "part0.zip!part1.zip: why"
            joined = "!" if re.match(r"[^:]+\.zip[!:]", reason, re.I) else ": "
            return f"{info.filename}{joined}{reason}", 0, 0
        members, total = members + inner, total + unpacked
    return "", members, total


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, gunzipped; never more than the size it declares (a zip can lie)."""
    with archive.open(info) as handle:
        payload = handle.read(info.file_size + 1)
    if len(payload) > info.file_size:
        raise Unreadable(f"{info.filename} is longer than its archive says")
    return gunzip(info.filename, payload)


def _folder(root: Path, suffixes: Collection[str], source: str) -> Iterator[Found | FetchFailure]:
    failures: list[OSError] = []
    found: list[Path] = []
    for folder, dirs, names in os.walk(root, onerror=failures.append):
        dirs.sort()
        found.extend(Path(folder, n) for n in names if suffix_of(n) in suffixes)
    for err in failures:
        yield FetchFailure(
            source, str(err.filename), f"cannot read folder {err.filename}: {why(err)}"
        )
    for path in sorted(found, key=lambda p: p.parts):  # by parts: Path's own order is slow
        if path.is_file() or path.is_symlink():  # a dangling link is reported, not skipped
            yield _file(path, source)


def too_large(name: str, size: int, archive: bool = False) -> str:
    limit = MAX_BYTES * (4 if archive else 1)
    return f"{name} is too large: {size / 2**20:.0f} MB, over the {limit >> 20} MB a file may be"


def _file(path: Path, source: str) -> Found | FetchFailure:
    origin = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return FetchFailure(source, origin, too_large(str(path), size))
        return Found(suffix_of(path.name), gunzip(path.name, path.read_bytes()), origin)
    except OSError as err:
        return FetchFailure(source, origin, f"cannot read {path}: {why(err)}")
    except Unreadable as err:
        return FetchFailure(source, origin, str(err))


def why(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__
