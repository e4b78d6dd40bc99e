"""Every asset is served by the app itself (offline, on a clinic's intranet): the vendored
JavaScript is what SHA256SUMS says, with its licence, and no page links elsewhere."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from webapp import Browser, add_runner, served

WEB = Path(__file__).parents[1] / "src" / "loadguard" / "web"
VENDOR = WEB / "static" / "vendor"


def test_each_vendored_file_matches_its_checksum_and_has_its_licence() -> None:
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == 4
    for line in lines:
        digest, name = line.split()
        path = VENDOR / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
        assert (path.parent / "LICENSE").read_text().strip(), name


def test_no_template_loads_anything_from_another_site() -> None:
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), template.name


def test_every_script_and_style_a_page_names_is_served(tmp_path: Path) -> None:
    db = tmp_path / "lg.sqlite"
    user = add_runner(db, "anna@example.org")
    with served(db) as server:
        browser = Browser(server.url)
        browser.login("anna@example.org")
        page = browser.open(f"/a/{user.athlete_id}/charts").text
        assets = re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", page)
        assert len(assets) >= 5
        for asset in assets:
            answer = browser.open(asset)
            assert answer.status_code == 200, asset
            assert len(answer.content) > 100, asset
