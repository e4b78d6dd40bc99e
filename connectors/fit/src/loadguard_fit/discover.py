"""Find FIT files: a single file, a folder (e.g. a watch's GARMIN/Activity), or a zip.

Garmin Connect exports are zips holding .fit files, sometimes inside further
zips. Everything is yielded in a deterministic (sorted) order; anything that
cannot be read becomes a :class:`FetchFailure` so a batch goes on.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from loadguard.contract import FetchFailure, RawRecord

SOURCE = "fit"
MEDIA_TYPE = "application/vnd.ant.fit"
# A day of 1-second records is a few MB; anything far bigger is not a FIT activity.
MAX_BYTES = 64 * 1024 * 1024
MAX_ZIP_DEPTH = 4

# What a damaged or unusual zip raises: zipfile answers an unsupported compression
# method with the built-in NotImplementedError, an encrypted member with RuntimeError.
_UNSUPPORTED_ZIP = NotImplementedError
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, _UNSUPPORTED_ZIP)


def fetch(target: str) -> Iterator[RawRecord | FetchFailure]:
    """Yield every .fit file under ``target`` as a RawRecord, or a FetchFailure."""
    path = Path(target).expanduser()
    if not path.exists():
        yield FetchFailure(SOURCE, target, f"{target}: no such file or folder")
    elif path.is_dir():
        yield from _folder(path)
    elif path.suffix.lower() == ".zip" or _looks_like_zip(path):
        yield from _zip_path(path)
    else:
        yield _file(path)


def is_fit_name(name: str) -> bool:
    return name.lower().endswith(".fit")


def record(payload: bytes, origin: str) -> RawRecord:
    key = hashlib.sha256(payload).hexdigest()
    return RawRecord(SOURCE, key, payload, MEDIA_TYPE, origin)


def _folder(root: Path) -> Iterator[RawRecord | FetchFailure]:
    failures: list[OSError] = []
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, onerror=failures.append):
        dirs.sort()
        found.extend(Path(folder, name) for name in files if is_fit_name(name))
    for err in failures:
        yield FetchFailure(
            SOURCE, str(err.filename), f"cannot read folder {err.filename}: {_why(err)}"
        )
    for path in sorted(found):
        if path.is_file() or path.is_symlink():  # a dangling link is reported, not skipped
            yield _file(path)


def _file(path: Path) -> RawRecord | FetchFailure:
    origin = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return FetchFailure(
                SOURCE, origin, f"{path} is too large for a FIT file ({size} bytes)"
            )
        return record(path.read_bytes(), origin)
    except OSError as err:
        return FetchFailure(SOURCE, origin, f"cannot read {path}: {_why(err)}")


def _looks_like_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False  # reported when the file itself is read


def _zip_path(path: Path) -> Iterator[RawRecord | FetchFailure]:
    origin = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as err:
        yield FetchFailure(SOURCE, origin, f"{path} is not a readable zip archive: {_why(err)}")
        return
    with archive:
        yield from _members(archive, origin, 1)


def _members(
    archive: zipfile.ZipFile, origin: str, depth: int
) -> Iterator[RawRecord | FetchFailure]:
    infos = sorted(
        (i for i in archive.infolist() if not i.is_dir()), key=lambda info: info.filename
    )
    for info in infos:
        name = info.filename
        inner = f"{origin}!{name}"
        nested = name.lower().endswith(".zip")
        if not (is_fit_name(name) or nested):
            continue
        if info.file_size > MAX_BYTES * (4 if nested else 1):
            yield FetchFailure(SOURCE, inner, f"{inner} is too large ({info.file_size} bytes)")
            continue
        try:
            payload = archive.read(info)
        except _ZIP_ERRORS as err:
            yield FetchFailure(SOURCE, inner, f"cannot read {inner}: {_why(err)}")
            continue
        if not nested:
            yield record(payload, inner)
        elif depth >= MAX_ZIP_DEPTH:
            yield FetchFailure(SOURCE, inner, f"{inner}: zips nested too deeply")
        else:
            try:
                child = zipfile.ZipFile(io.BytesIO(payload))
            except _ZIP_ERRORS as err:
                yield FetchFailure(
                    SOURCE, inner, f"{inner} is not a readable zip archive: {_why(err)}"
                )
                continue
            with child:
                yield from _members(child, inner, depth + 1)


def _why(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__
