"""Findings as a polars frame: the schema every rule writes, and the shaping helper."""

from __future__ import annotations

from itertools import starmap

import polars as pl

from loadguard.guard.findings import Finding

FINDING_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "athlete_id": pl.String,
    "rule": pl.String,
    "severity": pl.String,
    "date": pl.Date,
    "plan_week": pl.Int32,
    "value": pl.Float64,
    "limit": pl.Float64,
    "message": pl.String,
    "evidence": pl.String,  # key into the plan's [sources.*]
    "subject": pl.String,  # what it is about: a run's day, a plan week, a shoe (alerts key on it)
    "detail": pl.String,  # which kind, for the texts: a symptom, "drop" of a shoe's profile
}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def frame(
    source: pl.DataFrame,
    *,
    rule: str,
    severity: pl.Expr,
    day: pl.Expr,
    plan_week: pl.Expr,
    value: pl.Expr,
    limit: pl.Expr,
    message: pl.Expr,
    evidence: pl.Expr,
    subject: pl.Expr | None = None,
    detail: pl.Expr | None = None,
) -> pl.DataFrame:
    """Shape rows of ``source`` (already filtered to violations) into the findings schema."""
    # polars 2.1's pl.format can panic on columns split into several chunks: rechunk first.
    out = source.rechunk().select(
        pl.col("athlete_id"),
        pl.lit(rule).alias("rule"),
        severity.alias("severity"),
        day.alias("date"),
        plan_week.alias("plan_week"),
        value.alias("value"),
        limit.alias("limit"),
        message.alias("message"),
        evidence.alias("evidence"),
        (subject if subject is not None else day.cast(pl.String)).alias("subject"),
        (detail if detail is not None else pl.lit("")).alias("detail"),
    )
    return out.cast(FINDING_SCHEMA)  # type: ignore[arg-type]


def to_findings(findings: pl.DataFrame) -> list[Finding]:
    """The rows as records (by position: 2x faster than by name for a pass's 20,000)."""
    return list(starmap(Finding, findings.select(*FINDING_SCHEMA).rows()))
