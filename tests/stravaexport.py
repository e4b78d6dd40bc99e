"""Strava's bulk export ("Download your archive", ``export_12345.zip``) made from shared
files: ``activities.csv`` with every column Strava writes, the files gzipped under
``activities/``, and the members an export holds besides (``profile.csv``, ``media/``)."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from loadguard.contract import Activity
from loadguard.sources import anyfile
from loadguard.sources.normalise import activities_of

SHARED = Path(__file__).parents[1].parent / "shared" / "data"
GPX_RUN = SHARED / "gpx-tcx" / "sports-lib" / "fixtures-runs-gpx-2067489619.gpx"  # 4.4 km
TCX_RUN = SHARED / "gpx-tcx" / "sports-lib" / "samples-tcx-polar.tcx"  # 10.8 km
FIT_RUN = SHARED / "fit" / "python-fitparse" / "activity-small-fenix2-run.fit"  # 9.0 km
RIDE_GPX = SHARED / "gpx-tcx" / "sports-lib" / "samples-gpx-strava.gpx"  # a run's track

# The first line of Strava's activities.csv as it is: "Elapsed Time", "Distance" (km, then
# metres), "Max Heart Rate", "Relative Effort" and "Commute" appear twice.
HEADER_LINE = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,"
    "Filename,Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,"
    "Average Speed,Elevation Gain,Elevation Loss,Elevation Low,Elevation High,Max Grade,"
    "Average Grade,Average Positive Grade,Average Negative Grade,Max Cadence,Average Cadence,"
    "Max Heart Rate,Average Heart Rate,Max Watts,Average Watts,Calories,Max Temperature,"
    "Average Temperature,Relative Effort,Total Work,Number of Runs,Uphill Time,Downhill Time,"
    "Other Time,Perceived Exertion,Type,Start Time,Weighted Average Power,Power Count,"
    "Prefer Perceived Exertion,Perceived Relative Effort,Commute,Total Weight Lifted,"
    "From Upload,Grade Adjusted Distance,Weather Observation Time,Weather Condition,"
    "Weather Temperature,Apparent Temperature,Dewpoint,Humidity,Weather Pressure,Wind Speed,"
    "Wind Gust,Wind Bearing,Precipitation Intensity,Sunrise Time,Sunset Time,Moon Phase,Bike,"
    "Gear,Precipitation Probability,Precipitation Type,Cloud Cover,Weather Visibility,"
    "UV Index,Weather Ozone,Jump Count,Total Grit,Average Flow,Flagged,Average Elapsed Speed,"
    "Dirt Distance,Newly Explored Distance,Newly Explored Dirt Distance,Activity Count,"
    "Total Steps,Carbon Saved,Pool Length,Training Load,Intensity,"
    "Average Grade Adjusted Pace,Timer Time,Total Cycles,Media"
)
HEADER = next(csv.reader([HEADER_LINE]))
PROFILE = "Athlete ID,Email Address,First Name,Last Name,Sex,Description,Weight,City\n"


@dataclass(frozen=True)
class Row:
    """One line of activities.csv and the file it names ("" for a manual activity)."""

    id: int
    kind: str  # Strava's Activity Type: "Run", "Ride"
    name: str
    description: str
    gear: str
    start: datetime  # UTC
    distance_m: float
    moving_s: float
    elapsed_s: float
    filename: str = ""  # "activities/<id>.gpx.gz"
    payload: bytes | None = None  # the file as uploaded; None: the zip lacks it


def read(path: Path) -> Activity:
    """The one activity a shared file holds, as its own connector reads it."""
    raw = anyfile.read_file(path.suffix.lstrip("."), path.read_bytes(), str(path))
    assert raw is not None, path
    (activity,) = activities_of(raw)
    return activity


def from_file(
    strava_id: int, path: Path, kind: str, name: str, description: str = "", gear: str = ""
) -> Row:
    """A row filled from the file itself (start, times, distance), the file gzipped."""
    own = read(path)
    suffix = path.suffix.lstrip(".").lower()
    return Row(
        strava_id,
        kind,
        name,
        description,
        gear,
        own.start_utc,
        own.distance_m,
        own.timer_s,
        own.elapsed_s,
        f"activities/{strava_id}.{suffix}.gz",
        gzip.compress(path.read_bytes(), mtime=0),
    )


def strava_date(moment: datetime) -> str:
    """Strava's "Activity Date": ``Oct 7, 2020, 2:43:11 PM`` (UTC)."""
    hour = moment.hour % 12 or 12
    noon = "AM" if moment.hour < 12 else "PM"
    return f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M:%S} {noon}"


def csv_line(row: Row) -> list[str]:
    """The row under HEADER: the first of a repeated column as Strava fills it (whole
    seconds, km), the second too (seconds, metres)."""
    first = {
        "Activity ID": str(row.id),
        "Activity Date": strava_date(row.start),
        "Activity Name": row.name,
        "Activity Type": row.kind,
        "Activity Description": row.description,
        "Elapsed Time": str(round(row.elapsed_s)),
        "Distance": f"{row.distance_m / 1000:.2f}",
        "Commute": "false",
        "Activity Gear": row.gear,
        "Filename": row.filename,
    }
    second = {
        "Elapsed Time": f"{row.elapsed_s:.1f}",
        "Distance": f"{row.distance_m:.1f}",
        "Commute": "0.0",
    }
    speed = row.distance_m / row.moving_s if row.moving_s else 0.0
    rest = {
        "Moving Time": f"{row.moving_s:.1f}",
        "Average Speed": f"{speed:.3f}",
        "Timer Time": f"{row.moving_s:.1f}",
        "From Upload": "1.0" if row.filename else "0.0",
        "Activity Count": "1.0",
    }
    seen: set[str] = set()
    out = []
    for column in HEADER:
        values = second if column in seen else first
        seen.add(column)
        out.append(values.get(column, rest.get(column, "")))
    return out


def index(rows: Sequence[Row]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(csv_line(row) for row in rows)
    return text.getvalue().encode()


def write_export(folder: Path, rows: Sequence[Row], name: str = "export_12345.zip") -> Path:
    """``folder/export_12345.zip`` as Strava lays it out."""
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activities.csv", index(rows))
        archive.writestr("profile.csv", PROFILE + "1001,anna@example.org,Anna,,F,,62.0,Aarhus\n")
        archive.writestr("media/", b"")
        archive.writestr("media/9f8e7d6c.jpg", b"\xff\xd8\xff\xe0 not a run\xff\xd9")
        for row in rows:
            if row.payload is not None:
                archive.writestr(row.filename, row.payload)
    return path
