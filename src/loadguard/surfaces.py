"""Surface of each run from what the runner and the source say (pure polars).

Precedence: the runner's own tags in the name or description (``#grass``,
``#asphalt``; several tags split the run evenly) > the source's coarse label
(FIT ``sub_sport`` or the Strava-mapped equivalent) > unknown. Unknown stays
unknown: nothing is guessed. GPS-matched surfaces come from a later stage.
"""

from __future__ import annotations

import polars as pl

from loadguard.plan import SURFACE_CLASSES

# The one table from runner tags to surface classes.
TAGS: dict[str, str] = {
    "grass": "grass",
    "lawn": "grass",
    "gravel": "gravel",
    "trail": "trail",
    "forest": "trail",
    "dirt": "trail",
    "woodchips": "trail",
    "track": "track",
    "asphalt": "paved",
    "tarmac": "paved",
    "road": "paved",
    "concrete": "paved",
    "pavement": "paved",
    "paved": "paved",
    "treadmill": "treadmill",
}

# FIT sub_sport names (Strava sport types are mapped onto these by their connector).
SUB_SPORTS: dict[str, str] = {
    "trail": "trail",
    "track": "track",
    "treadmill": "treadmill",
    "indoor_running": "treadmill",
    "virtual_activity": "treadmill",
    "street": "paved",
}

KNOWN = tuple(c for c in SURFACE_CLASSES if c != "unknown")


def surface_km(runs: pl.DataFrame) -> pl.DataFrame:
    """Add ``surface_<class>_km`` columns (every class incl. unknown) to a runs frame.

    Needs ``name``, ``description``, ``sub_sport`` and ``km`` columns.
    """
    text = pl.concat_str(
        [pl.col("name").fill_null(""), pl.col("description").fill_null("")], separator=" "
    ).str.to_lowercase()
    tags = (
        text.str.extract_all(r"#[a-z_]+")
        .list.eval(pl.element().str.slice(1).replace_strict(TAGS, default=None))
        .list.drop_nulls()
        .list.unique()
    )
    label = pl.col("sub_sport").replace_strict(SUB_SPORTS, default=None)
    frame = runs.with_columns(_tags=tags, _label=label)
    n_tags = pl.col("_tags").list.len()
    columns = []
    for cls in KNOWN:
        share = (
            pl.when(n_tags > 0)
            .then(pl.col("_tags").list.contains(pl.lit(cls)).cast(pl.Float64) / n_tags)
            .when(pl.col("_label") == cls)
            .then(1.0)
            .otherwise(0.0)
        )
        columns.append((share * pl.col("km")).alias(f"surface_{cls}_km"))
    unknown = pl.when((n_tags == 0) & pl.col("_label").is_null()).then(pl.col("km")).otherwise(0.0)
    columns.append(unknown.alias("surface_unknown_km"))
    return frame.with_columns(columns).drop("_tags", "_label")


SURFACE_COLUMNS = tuple(f"surface_{c}_km" for c in SURFACE_CLASSES)
