"""GPX 1.0/1.1 -> activities: each track with times is one activity.

Heart rate and cadence come from Garmin's TrackPointExtension (``hr``, ``cad``) or the
plain ``heartrate``/``cadence`` elements some watches write (Amazfit, Movescount); the
sport from the track's ``<type>``. A file of routes or of tracks without times (a
planned course) is not an activity.
"""

from __future__ import annotations

from lxml import etree

from loadguard.contract import Activity, ConnectorError, NotAnActivity

from . import tracks
from .tracks import NAN, Samples
from .xml import instant, local, number, parse

SOURCE = "gpx"
MEDIA_TYPE = "application/gpx+xml"

# GPX <type> values -> FIT sport names. Words as Garmin Connect and watches write them;
# numbers as Strava's GPX export writes its activity types (9 run, 1 ride, 10 walk).
SPORTS: dict[str, str] = {
    "running": "running",
    "run": "running",
    "trail_running": "running",
    "street_running": "running",
    "treadmill_running": "running",
    "9": "running",
    "walking": "walking",
    "walk": "walking",
    "10": "walking",
    "hiking": "hiking",
    "hike": "hiking",
    "cycling": "cycling",
    "biking": "cycling",
    "ride": "cycling",
    "1": "cycling",
    "swimming": "swimming",
}
_HEART = frozenset({"hr", "heartrate", "heart_rate"})
_CADENCE = frozenset({"cad", "cadence", "runcadence"})


def activities(payload: bytes, sha: str) -> list[Activity]:
    root = parse(payload, "GPX")
    if local(root.tag) != "gpx":
        raise ConnectorError(f"not a GPX file: its root element is <{local(root.tag)}>")
    creator = (root.get("creator") or "").strip()
    title = _text(root.find("{*}metadata/{*}name"))
    found = [t for t in root.iterfind("{*}trk")]
    out: list[Activity] = []
    for index, trk in enumerate(found):
        samples = _samples(trk, index)
        if len(samples):
            out.append(_activity(trk, samples, f"{sha}:{index}", creator, title))
    if not out:
        routes = len(root.findall("{*}rte"))
        what = f"{len(found)} track(s) without times" if found else f"{routes} route(s)"
        raise NotAnActivity(f"a GPX file with {what}: a planned course, not an activity")
    return out


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _samples(trk: etree._Element, index: int) -> Samples:
    samples = Samples.empty()
    for number_, point in enumerate(trk.iter("{*}trkpt")):
        when, ele, hr, cad, speed = "", NAN, NAN, NAN, NAN
        for child in point:
            name = local(child.tag)
            if name == "time":
                when = child.text or ""
            elif name == "ele":
                ele = number(child.text)
            elif name == "extensions":
                for item in child.iter():
                    key = local(item.tag).lower()
                    if key in _HEART:
                        hr = number(item.text)
                    elif key in _CADENCE:
                        cad = number(item.text)
                    elif key == "speed":
                        speed = number(item.text)
        if not when:
            continue  # a point without a time: part of a route, not a recording
        where = f"track {index + 1}, point {number_ + 1}"
        samples.add(
            instant(when, where),
            lat=number(point.get("lat")),
            lon=number(point.get("lon")),
            altitude=ele,
            heart_rate=hr,
            cadence=cad,
            speed=speed,
        )
    return samples


def _activity(
    trk: etree._Element, samples: Samples, source_id: str, creator: str, title: str
) -> Activity:
    kind = _text(trk.find("{*}type")).lower().replace(" ", "_")
    sport, track, extras = tracks.sport_and_track(SPORTS.get(kind, ""), samples)
    if kind and kind not in SPORTS:
        extras["gpx_type"] = kind[:40]
    return Activity(
        source=SOURCE,
        source_id=source_id,
        sport=sport,
        sub_sport="generic",
        start_utc=tracks.utc(track.start),
        distance_m=track.distance_m,
        timer_s=tracks.timer_seconds(track),
        elapsed_s=track.span_s,
        name=_text(trk.find("{*}name")) or title,
        description=_text(trk.find("{*}desc")),
        device=creator[:80],
        extras=extras,
        streams=track.streams,
    )
