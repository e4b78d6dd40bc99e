"""Every test runs with its own config and data folders: nothing reads or writes the
developer's real loadguard settings or store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loadguard import settings


@pytest.fixture(autouse=True)
def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("LOADGUARD_SETTINGS", "LOADGUARD_DB", "LOADGUARD_PLANS"):
        monkeypatch.delenv(name, raising=False)
    settings.current.cache_clear()
    yield
    settings.current.cache_clear()
