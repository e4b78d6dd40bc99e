"""Alert channel URLs at rest: sealed with the Strava tokens' key (Fernet), found again by a
keyed digest, shown redacted in the CLI and the web app, and still delivered to a real
receiver on 127.0.0.1; a row stored in plain text by an older loadguard keeps working and
is sealed; a wrong or missing key is one line naming the key, never a traceback."""

from __future__ import annotations

import io
import os
import sqlite3
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import Result
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from builders import PLAN_START
from loadguard.alerts import channels
from loadguard.app import mydata, service
from loadguard.cli.main import app
from loadguard.store import channel_urls, export, migrations, outbox, secretbox
from loadguard.store.db import Store
from loadguard_strava import config as strava_config
from loadguard_strava.tokens import TokenBox, Tokens
from receivers import Receiver, receiver

PASSWORD, TOKEN = "Pw7f3kQz9x", "Tk8XyZ2w5q"
TG_TOKEN = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TEST_TITLE = "loadguard: test message"


@pytest.fixture(autouse=True)
def key_from_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key file in the test's own config folder, unless a test sets the variable;
    lines wide enough that no message is wrapped."""
    monkeypatch.delenv(secretbox.KEY_ENV, raising=False)
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture
def file_db(tmp_path: Path) -> Path:
    """A SQLite store with the runner anna, made by the CLI."""
    db = tmp_path / "lg.sqlite"
    added = lg(db, "athlete", "add", "anna", "--start", "2026-03-02", "--tz", "UTC")
    assert added.exit_code == 0, added.output
    return db


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    with Store(db) as s:
        s.add_athlete("anna", "Anna", "heel-fat-pad", PLAN_START, "Europe/Copenhagen")
        yield s


def lg(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", str(db), *args])


def secret_url(port: int) -> str:
    return f"json://anna:{PASSWORD}@127.0.0.1:{port}/inbox?token={TOKEN}"


def file_bytes(db: Path) -> bytes:
    """Every byte of the SQLite store as it lies on disk: the file, its journal or WAL, and
    the files kept beside it (the columnar copy, kept reports)."""
    beside = sorted(db.parent.glob(f"{db.name}*"))
    files = [p for p in beside if p.is_file()] + [f for p in beside for f in sorted(p.rglob("*"))]
    return b"".join(p.read_bytes() for p in files if p.is_file())


def rows(store: Store) -> list[tuple[str, ...]]:
    found = store.conn.execute(
        "SELECT recipient, url, COALESCE(sealed, ''), created_at FROM alert_channels"
    ).fetchall()
    return [tuple(str(v) for v in r) for r in found]


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    (line,) = result.stderr.strip().splitlines()
    return line


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        (f"json://anna:{PASSWORD}@hooks.example/inbox?token={TOKEN}", (PASSWORD, TOKEN)),
        (f"mailto://anna:{PASSWORD}@example.com", (PASSWORD,)),
        (f"tgram://123456789:{TG_TOKEN}/987654321", (TG_TOKEN, "987654321")),
    ],
    ids=["json", "mailto", "tgram"],
)
def test_a_channel_url_with_a_password_is_not_stored_in_plain_text(
    file_db: Path, url: str, secrets: tuple[str, ...]
) -> None:
    added = lg(file_db, "alerts", "add-channel", url, "--athlete", "anna")
    assert added.exit_code == 0, added.output
    assert "stored encrypted" in added.output
    on_disk = file_bytes(file_db)
    with sqlite3.connect(file_db) as conn:
        ((who, stored, sealed),) = conn.execute(
            "SELECT recipient, url, sealed FROM alert_channels"
        ).fetchall()
    assert who == "athlete:anna"
    assert stored.startswith("sealed:")
    box = secretbox.box(create=False)
    assert box.open(sealed, "test") == url
    for secret in secrets:
        assert secret.encode() not in on_disk
        assert secret not in stored + sealed
        assert secret not in added.output


def test_a_sealed_channel_still_delivers_to_a_real_receiver(store: Store, hook: Receiver) -> None:
    assert outbox.add_channel(store, "athlete:anna", secret_url(hook.port))
    for row in rows(store):
        assert PASSWORD not in " ".join(row)
        assert TOKEN not in " ".join(row)
    done = service.send_test(store, "athlete:anna")
    assert (done.sent, done.failed) == (1, 0), done.errors
    (got,) = hook.wait_for(1)
    assert got["path"] == "/inbox"
    assert got["body"]["title"] == TEST_TITLE


def test_the_same_url_added_twice_is_stored_once_though_each_sealing_differs(
    store: Store, hook: Receiver
) -> None:
    url = secret_url(hook.port)
    assert outbox.add_channel(store, "athlete:anna", url)
    assert not outbox.add_channel(store, "athlete:anna", url)
    assert outbox.add_channel(store, "coach:mette", url)  # another recipient: its own row
    box = secretbox.box(create=False)
    assert box.seal(url) != box.seal(url)
    (anna, mette) = sorted(rows(store))
    assert anna[1] != mette[1]
    assert outbox.stored_channels(store) == {"athlete:anna": [url], "coach:mette": [url]}
    assert outbox.remove_channel(store, "athlete:anna", url)
    assert not outbox.remove_channel(store, "athlete:anna", url)
    assert outbox.stored_channels(store) == {"coach:mette": [url]}


def as_an_older_loadguard_left_it(store: Store, recipient: str, url: str) -> None:
    """The channels table before schema 18 (and what came after it undone), with a row in
    plain text."""
    store.conn.execute("ALTER TABLE alert_channels DROP COLUMN sealed")
    store.conn.execute("DROP INDEX guard_runs_by_athlete")  # 19
    store.conn.execute("ALTER TABLE guard_runs DROP COLUMN digest")
    store.conn.execute("DELETE FROM schema_migrations WHERE version >= 18")
    store.conn.execute(
        "INSERT INTO alert_channels (recipient, url, created_at) VALUES (?, ?, ?)",
        (recipient, url, "2026-03-01T08:00:00+00:00"),
    )
    migrations.forget_checked()


def test_an_old_plain_text_row_still_delivers_after_the_upgrade_and_is_sealed(
    db: str, hook: Receiver
) -> None:
    url = secret_url(hook.port)
    with Store(db) as old:
        old.add_athlete("anna", "Anna", "heel-fat-pad", PLAN_START, "Europe/Copenhagen")
        as_an_older_loadguard_left_it(old, "athlete:anna", url)
        assert any(
            PASSWORD in " ".join(r[:2])
            for r in old.conn.execute("SELECT recipient, url FROM alert_channels")
        )
    with Store(db) as upgraded:
        done = service.send_test(upgraded, "athlete:anna")
        assert (done.sent, done.failed) == (1, 0), done.errors
        ((who, stored, sealed, created_at),) = rows(upgraded)
        assert (who, created_at) == ("athlete:anna", "2026-03-01T08:00:00+00:00")
        assert stored.startswith("sealed:")
        assert PASSWORD not in stored + sealed
        assert not outbox.add_channel(upgraded, "athlete:anna", url)  # found, sealed
    assert hook.wait_for(1)[0]["body"]["title"] == TEST_TITLE


def test_an_upgraded_plain_text_row_leaves_no_trace_of_its_secret_in_the_sqlite_file(
    file_db: Path, hook: Receiver
) -> None:
    with Store(file_db) as old:
        as_an_older_loadguard_left_it(old, "athlete:anna", secret_url(hook.port))
    assert PASSWORD.encode() in file_bytes(file_db)
    listed = lg(file_db, "alerts", "list")
    assert listed.exit_code == 0, listed.output
    assert f"json://127.0.0.1:{hook.port}/…" in listed.output
    on_disk = file_bytes(file_db)
    assert PASSWORD.encode() not in on_disk
    assert TOKEN.encode() not in on_disk
    assert lg(file_db, "alerts", "test", "--athlete", "anna").exit_code == 0
    assert hook.wait_for(1)[0]["path"] == "/inbox"


def test_the_cli_lists_a_sealed_channel_redacted_and_removes_it_by_its_url(
    file_db: Path, hook: Receiver
) -> None:
    url = secret_url(hook.port)
    shown = f"json://127.0.0.1:{hook.port}/…"
    added = lg(file_db, "alerts", "add-channel", url, "--athlete", "anna")
    assert f"athlete:anna: {shown} added" in added.output
    assert str(secretbox.key_file()) in " ".join(added.output.split())
    listed = lg(file_db, "alerts", "list")
    assert listed.exit_code == 0, listed.output
    assert shown in listed.output
    for secret in (PASSWORD, TOKEN, "anna:"):
        assert secret not in listed.output
    tested = lg(file_db, "alerts", "test", "--athlete", "anna")
    assert "1 sent, 0 failed" in tested.output
    removed = lg(file_db, "alerts", "remove-channel", url, "--athlete", "anna")
    assert removed.exit_code == 0, removed.output
    assert f"athlete:anna: {shown} removed" in removed.output
    assert "No one gets alerts yet" in lg(file_db, "alerts", "list").output


def test_another_key_is_one_line_naming_the_key_with_no_traceback(
    file_db: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Fernet.generate_key().decode()
    monkeypatch.setenv(secretbox.KEY_ENV, first)
    url = secret_url(hook.port)
    assert lg(file_db, "alerts", "add-channel", url, "--athlete", "anna").exit_code == 0
    monkeypatch.setenv(secretbox.KEY_ENV, Fernet.generate_key().decode())
    for command in (
        ["list"],
        ["test", "--athlete", "anna"],
        ["send"],
        ["add-channel", f"json://127.0.0.1:{hook.port}/other", "--athlete", "anna"],
        ["remove-channel", url, "--athlete", "anna"],
    ):
        line = one_line_error(lg(file_db, "alerts", *command))
        assert "stored alert channels cannot be decrypted with $LOADGUARD_TOKEN_KEY" in line
        assert first not in line
    monkeypatch.setenv(secretbox.KEY_ENV, "not-a-key")
    line = one_line_error(lg(file_db, "alerts", "list"))
    assert "$LOADGUARD_TOKEN_KEY is not a Fernet key" in line
    monkeypatch.setenv(secretbox.KEY_ENV, first)
    assert lg(file_db, "alerts", "test", "--athlete", "anna").exit_code == 0
    assert len(hook.wait_for(1)) == 1
    with sqlite3.connect(file_db) as conn:
        assert conn.execute("SELECT count(*) FROM alert_channels").fetchone() == (1,)


def test_a_missing_key_file_is_named_and_no_new_key_is_made_in_its_place(
    file_db: Path, hook: Receiver
) -> None:
    assert not secretbox.key_file().exists()
    added = lg(file_db, "alerts", "add-channel", secret_url(hook.port), "--athlete", "anna")
    assert added.exit_code == 0, added.output
    key_file = secretbox.key_file()
    assert key_file.stat().st_mode & 0o777 == 0o600
    key_file.unlink()
    for command in (
        ["list"],
        ["add-channel", f"json://127.0.0.1:{hook.port}/other", "--athlete", "anna"],
    ):
        line = one_line_error(lg(file_db, "alerts", *command))
        assert f"the key file {key_file} does not exist" in line
    assert not key_file.exists()
    assert hook.received == []


def test_a_key_file_others_can_read_is_refused(file_db: Path, hook: Receiver) -> None:
    assert lg(file_db, "alerts", "add-channel", secret_url(hook.port), "-a", "anna").exit_code == 0
    key_file = secretbox.key_file()
    key_file.chmod(0o644)
    line = one_line_error(lg(file_db, "alerts", "test", "--athlete", "anna"))
    assert f"the key file {key_file} can be read by others (mode 0644): chmod 600" in line
    assert hook.received == []
    key_file.chmod(0o600)
    assert lg(file_db, "alerts", "test", "--athlete", "anna").exit_code == 0


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("ntfy://ntfy.sh/{env:TOPIC}", False),
        ("mailto://{env:MAIL_USER}:{env:MAIL_PASSWORD}@example.com", False),
        ("tgram://{env:BOT}/{env:CHAT}", False),
        ("json://hooks.example/?token={env:HOOK_TOKEN}", False),
        ("ntfy://ntfy.sh/my-heel", True),
        ("json://127.0.0.1:9/hooks/{env:HOOK}", True),
        ("json://user:{env:PW}@hooks.example", True),
        ("tgram://123456789:AAbb/{env:CHAT}", True),
        ("pover://{env:USER}@azGDORePK8gMaC0QOYAMyEEuzJnyUi", True),
        ("json://ntfy/{env:TOPIC}", False),
    ],
)
def test_only_a_url_whose_secrets_are_all_environment_references_counts_as_holding_none(
    url: str, secret: bool
) -> None:
    assert channel_urls.holds_secret(url) is secret


def test_a_url_whose_secrets_are_all_environment_references_is_stored_as_given(
    tmp_path: Path,
) -> None:
    url = "ntfy://ntfy.sh/{env:TOPIC}"
    with Store(tmp_path / "lg.sqlite") as store:
        assert outbox.add_channel(store, "athlete:anna", url)
        assert not outbox.add_channel(store, "athlete:anna", url)
        assert [r[1:3] for r in rows(store)] == [(url, "")]
        assert outbox.stored_channels(store) == {"athlete:anna": [url]}
    assert not secretbox.key_file().exists()  # nothing sealed, no key needed


def test_one_key_serves_the_strava_tokens_and_the_alert_channels(
    file_db: Path, hook: Receiver
) -> None:
    url = secret_url(hook.port)
    assert lg(file_db, "alerts", "add-channel", url, "--athlete", "anna").exit_code == 0
    key = secretbox.key_file().read_bytes()
    strava = strava_config.load({}, need_app=False)
    assert strava.token_key_file == secretbox.key_file()
    tokens = Tokens("access", "refresh", 1_900_000_000)
    box = TokenBox(strava)
    assert box.open(box.seal(tokens)) == tokens
    assert secretbox.key_file().read_bytes() == key
    with sqlite3.connect(file_db) as conn:
        (sealed,) = conn.execute("SELECT sealed FROM alert_channels").fetchone()
    assert Fernet(key).decrypt(sealed.encode()).decode() == url


def test_the_data_export_holds_no_channel_secret_and_erasing_removes_the_channel(
    file_db: Path, hook: Receiver
) -> None:
    assert lg(file_db, "alerts", "add-channel", secret_url(hook.port), "-a", "anna").exit_code == 0
    with Store(file_db) as store:
        out = io.BytesIO()
        mydata.write_zip(store, store.athlete("anna"), out)
        with zipfile.ZipFile(out) as z:
            everything = b"".join(z.read(name) for name in z.namelist())
        assert b"athlete" in everything
        for secret in (PASSWORD, TOKEN):
            assert secret.encode() not in everything
        export.erase(store, "anna", None, None)
        assert rows(store) == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"tgram://123456789:{TG_TOKEN}/987654321", "tgram://…"),
        (f"pover://userkey@{TOKEN}", "pover://…"),
        (f"json://anna:{PASSWORD}@hooks.example/inbox?token={TOKEN}", "json://hooks.example/…"),
    ],
)
def test_a_channel_is_shown_without_a_token_even_in_the_hosts_place(url: str, shown: str) -> None:
    assert channels.redact(url) == shown
    said = channels.scrub(f"refused by {url.split('://')[1]}", url)
    for secret in (PASSWORD, TOKEN, TG_TOKEN, TOKEN.lower()):
        assert secret not in said


def test_boxes_made_at_once_share_one_new_private_key_file() -> None:
    start = threading.Barrier(8)

    def make(_: int) -> secretbox.SecretBox:
        start.wait()
        return secretbox.box(create=True)

    with ThreadPoolExecutor(8) as pool:
        boxes = list(pool.map(make, range(8)))
    sealed = boxes[0].seal("json://x")
    assert [b.open(sealed, "test") for b in boxes] == ["json://x"] * 8
    assert os.listdir(secretbox.key_file().parent) == ["token.key"]
    assert secretbox.key_file().stat().st_mode & 0o777 == 0o600
