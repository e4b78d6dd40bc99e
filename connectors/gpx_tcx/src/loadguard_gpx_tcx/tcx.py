"""TCX (Garmin's Training Center XML) -> activities: one per ``<Activity>``.

Totals come from the laps (their ``TotalTimeSeconds`` and ``DistanceMeters`` are what
the watch counted); the samples from the track points, with Garmin's ActivityExtension
(``Speed``, ``RunCadence``) as Garmin, Polar and Suunto write it. A file of courses
(a route with no recorded times) is not an activity.
"""

from __future__ import annotations

import math

from lxml import etree

from loadguard.contract import Activity, ConnectorError, NotAnActivity, Streams

from . import tracks
from .tracks import NAN, Samples
from .xml import instant, local, number, parse

SOURCE = "tcx"
MEDIA_TYPE = "application/vnd.garmin.tcx+xml"
SPORTS = {"running": "running", "biking": "cycling"}  # TCX knows these and "Other"


def activities(payload: bytes, sha: str) -> list[Activity]:
    root = parse(payload, "TCX")
    if local(root.tag) != "TrainingCenterDatabase":
        raise ConnectorError(f"not a TCX file: its root element is <{local(root.tag)}>")
    found = list(root.iter("{*}Activity"))
    if not found:
        courses = len(list(root.iter("{*}Course")))
        what = f"{courses} course(s)" if courses else "no activity"
        raise NotAnActivity(f"a TCX file with {what}: not a recorded activity")
    return [_activity(a, f"{sha}:{i}") for i, a in enumerate(found)]


def _activity(activity: etree._Element, source_id: str) -> Activity:
    where = f"activity {source_id.rsplit(':', 1)[-1]}"
    laps = activity.findall("{*}Lap")
    samples = _samples(activity)
    starts = [instant(lap.get("StartTime"), f"{where}, lap") for lap in laps]
    if not len(samples) and not starts:
        starts = [instant(_text(activity.find("{*}Id")), where)]
    named = SPORTS.get((activity.get("Sport") or "").lower(), "")
    sport, track, extras = tracks.sport_and_track(named, samples)
    lap_time = [number(_text(lap.find("{*}TotalTimeSeconds"))) for lap in laps]
    lap_distance = [number(_text(lap.find("{*}DistanceMeters"))) for lap in laps]
    start = min([*starts, track.start] if len(samples) else starts)
    timer = math.fsum(t for t in lap_time if math.isfinite(t))
    distance = math.fsum(d for d in lap_distance if math.isfinite(d))
    ends = [s + t for s, t in zip(starts, lap_time, strict=True) if math.isfinite(t)]
    if len(samples):
        ends.append(track.start + track.span_s)
        if not timer:
            timer = tracks.timer_seconds(track)
        if not distance:
            distance = track.distance_m
    extras["laps"] = len(laps)
    creator = activity.find("{*}Creator/{*}Name")
    return Activity(
        source=SOURCE,
        source_id=source_id,
        sport=sport,
        sub_sport="generic",
        start_utc=tracks.utc(start),
        distance_m=distance,
        timer_s=timer,
        elapsed_s=max([timer, *(e - start for e in ends)]),
        name="",
        description=_text(activity.find("{*}Notes")),
        device=_text(creator)[:80],
        extras=extras,
        streams=_shifted(track, start) if len(samples) else None,
    )


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _samples(activity: etree._Element) -> Samples:
    samples = Samples.empty()
    for number_, point in enumerate(activity.iter("{*}Trackpoint")):
        when, lat, lon, alt, dist, hr, cad, speed = "", NAN, NAN, NAN, NAN, NAN, NAN, NAN
        for child in point.iter():
            name = local(child.tag)
            if name == "Time":
                when = child.text or ""
            elif name == "LatitudeDegrees":
                lat = number(child.text)
            elif name == "LongitudeDegrees":
                lon = number(child.text)
            elif name == "AltitudeMeters":
                alt = number(child.text)
            elif name == "DistanceMeters":
                dist = number(child.text)
            elif name == "HeartRateBpm":
                hr = number(child.findtext("{*}Value"))
            elif name in ("Cadence", "RunCadence"):
                cad = number(child.text)
            elif name == "Speed":
                speed = number(child.text)
        if not when:
            continue
        samples.add(
            instant(when, f"track point {number_ + 1}"),
            lat=lat,
            lon=lon,
            altitude=alt,
            distance=dist,
            heart_rate=hr,
            cadence=cad,
            speed=speed,
        )
    return samples


def _shifted(track: tracks.Track, start: float) -> Streams:
    """The streams timed from the activity's start (the first lap may start before the
    first track point)."""
    columns = dict(track.streams.columns)
    columns["t"] = columns["t"] + (track.start - start)
    return Streams(columns)
