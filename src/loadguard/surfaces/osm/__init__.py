"""GPS-to-surface matching on OpenStreetMap data: tag table, index, matcher."""

from loadguard.surfaces.osm.index import IndexStats, SurfaceIndex, build_index
from loadguard.surfaces.osm.match import Matched, match
from loadguard.surfaces.osm.tags import CLASSES, classify

__all__ = ["CLASSES", "IndexStats", "Matched", "SurfaceIndex", "build_index", "classify", "match"]
