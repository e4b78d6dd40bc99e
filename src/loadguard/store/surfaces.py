"""Stored surface breakdowns per activity, and the runner's saved places."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from loadguard.store.db import Store, StoreError, now_iso
from loadguard.store.sql import integrity_errors
from loadguard.surfaces.classes import SURFACE_CLASSES

if TYPE_CHECKING:  # a mix is reckoned with numpy; storing one needs none
    from loadguard.surfaces.mix import SurfaceMix

COLUMNS = tuple(f"{c}_m" for c in SURFACE_CLASSES)


def save_mix(store: Store, activity_id: int, mix: SurfaceMix) -> None:
    values = [mix.metres.get(c, 0.0) for c in SURFACE_CLASSES]
    with store.atomic():
        store.conn.execute(
            f"INSERT INTO activity_surfaces (activity_id, {', '.join(COLUMNS)}, method,"
            f" computed_at) VALUES (?, {', '.join('?' * len(COLUMNS))}, ?, ?)"
            f" ON CONFLICT(activity_id) DO UPDATE SET"
            f" {', '.join(f'{c} = excluded.{c}' for c in COLUMNS)},"
            " method = excluded.method, computed_at = excluded.computed_at",
            (activity_id, *values, mix.method, now_iso()),
        )


SURFACES = {
    "grass",
    "gravel",
    "trail",
    "track",
    "paved",
    "treadmill",
}


def add_place(
    store: Store, athlete_id: str, name: str, surface: str, geometry: dict[str, Any]
) -> int:
    if surface not in SURFACES:
        raise StoreError(
            f"place {name!r}: surface {surface!r} is not one of {', '.join(sorted(SURFACES))}"
        )
    try:
        with store.atomic():
            cur = store.conn.execute(
                "INSERT INTO places (athlete_id, name, surface, geojson, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (athlete_id, name, surface, json.dumps(geometry), now_iso()),
            )
            return int(cur.fetchone()[0])
    except integrity_errors(store.dialect):
        raise StoreError(f"athlete {athlete_id!r} already has a place named {name!r}") from None


def places(store: Store, athlete_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = store.conn.execute(
        "SELECT name, surface, geojson FROM places WHERE athlete_id = ? ORDER BY id", (athlete_id,)
    ).fetchall()
    return [(r[0], r[1], json.loads(r[2])) for r in rows]
