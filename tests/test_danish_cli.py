"""A Danish runner reads loadguard in Danish: `check`, `runs`, `shoe list`, `pain` and the
corrections, with the decimal comma; the language is the athlete's own setting, else the
settings file, else LANG. At 80 columns; `check` as a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadguard import settings as config
from loadguard.cli import demo
from loadguard.cli.main import app

EXE = Path(sys.executable).with_name("loadguard")
AS_OF = "2026-11-12"  # Thursday of the demo season's plan week 10
# English a Danish screen must not show; commands in `backticks`, ids and names aside
ENGLISH = re.compile(
    r"\b(the|and|of|your|week|weeks|runs|shoe|shoes|pain|surface|findings|status: (GREEN|"
    r"YELLOW|RED)|so far|left|logged|deleted|checked|more|older|cap|change|longest)\b"
)
DECIMAL_POINT = re.compile(r"(?<![\d-])\d+\.\d+(?![\d-])")


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    demo.run(folder)
    return folder / "loadguard.sqlite"


def lg(db: Path, *args: str, lang: str = "C.UTF-8", settings: Path | None = None) -> str:
    """The command in this process (CliRunner), with LANG and the settings file given."""
    env = {"LANG": lang, "LC_ALL": "", "LC_MESSAGES": "", "COLUMNS": "80"}
    env["LOADGUARD_SETTINGS"] = str(settings) if settings else str(db.parent / "none.toml")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        if settings is None:
            (db.parent / "none.toml").write_text("")
        config.current.cache_clear()
        result = CliRunner().invoke(app, ["--db", str(db), *args])
        config.current.cache_clear()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output


def lg_process(db: Path, *args: str, lang: str) -> str:
    """The command as a real process, as a runner's shell starts it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LOADGUARD_"))}
    env.update(LANG=lang, COLUMNS="80")
    done = subprocess.run(
        [str(EXE), "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


def danish_only(text: str) -> None:
    plain = re.sub(r"`[^`]*`", "", text)
    plain = re.sub(r"'[^']*'", "", plain)  # shoe names are the runner's own
    plain = plain.replace("Demo Runner", "").replace("Daily trainer", "")
    assert ENGLISH.search(plain) is None, ENGLISH.search(plain)
    assert DECIMAL_POINT.search(plain) is None, DECIMAL_POINT.search(plain)


def test_lang_da_makes_check_danish_with_decimal_commas_and_it_fits_80_columns(
    season: Path,
) -> None:
    out = lg_process(season, "check", "--as-of", AS_OF, lang="da_DK.UTF-8")
    assert "planuge 10, sammenhængende løb" in out
    assert "status: ● RØD" in out
    assert "hidtil, 3d igen" in out
    assert "Uge 9: +40 % i forhold til ugen før; planen tillader +10 %." in out
    assert re.search(r"\b\d+,\d\b", out)  # 16,9 km
    assert max(len(line) for line in out.splitlines()) <= 80
    danish_only(out)


def test_the_athletes_own_language_wins_over_the_settings_file_and_lang(
    season: Path, tmp_path: Path
) -> None:
    conf = tmp_path / "settings.toml"
    conf.write_text('[athlete]\nlanguage = "da"\n')
    assert "planuge 10" in lg(season, "check", "--as-of", AS_OF, settings=conf)
    lg(season, "athlete", "set", "demo", "--language", "en")
    try:
        out = lg(season, "check", "--as-of", AS_OF, lang="da_DK.UTF-8", settings=conf)
        assert "plan week 10" in out
        lg(season, "athlete", "set", "demo", "--language", "da")
        assert "planuge 10" in lg(season, "check", "--as-of", AS_OF)  # LANG=C, still Danish
    finally:
        lg(season, "athlete", "set", "demo", "--language", "da")


def test_runs_shoes_pain_and_corrections_speak_danish(season: Path) -> None:
    lg(season, "athlete", "set", "demo", "--language", "da")
    runs = lg(season, "runs", "--last", "3")
    assert "lokal start" in runs
    assert "sko" in runs
    danish_only(runs)
    shoes = lg(season, "shoe", "list", "--as-of", AS_OF)
    assert "skal skiftes" in shoes
    pain = lg(season, "pain", "4", "--after-run", "--date", "2026-11-11")
    assert pain.startswith("smerte 4/10 (efter løbet, 2026-11-11) logget, med dagens løb")
    assert "gul" in pain
    again = lg(season, "pain", "3", "--after-run", "--date", "2026-11-11")
    assert "(erstatter 4/10)" in again
    assert "fjernet" in lg(season, "pain", "--remove", "--after-run", "--date", "2026-11-11")
    deleted = lg(season, "run", "delete", "2")
    assert deleted.startswith("løb 2 slettet")
    assert "tjekket igen: RØD" in deleted
    assert "slettet" in lg(season, "runs", "--deleted")
    assert "genskabt" in lg(season, "run", "restore", "2")
    for text in (shoes, pain, again, deleted):
        danish_only(text)
