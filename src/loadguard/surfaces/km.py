"""Each run's km by surface class from what the runner and the source say (pure polars).

Precedence: the runner's own tags in the name or description (``#grass``, ``#asphalt``;
several tags split the run evenly) > the source's coarse label (FIT ``sub_sport`` or the
Strava-mapped equivalent) > unknown; a GPS breakdown stored for a run wins over both.
"""

from __future__ import annotations

import polars as pl

from loadguard.surfaces.classes import KNOWN, SUB_SPORTS, SURFACE_CLASSES, TAGS


def _tag_shares(tagged: pl.DataFrame) -> pl.DataFrame:
    """Per class, the share of each tagged run its tags give that class (tags split evenly)."""
    text = pl.concat_str(
        [pl.col("name").fill_null(""), pl.col("description").fill_null("")], separator=" "
    ).str.to_lowercase()
    tags = (
        text.str.extract_all(r"#[a-z_]+")
        .list.eval(pl.element().str.slice(1).replace_strict(TAGS, default=None))
        .list.drop_nulls()
        .list.unique()
    )
    n = pl.col("_tags").list.len()
    return tagged.select(_tags=tags).select(
        _any=n > 0,
        **{cls: pl.col("_tags").list.contains(pl.lit(cls)).cast(pl.Float64) / n for cls in KNOWN},
    )


def surface_km(runs: pl.DataFrame) -> pl.DataFrame:
    """Add ``surface_<class>_km`` columns (every class incl. unknown) to a runs frame.

    Needs ``name``, ``description``, ``sub_sport`` and ``km`` columns. Tags are
    parsed only on the runs whose text holds a '#', so a large frame stays fast.
    """
    codes = {sub: KNOWN.index(cls) for sub, cls in SUB_SPORTS.items()}
    code = pl.col("sub_sport").replace_strict(codes, default=-1, return_dtype=pl.Int8)
    km = pl.col("km")
    out = runs.with_columns(_code=code).with_columns(
        *[
            pl.when(pl.col("_code") == i).then(km).otherwise(0.0).alias(f"surface_{cls}_km")
            for i, cls in enumerate(KNOWN)
        ],
        pl.when(pl.col("_code") < 0).then(km).otherwise(0.0).alias("surface_unknown_km"),
    )
    has_tag = pl.col("name").fill_null("").str.contains("#", literal=True) | pl.col(
        "description"
    ).fill_null("").str.contains("#", literal=True)
    where = runs.select(has_tag.arg_true()).to_series()
    if len(where):
        tagged = _tag_shares(runs[where])
        keep = tagged["_any"]
        where, tagged = where.filter(keep), tagged.filter(keep)
        if len(where):
            tagged_km = runs["km"].gather(where)
            columns = {f"surface_{cls}_km": tagged[cls] * tagged_km for cls in KNOWN}
            columns["surface_unknown_km"] = tagged_km * 0.0
            out = out.with_columns(out[name].scatter(where, v) for name, v in columns.items())
    out = out.drop("_code")
    stored = out.get_column("stored_unknown_m") if "stored_unknown_m" in out.columns else None
    if stored is not None and stored.null_count() < len(stored):  # the GPS breakdown wins
        known = pl.col("stored_unknown_m").is_not_null()
        out = out.with_columns(
            pl.when(known)
            .then(pl.col(f"stored_{cls}_m") / 1000.0)
            .otherwise(pl.col(f"surface_{cls}_km"))
            .alias(f"surface_{cls}_km")
            for cls in SURFACE_CLASSES
        )
    return out
