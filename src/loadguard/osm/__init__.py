"""GPS-to-surface matching on OpenStreetMap data: tag table, index, matcher."""

from loadguard.osm.index import IndexStats, SurfaceIndex, build_index
from loadguard.osm.match import Matched, match
from loadguard.osm.tags import CLASSES, classify

__all__ = ["CLASSES", "IndexStats", "Matched", "SurfaceIndex", "build_index", "classify", "match"]
