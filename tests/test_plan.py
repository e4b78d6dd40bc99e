"""The plan as data: the shipped plan loads, a wrong file names its key, a new plan needs no code."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadguard.guard.plan import PlanError, available_plans, load_plan, load_plan_file

SHIPPED = Path(__file__).parents[1] / "config" / "plans" / "heel-fat-pad.toml"


def test_the_heel_fat_pad_plan_encodes_the_clinics_stages() -> None:
    plan = load_plan("heel-fat-pad")
    got = [(s.weeks, s.run_s, s.walk_s, s.session_min) for s in plan.stages]
    assert got == [
        ((1, 2), 60, 120, (15, 20)),
        ((3, 4), 120, 60, (20, 25)),
        ((5, 6), 300, 60, (25, 30)),
        ((7, 12), None, None, None),
    ]
    assert plan.weekly_cap.increase_max == 0.10
    assert (plan.shoes.warn_km, plan.shoes.retire_km) == (500, 800)
    assert plan.shoe_profile.heel_stack_mm == (25, 35)
    assert plan.shoe_profile.drop_mm == (8, 12)
    assert (plan.pain.green_max, plan.pain.yellow_max) == (2, 5)
    assert "paved" not in plan.stages[0].surfaces


def test_every_threshold_names_a_graded_source() -> None:
    plan = load_plan("heel-fat-pad")
    for key in ("weekly_cap", "weekly_jump", "session_spike", "shoes", "acwr", "pain"):
        assert plan.evidence(key).grade in {"plan", "study", "convention"}
        assert plan.evidence(key).source
    assert plan.evidence(plan.session_spike.evidence).grade == "study"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text()
    assert old in text
    path = tmp_path / "heel-fat-pad.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("increase_max = 0.10", 'increase_max = "ten"', "weekly_cap.increase_max"),
        ("warn_km = 500", "warn_km = 900", "warn_km must be below"),
        ("weeks = [3, 4]", "weeks = [4, 4]", "starts in week 4, expected week 3"),
        ('evidence = "weekly_cap"', 'evidence = "nowhere"', "weekly_cap.evidence = 'nowhere'"),
        ("retire_km = 800\n", "retire_km = 800\ncolour = 'red'\n", "shoes.colour"),
        ('grade = "study"', 'grade = "rumour"', "grade"),
        ("[acwr]", "[acwr", "not valid TOML"),
        # out of bounds or inconsistent (hostile input, issue 19)
        (
            "increase_max = 0.10    # +10 % a week",
            "increase_max = 1e308",
            "weekly_cap.increase_max",
        ),
        ("critical_over = 0.30", "critical_over = 0.05", "critical_over (0.05) must not be below"),
        ("green_max = 2", "green_max = 7", "green_max (7) is above yellow_max (5)"),
        ("heel_stack_mm = [25, 35]", "heel_stack_mm = [35, 25]", "heel_stack_mm must be"),
        ("from_week = 8 ", "from_week = 99 ", "weekly_cap.from_week (99) is after"),
    ],
)
def test_a_wrong_plan_file_gets_an_error_naming_the_key(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    with pytest.raises(PlanError, match=r"heel-fat-pad\.toml") as err:
        load_plan_file(_broken(tmp_path, old, new))
    assert named in str(err.value)


def test_a_second_plan_is_a_second_file(tmp_path: Path) -> None:
    text = SHIPPED.read_text().replace('id = "heel-fat-pad"', 'id = "plantar-gentle"')
    (tmp_path / "plantar-gentle.toml").write_text(
        text.replace("increase_max = 0.10", "increase_max = 0.05")
    )
    assert available_plans(tmp_path) == ["plantar-gentle"]
    assert load_plan("plantar-gentle", tmp_path).weekly_cap.increase_max == 0.05


def test_an_unknown_plan_lists_the_ones_there_are() -> None:
    with pytest.raises(PlanError, match="available: heel-fat-pad"):
        load_plan("knee")
