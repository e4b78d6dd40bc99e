"""What `check` shows a runner, on the demo's real FIT season: the week in progress is
"so far", the findings that matter now come first, the table and the messages agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from clirun import lg
from loadguard.cli import demo
from loadguard.cli.words import Words, rounded
from loadguard.guard.rules.common import fmt


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    demo.run(folder)
    return folder / "loadguard.sqlite"


_num = Words("en").num


def check(db: Path, *args: str) -> tuple[int, str]:
    return lg(db, "check", *args, columns=80)


def test_the_week_in_progress_reads_so_far_with_its_days_left(season: Path) -> None:
    _, out = check(season, "--as-of", "2026-11-12")  # Thursday of plan week 10
    assert "so far, 3d left" in out
    _, text = check(season, "--as-of", "2026-11-12", "--json")
    weeks = json.loads(text)["weeks"]
    assert [(w["plan_week"], w["days_left"]) for w in weeks if w["in_progress"]] == [(10, 3)]


def test_a_week_just_begun_is_never_minus_100_percent(season: Path) -> None:
    _, out = check(season, "--as-of", "2026-11-16")  # Monday of week 11, no run yet
    assert "-100 %" not in out
    assert "so far, 6d left" in out


def test_the_terminal_shows_what_matters_now_and_counts_the_rest(season: Path) -> None:
    _, out = check(season, "--as-of", "2026-11-12")
    weeks = {int(w) for w in re.findall(r"  week (\d+) ", out)}
    assert weeks == {9}  # week 10 so far has none; weeks 3-6 are older
    assert "shoe_wear" in out  # shoes are always now
    _, text = check(season, "--as-of", "2026-11-12", "--json")
    total = len(json.loads(text)["findings"])
    shown = len(re.findall(r"^● ", out, flags=re.M))
    assert f"{total - shown} more findings (older ones): `loadguard check --all`" in out
    _, everything = check(season, "--as-of", "2026-11-12", "--all")
    assert len(re.findall(r"^● ", everything, flags=re.M)) == total
    assert "  week 3 " in everything


@pytest.mark.parametrize("value", [7.25, 7.35, 7.2504, 7.245, 0.05, 16.95, 21.94, 2.5])
def test_the_table_and_the_messages_round_a_number_alike(value: float) -> None:
    message = pl.select(fmt(pl.lit(value))).item()
    assert _num(value) == message
    assert _num(value, 0) == pl.select(fmt(pl.lit(value), 0)).item()


def test_the_weeks_km_in_the_table_is_the_km_in_the_cap_message(season: Path) -> None:
    _, text = check(season, "--as-of", "2026-11-15", "--json")
    report = json.loads(text)
    by_week = {w["plan_week"]: w for w in report["weeks"]}
    for f in (f for f in report["findings"] if f["rule"] == "weekly_volume_cap"):
        said = re.match(r"Week (\d+): ([\d.]+) km", f["message"])
        assert said is not None
        assert _num(by_week[int(said.group(1))]["run_km"]) == said.group(2)


def test_the_tables_round_as_polars_rounds_without_loading_it() -> None:
    ties = [k / 8 for k in range(-400, 400)] + [k / 200 for k in range(-4000, 4000)]
    values = [*ties, 2.675, 1.005, 0.135, -0.5, -0.04, 0.0, -0.0, 1e-9, 123456.785]
    for decimals in (0, 1, 2):
        polars = pl.Series(values, dtype=pl.Float64).round(decimals).to_list()
        ours = [rounded(v, decimals) for v in values]
        assert [str(x) for x in ours] == [str(x) for x in polars]  # str: -0.0 is not 0.0
