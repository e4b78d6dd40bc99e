"""Strava's bulk export ("Download your archive": ``export_12345.zip``).

The archive holds ``activities.csv``, one row per activity (its id, date, name, type,
description, shoe and the file it came from), and ``activities/`` with the files as
they were uploaded (``.fit.gz``, ``.gpx.gz``, ``.tcx.gz``, or plain). Each file is read
by the connector for its kind (the core hands over a reader) and carries its row's
title, description, sport and shoe as labels, and its Strava id, so a run seen later
through the API is recognised as the same run. An activity entered by hand (a row with
no file) becomes the record the API would give for it, under its Strava id. Only the standard library is used
here: importing an archive never loads stravalib.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from loadguard import files
from loadguard.contract import FetchFailure, RawRecord
from loadguard.files import Labels, ReadFile

from .normalise import SPORTS, raw_record

INDEX = "activities.csv"
MAX_INDEX_BYTES = 64 * 1024 * 1024
# The columns read, by the names Strava gives them (the file repeats some names, such
# as "Distance" in km and again in metres: the first of each is meant here).
ID, NAME, TYPE, DESCRIPTION, GEAR, FILENAME = (
    "Activity ID",
    "Activity Name",
    "Activity Type",
    "Activity Description",
    "Activity Gear",
    "Filename",
)
DATE, DISTANCE, ELAPSED, MOVING = "Activity Date", "Distance", "Elapsed Time", "Moving Time"
AGAIN = "#2"  # a column's second appearance
# The sports a shoe is worn for: a ride's "Activity Gear" names a bike, not a shoe.
ON_FOOT = frozenset({"running", "walking", "hiking"})


class StravaExport:
    """Reads Strava's bulk export archive."""

    name = "strava-export"

    def claims(self, names: Sequence[str]) -> bool:
        return INDEX in names and any(n.startswith("activities/") for n in names)

    def fetch(self, target: str, read: ReadFile) -> Iterator[RawRecord | FetchFailure]:
        try:
            archive = zipfile.ZipFile(target)
        except files.ZIP_ERRORS as err:
            yield self._failure(target, f"{target} is not a readable zip archive: {files.why(err)}")
            return
        with archive:
            refused = files.survey(archive)
            if refused:
                yield self._failure(target, f"{target} is refused: {refused}")
                return
            try:
                rows = _rows(archive)
            except (ValueError, csv.Error, *files.ZIP_ERRORS) as err:
                yield self._failure(f"{target}!{INDEX}", f"{target}!{INDEX}: {files.why(err)}")
                return
            for line, row in rows:
                yield from self._activity(archive, target, line, row, read)

    def _activity(
        self,
        archive: zipfile.ZipFile,
        target: str,
        line: int,
        row: dict[str, str],
        read: ReadFile,
    ) -> Iterator[RawRecord | FetchFailure]:
        filename = row.get(FILENAME, "").strip()
        if not filename:  # entered by hand: the row is all there is, as the API gives it
            try:
                yield manual_record(row)
            except ValueError as err:
                origin = f"{target}!{INDEX}"
                yield self._failure(origin, f"{INDEX} line {line}: {err}")
            return
        origin = f"{target}!{filename}"
        try:
            payload = files.read_member(archive, archive.getinfo(filename))
        except KeyError:
            yield self._failure(origin, f"{INDEX} line {line} names it, the zip lacks it")
            return
        except (files.Unreadable, *files.ZIP_ERRORS) as err:
            yield self._failure(origin, f"cannot read {origin}: {files.why(err)}")
            return
        raw = read(files.suffix_of(filename), payload, origin)
        if raw is None:
            yield self._failure(origin, f"{origin}: not a kind of file loadguard reads")
            return
        yield files.labelled(raw, labels(row))

    def _failure(self, origin: str, reason: str) -> FetchFailure:
        return FetchFailure(self.name, origin, reason)


def _rows(archive: zipfile.ZipFile) -> list[tuple[int, dict[str, str]]]:
    """Each row with the line of the file it starts on (a description can hold line
    breaks, so a row can span lines)."""
    info = archive.getinfo(INDEX)
    if info.file_size > MAX_INDEX_BYTES:
        raise ValueError(f"the index is too large ({info.file_size} bytes)")
    text = files.read_member(archive, info).decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if ID not in header or FILENAME not in header:
        raise ValueError(f"not Strava's activity index: no {ID!r} or {FILENAME!r} column")
    # a repeated column's second appearance as "<name> #2" (Distance: km, then metres)
    names = [f"{n} {AGAIN}" if n in header[:i] else n for i, n in enumerate(header)]
    first = {name: i for i, name in enumerate(names)}
    rows = []
    line = reader.line_num + 1
    for values in reader:
        if values:
            rows.append((line, {n: values[i] if i < len(values) else "" for n, i in first.items()}))
        line = reader.line_num + 1
    return rows


def manual_record(row: dict[str, str]) -> RawRecord:
    """An activity entered by hand, as the API's summary would give it (so a sync later
    finds it already stored under its id); ValueError naming what cannot be read."""
    when = row.get(DATE, "").strip()
    try:
        start = datetime.strptime(when, "%b %d, %Y, %I:%M:%S %p").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{DATE} {when!r} is not a date like 'Oct 7, 2020, 2:43:11 PM'") from None
    activity_id = row.get(ID, "").strip()
    if not activity_id.isdigit():
        raise ValueError(f"{ID} {activity_id!r} is not a number")
    metres = _number(row, f"{DISTANCE} {AGAIN}") or _number(row, DISTANCE) * 1000
    elapsed = _number(row, ELAPSED)
    kind = row.get(TYPE, "").replace(" ", "") or "Workout"
    activity = {
        "id": int(activity_id),
        "name": row.get(NAME, "").strip(),
        "description": row.get(DESCRIPTION, "").strip(),
        "sport_type": kind,
        "type": kind,
        "start_date": start.isoformat().replace("+00:00", "Z"),
        "distance": metres,
        "moving_time": _number(row, MOVING) or elapsed,
        "elapsed_time": elapsed,
        "manual": True,
    }
    return raw_record(activity, None, detailed=False)


def _number(row: dict[str, str], column: str) -> float:
    try:
        value = float(row.get(column, "") or 0.0)
    except ValueError:
        raise ValueError(f"{column} {row.get(column)!r} is not a number") from None
    return value if value == value and value >= 0 else 0.0


def labels(row: dict[str, str]) -> Labels:
    """What a row of ``activities.csv`` says about its file."""
    kind = row.get(TYPE, "").replace(" ", "")
    sport = SPORTS.get(kind, ("", ""))[0]
    activity_id = row.get(ID, "").strip()
    return Labels(
        name=row.get(NAME, "").strip(),
        description=row.get(DESCRIPTION, "").strip(),
        gear=row.get(GEAR, "").strip() if sport in ON_FOOT else "",
        sport=sport,
        external_id=f"strava:{activity_id}" if activity_id.isdigit() else "",
    )
