"""The one table from OpenStreetMap tags to loadguard surface classes.

Classes (a subset of :data:`loadguard.surfaces.classes.SURFACE_CLASSES`): ``grass``, ``gravel``,
``trail``, ``track``, ``paved``. ``None`` means "not runnable" or "surface unknown":
nothing is guessed beyond the defaults written (with their reason) in :data:`TABLE`.

Precedence for a runnable way (``highway=*`` in the table, or ``leisure=track``):

1. ``surface=*`` (the first value of a ``;`` list) when the table knows the value;
   an unknown value gives ``None`` (the mapper said something we cannot read);
2. ``leisure=track`` with ``sport`` absent or one of athletics / running -> ``track``;
3. ``tracktype=grade1..5`` (grade1 paved, grade2 gravel, grade3-5 trail);
4. ``footway=sidewalk`` / ``footway=crossing`` -> paved;
5. the ``highway=*`` default (roads are paved; footway, path, track, bridleway have
   no default).

Areas (closed ways and multipolygons, used when no way is near): ``landuse=grass``,
``landuse=meadow`` and ``natural=grassland`` are grass unless a surface tag says
otherwise; parks, pitches, gardens and pedestrian squares count only with a surface
tag (a park without one is trees, paths and lawn mixed). A closed highway or
``leisure=track`` way is a loop (its line counts), an area only with ``area=yes``
(so the infield of an oval is not "track").

Ways never runnable (absent from the table): motorway/trunk (no pedestrians),
platform/corridor/elevator (indoor or transit), construction/proposed (not built),
raceway (motor sport, not a running track), bus_stop/crossing nodes tagged on ways.
Ways with ``foot=no``, or ``access=no|private`` without a ``foot`` permission, are
dropped too, and so are tunnels (no GPS in there, and an underpass would take the
points of the open-air way above it; ``tunnel=building_passage`` stays) and
``indoor=yes`` ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

CLASSES: Final = ("grass", "gravel", "trail", "track", "paved")
"""Surface classes an OSM match can give, in code order (code = index)."""


class Rule(NamedTuple):
    surface: str | None
    reason: str


# (key, value) -> class, with the one-line reason for each choice.
TABLE: Final[dict[tuple[str, str], Rule]] = {
    # --- surface=* (wins over everything else) ---
    ("surface", "asphalt"): Rule("paved", "sealed road surface"),
    ("surface", "concrete"): Rule("paved", "sealed, harder than asphalt"),
    ("surface", "concrete:plates"): Rule("paved", "concrete slabs"),
    ("surface", "concrete:lanes"): Rule("paved", "concrete wheel strips"),
    ("surface", "paving_stones"): Rule("paved", "flat pavers, hard"),
    ("surface", "sett"): Rule("paved", "cut stone blocks, hard"),
    ("surface", "cobblestone"): Rule("paved", "stone blocks (often sett mistagged), hard"),
    ("surface", "unhewn_cobblestone"): Rule("paved", "round stones, hard and uneven"),
    ("surface", "paved"): Rule("paved", "generic sealed surface"),
    ("surface", "chipseal"): Rule("paved", "sealed road surface"),
    ("surface", "bricks"): Rule("paved", "hard masonry"),
    ("surface", "brick"): Rule("paved", "hard masonry (singular spelling)"),
    ("surface", "stone"): Rule("paved", "stone slabs or rock, no give"),
    ("surface", "metal"): Rule("paved", "bridges and grids, no give"),
    ("surface", "wood"): Rule("paved", "boardwalks and bridges: firm under the heel"),
    ("surface", "gravel"): Rule("gravel", "loose crushed stone"),
    ("surface", "fine_gravel"): Rule("gravel", "stone dust, typical park path"),
    ("surface", "compacted"): Rule("gravel", "compacted gravel/stone dust"),
    ("surface", "pebblestone"): Rule("gravel", "loose round pebbles"),
    ("surface", "unpaved"): Rule("gravel", "generic unpaved: on mapped paths mostly gravel"),
    ("surface", "dirt"): Rule("trail", "natural soil"),
    ("surface", "ground"): Rule("trail", "natural soil"),
    ("surface", "earth"): Rule("trail", "natural soil"),
    ("surface", "mud"): Rule("trail", "wet soil"),
    ("surface", "woodchips"): Rule("trail", "bark mulch path, soft"),
    ("surface", "sand"): Rule("trail", "beach or dune: soft, uneven"),
    ("surface", "rock"): Rule("trail", "rough natural rock path"),
    ("surface", "grass"): Rule("grass", "lawn or meadow path"),
    ("surface", "tartan"): Rule("track", "synthetic athletics surface"),
    # --- leisure=track (runnable even without highway=*) ---
    ("leisure", "track"): Rule("track", "racetrack; running unless sport says otherwise"),
    # --- tracktype=* when there is no surface tag ---
    ("tracktype", "grade1"): Rule("paved", "solid, usually sealed"),
    ("tracktype", "grade2"): Rule("gravel", "solid but unpaved: gravel"),
    ("tracktype", "grade3"): Rule("trail", "mixed hard and soft"),
    ("tracktype", "grade4"): Rule("trail", "mostly soft, grass or soil"),
    ("tracktype", "grade5"): Rule("trail", "soft, soil or grass"),
    # --- footway=* refinements ---
    ("footway", "sidewalk"): Rule("paved", "sidewalks along streets are paved"),
    ("footway", "crossing"): Rule("paved", "crosses a road"),
    # --- highway=* defaults (the set of runnable ways) ---
    ("highway", "primary"): Rule("paved", "main road: paved"),
    ("highway", "primary_link"): Rule("paved", "main road: paved"),
    ("highway", "secondary"): Rule("paved", "main road: paved"),
    ("highway", "secondary_link"): Rule("paved", "main road: paved"),
    ("highway", "tertiary"): Rule("paved", "road: paved"),
    ("highway", "tertiary_link"): Rule("paved", "road: paved"),
    ("highway", "unclassified"): Rule("paved", "minor road: paved in towns"),
    ("highway", "residential"): Rule("paved", "street: paved"),
    ("highway", "living_street"): Rule("paved", "street: paved"),
    ("highway", "service"): Rule("paved", "access road/parking aisle: paved"),
    ("highway", "road"): Rule("paved", "unknown road type: roads are paved"),
    ("highway", "pedestrian"): Rule("paved", "pedestrian street or square: paved"),
    ("highway", "cycleway"): Rule("paved", "cycle paths are nearly always asphalt"),
    ("highway", "steps"): Rule("paved", "stairs: hard whatever they are made of"),
    ("highway", "footway"): Rule(None, "sidewalk or park path: no safe default"),
    ("highway", "path"): Rule(None, "anything from paved to forest: no default"),
    ("highway", "track"): Rule(None, "farm/forest track: needs tracktype or surface"),
    ("highway", "bridleway"): Rule(None, "usually unpaved, but no safe default"),
    ("highway", "trail"): Rule(None, "non-standard tag seen in extracts: like path"),
    # --- areas (polygons) ---
    ("landuse", "grass"): Rule("grass", "mown grass area"),
    ("landuse", "meadow"): Rule("grass", "meadow"),
    ("natural", "grassland"): Rule("grass", "natural grassland"),
    ("leisure", "park"): Rule(None, "park: counts only with a surface tag"),
    ("leisure", "pitch"): Rule(None, "sports pitch: counts only with a surface tag"),
    ("leisure", "garden"): Rule(None, "garden: counts only with a surface tag"),
    ("leisure", "common"): Rule(None, "common land: counts only with a surface tag"),
    ("place", "square"): Rule(None, "town square: counts only with a surface tag"),
}

RUNNING_SPORTS: Final = frozenset({"athletics", "running"})
AREA_KEYS: Final = ("landuse", "natural", "leisure", "place", "highway")
"""Keys that may make a closed way or multipolygon a surface area."""


def _lookup(key: str, value: str | None) -> Rule | None:
    return None if value is None else TABLE.get((key, value))


def _surface(tags: Mapping[str, str]) -> tuple[bool, str | None]:
    """(has a surface tag, its class). An unreadable surface value is (True, None)."""
    value = tags.get("surface")
    if value is None:
        return False, None
    rule = _lookup("surface", value.split(";")[0].strip())
    return True, rule.surface if rule else None


def _foot_allowed(tags: Mapping[str, str]) -> bool:
    foot = tags.get("foot")
    if foot == "no":
        return False
    if tags.get("access") in {"no", "private"}:
        return foot in {"yes", "designated", "permissive"}
    return True


def is_runnable(tags: Mapping[str, str]) -> bool:
    """A way a runner may be on (outdoors, with GPS): highway=* in the table, or
    leisure=track."""
    if not _foot_allowed(tags) or tags.get("area") == "yes" or tags.get("indoor") == "yes":
        return False
    if tags.get("tunnel", "no") not in {"no", "building_passage"}:
        return False
    return _lookup("highway", tags.get("highway")) is not None or tags.get("leisure") == "track"


def way_class(tags: Mapping[str, str]) -> str | None:
    """Surface class of a runnable way (see the module docstring for the order)."""
    if not is_runnable(tags):
        return None
    has_surface, cls = _surface(tags)
    if has_surface:
        return cls
    if tags.get("leisure") == "track":
        sport = tags.get("sport")
        return "track" if sport is None or sport in RUNNING_SPORTS else None
    for key in ("tracktype", "footway"):
        rule = _lookup(key, tags.get(key))
        if rule is not None:
            return rule.surface
    rule = _lookup("highway", tags.get("highway"))
    return rule.surface if rule else None


def area_class(tags: Mapping[str, str]) -> str | None:
    """Surface class of an area (closed way or multipolygon), or None if not one."""
    if not _foot_allowed(tags):
        return None
    line = tags.get("highway") is not None or tags.get("leisure") == "track"
    if line and tags.get("area") != "yes":
        return None  # a closed road or racetrack is a loop, handled as a way
    rules = [_lookup(key, tags.get(key)) for key in AREA_KEYS]
    if not any(rules):
        return None
    has_surface, cls = _surface(tags)
    if has_surface:
        return cls
    return next((r.surface for r in rules if r is not None and r.surface), None)


def classify(tags: Mapping[str, str]) -> str | None:
    """Surface class of any OSM object's tags: a runnable way first, else an area.

    None: not runnable, not a surface area, or surface unknown.
    """
    if is_runnable(tags):
        return way_class(tags)
    return area_class(tags)
