"""The house keeps its layers: import-linter's contracts (in pyproject.toml) hold on this
tree and break on a wrong import; the guard reads no clock; folders say what they are for;
no two neighbours' names differ only by their ending; modules stay small."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "loadguard"
PACKAGES = [
    PACKAGE,
    ROOT / "connectors" / "fit" / "src" / "loadguard_fit",
    ROOT / "connectors" / "strava" / "src" / "loadguard_strava",
    ROOT / "connectors" / "gpx_tcx" / "src" / "loadguard_gpx_tcx",
]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the package found in ``src`` against the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(src), "NO_COLOR": "1"}
    return subprocess.run(
        [str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_layer_contracts_hold_on_this_tree(tmp_path: Path) -> None:
    result = lint_imports(ROOT / "src", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "broken"),
    [
        (
            "loadguard/guard/metrics.py",
            "from loadguard.store.db import Store",
            "loadguard.guard is not allowed to import loadguard.store",
        ),
        (
            "loadguard/guard/weeks.py",
            "import time",
            "loadguard.guard is not allowed to import time",
        ),
        ("loadguard/guard/plan.py", "import urllib.request", "not allowed to import urllib"),
        (
            "loadguard/store/db.py",
            "from loadguard.alerts import texts",
            "loadguard.store is not allowed to import loadguard.alerts",
        ),
        (
            "loadguard/app/service.py",
            "from loadguard.cli import render",
            "loadguard.app is not allowed to import loadguard.cli",
        ),
        (
            "loadguard/sources/registry.py",
            "import loadguard_fit",
            "loadguard is not allowed to import loadguard_fit",
        ),
        (
            "loadguard_strava/sync.py",
            "from loadguard.store.db import Store",
            "loadguard_strava is not allowed to import loadguard.store",
        ),
        (
            "loadguard_fit/decoder.py",
            "from loadguard.app import service",
            "loadguard_fit is not allowed to import loadguard.app",
        ),
    ],
)
def test_a_wrong_import_breaks_the_build_naming_the_layers(
    tmp_path: Path, module: str, bad_import: str, broken: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            package, tmp_path / "src" / package.name, ignore=shutil.ignore_patterns("__pycache__")
        )
    target = tmp_path / "src" / module
    text = target.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    target.write_text(head + sep + bad_import + "\n" + rest)
    result = lint_imports(tmp_path / "src", tmp_path)
    assert result.returncode == 1, result.stdout
    assert broken in result.stdout


CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter", "time_ns"}


def clock_reads(source: str) -> list[str]:
    """Calls that read the clock, as ``name.attr`` (``datetime.now``, ``date.today``...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_CALLS
        ):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else ast.unparse(owner)
            found.append(f"{name}.{node.func.attr}")
    return found


def test_the_clock_scan_finds_a_clock_read() -> None:
    source = "from datetime import UTC, date, datetime\nx = datetime.now(UTC)\ny = date.today()\n"
    assert clock_reads(source) == ["datetime.now", "date.today"]


def test_the_guard_and_surfaces_never_read_the_clock() -> None:
    reads = {
        str(path.relative_to(PACKAGE)): clock_reads(path.read_text())
        for folder in ("guard", "surfaces")
        for path in (PACKAGE / folder).rglob("*.py")
    }
    # building a map index reports how long it took; that is not the guard's as_of
    allowed = {"surfaces/osm/index.py": ["time.perf_counter", "time.perf_counter"]}
    assert {k: v for k, v in reads.items() if v and allowed.get(k) != v} == {}


def test_every_folder_says_what_its_layer_is_for_and_may_import() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init.relative_to(PACKAGE)} has no docstring"
    for layer in ("cli", "app", "alerts", "store", "sources", "guard", "surfaces"):
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text())) or ""
        assert re.search(r"\bmay\s+import\b", doc, re.IGNORECASE), layer


ENDINGS = ("ing", "ers", "er", "es", "s", "ed", "ion", "ions")


def stem(name: str) -> str:
    for ending in ENDINGS:
        if name.endswith(ending) and len(name) - len(ending) >= 4:
            return name[: -len(ending)]
    return name


def look_alikes(names: list[str]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    pairs = []
    for name in sorted(names):
        other = seen.setdefault(stem(name), name)
        if other != name:
            pairs.append((other, name))
    return pairs


def test_the_look_alike_check_catches_the_old_neighbours() -> None:
    assert look_alikes(["surfaces", "surfacing", "places"]) == [("surfaces", "surfacing")]
    assert look_alikes(["alert", "alerts", "texts"]) == [("alert", "alerts")]


def test_no_module_name_differs_from_a_neighbours_only_by_its_ending() -> None:
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir())]:
        if folder.name == "__pycache__":
            continue
        names = [
            p.stem
            for p in folder.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__")
            or (p.is_dir() and (p / "__init__.py").exists())
        ]
        assert look_alikes(names) == [], folder.relative_to(PACKAGE.parent)


def test_core_modules_stay_under_four_hundred_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}
