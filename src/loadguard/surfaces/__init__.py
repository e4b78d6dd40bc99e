"""Surfaces: the classes (grass, gravel, trail, track, paved, ...), what the runner and
the source say a run was on, the per-stretch mix along a GPS track, and
OpenStreetMap matching in :mod:`loadguard.surfaces.osm`.

Pure but for reading and building map index files. The bottom of the core: may
import only the contract.
"""
