"""`loadguard alerts ...` as a user types it: channels added, listed (redacted) and removed,
test messages and the outbox, against a real HTTP receiver on 127.0.0.1; and an import
whose run breaks the plan alerting the runner."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from loadguard import settings
from loadguard.cli.main import app
from receivers import Receiver, drop_fit, free_port, paved_run, receiver, recent_start

TEST_TITLE = "loadguard: test message"


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wide enough that no cell is cut short with an ellipsis."""
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "lg.sqlite"


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture
def anna(db: Path) -> str:
    assert lg(db, "athlete", "add", "anna", "--start", "2026-03-02", "--tz", "UTC").exit_code == 0
    return "anna"


def lg(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", str(db), *args])


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    monkeypatch.setenv("LOADGUARD_SETTINGS", str(path))
    settings.current.cache_clear()


def url(r: Receiver, path: str = "x") -> str:
    return f"json://127.0.0.1:{r.port}/{path}"


def shown(r: Receiver) -> str:
    return f"json://127.0.0.1:{r.port}/…"


def sends(db: Path) -> list[tuple[str, str, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT n.recipient, n.kind, s.status, s.attempts FROM sends s"
            " JOIN notices n ON n.id = s.notice_id ORDER BY s.id"
        ).fetchall()


def stored_channels(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT recipient, url FROM alert_channels").fetchall()


def test_a_channel_added_from_the_cli_gets_the_test_message(
    db: Path, anna: str, hook: Receiver
) -> None:
    added = lg(db, "alerts", "add-channel", url(hook), "--athlete", anna)
    assert added.exit_code == 0, added.output
    assert f"athlete:anna: {shown(hook)} added" in added.output
    result = lg(db, "alerts", "test", "--athlete", anna)
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    (got,) = hook.wait_for(1)
    assert got["path"] == "/x"
    assert got["body"]["title"] == TEST_TITLE
    assert "anna" in got["body"]["message"]
    assert sends(db) == [("athlete:anna", "test", "sent", 1)]


def test_adding_the_same_channel_twice_stores_it_once(db: Path, anna: str, hook: Receiver) -> None:
    assert lg(db, "alerts", "add-channel", url(hook), "--athlete", anna).exit_code == 0
    again = lg(db, "alerts", "add-channel", url(hook), "--athlete", anna)
    assert again.exit_code == 0
    assert "was already there" in again.output
    assert [who for who, _stored in stored_channels(db)] == ["athlete:anna"]  # once, sealed
    assert lg(db, "alerts", "test", "--athlete", anna).exit_code == 0
    assert len(hook.wait_for(1)) == 1


def test_a_failed_test_message_exits_1_names_the_channel_and_is_sent_later_by_send(
    db: Path, anna: str, hook: Receiver
) -> None:
    assert lg(db, "alerts", "add-channel", url(hook), "--athlete", anna).exit_code == 0
    hook.down = True
    result = lg(db, "alerts", "test", "--athlete", anna)
    assert result.exit_code == 1
    assert "0 sent, 1 failed (will retry)" in result.output
    assert f"failed channel {shown(hook)} did not accept the message" in result.output
    assert str(hook.port) in result.output
    assert hook.received == []
    assert hook.refused == 1
    assert sends(db) == [("athlete:anna", "test", "pending", 1)]

    hook.down = False
    not_yet = lg(db, "alerts", "send")  # the back-off is not over
    assert not_yet.exit_code == 0
    assert "0 sent" in not_yet.output
    assert hook.received == []

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sends SET next_try_at = '2000-01-01'")
    sent = lg(db, "alerts", "send")
    assert sent.exit_code == 0, sent.output
    assert "1 sent, 0 failed" in sent.output
    assert [m["body"]["title"] for m in hook.wait_for(1)] == [TEST_TITLE]
    assert sends(db) == [("athlete:anna", "test", "sent", 2)]

    once_more = lg(db, "alerts", "send")
    assert "0 sent" in once_more.output
    assert len(hook.received) == 1


def test_a_dead_channel_fails_the_test_but_the_live_one_still_gets_it(
    db: Path, anna: str, hook: Receiver
) -> None:
    dead = f"json://127.0.0.1:{free_port()}/dead"  # nothing listens there
    assert lg(db, "alerts", "add-channel", dead, "--athlete", anna).exit_code == 0
    assert lg(db, "alerts", "add-channel", url(hook), "--athlete", anna).exit_code == 0
    result = lg(db, "alerts", "test", "--athlete", anna)
    assert result.exit_code == 1
    assert "1 sent, 1 failed" in result.output
    assert [m["path"] for m in hook.wait_for(1)] == ["/x"]
    assert sorted(status for _, _, status, _ in sends(db)) == ["pending", "sent"]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("nosuchscheme://x", "is not a URL apprise understands"),
        ("not a url", "the channel is not a URL like ntfy://host/topic"),
    ],
)
def test_a_channel_url_apprise_cannot_use_is_refused_with_the_reason_and_not_stored(
    db: Path, anna: str, bad: str, reason: str
) -> None:
    result = lg(db, "alerts", "add-channel", bad, "--athlete", anna)
    assert result.exit_code == 1
    assert reason in result.stderr
    assert "added" not in result.output
    assert stored_channels(db) == []
    listed = lg(db, "alerts", "list")
    assert listed.exit_code == 0
    assert "No one gets alerts yet" in listed.output


def test_a_coach_missing_from_the_settings_is_named_with_the_table_to_add(
    db: Path, anna: str, hook: Receiver
) -> None:
    result = lg(db, "alerts", "add-channel", url(hook), "--coach", "mette")
    assert result.exit_code == 1
    assert "no coach 'mette' in the settings: add [coaches.mette] with its athletes" in (
        result.stderr
    )
    assert stored_channels(db) == []
    tested = lg(db, "alerts", "test", "--coach", "mette")
    assert tested.exit_code == 1
    assert "[coaches.mette]" in tested.output
    assert hook.received == []


def test_a_coach_from_the_settings_gets_a_channel_and_the_test_message(
    db: Path, anna: str, hook: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(tmp_path, monkeypatch, '[coaches.mette]\nathletes = ["anna"]\n')
    added = lg(db, "alerts", "add-channel", url(hook, "mette"), "--coach", "mette")
    assert added.exit_code == 0, added.output
    result = lg(db, "alerts", "test", "--coach", "mette")
    assert result.exit_code == 0, result.output
    (got,) = hook.wait_for(1)
    assert got["path"] == "/mette"
    assert got["body"]["title"] == TEST_TITLE
    assert sends(db) == [("coach:mette", "test", "sent", 1)]


@pytest.mark.parametrize(
    "command",
    [
        ["add-channel", "json://127.0.0.1:1/x"],
        ["remove-channel", "json://127.0.0.1:1/x"],
        ["test"],
    ],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize(
    "who", [[], ["--athlete", "anna", "--coach", "mette"]], ids=["neither", "both"]
)
def test_a_recipient_must_be_exactly_one_runner_or_coach(
    db: Path,
    anna: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    who: list[str],
) -> None:
    configure(tmp_path, monkeypatch, '[coaches.mette]\nathletes = ["anna"]\n')
    result = lg(db, "alerts", *command, *who)
    assert result.exit_code == 1
    assert "name exactly one of --athlete or --coach" in result.stderr
    assert stored_channels(db) == []


def test_a_runner_who_is_not_in_the_store_is_refused(db: Path, anna: str, hook: Receiver) -> None:
    result = lg(db, "alerts", "add-channel", url(hook), "--athlete", "bo")
    assert result.exit_code == 1
    assert "no athlete 'bo'" in result.stderr
    assert stored_channels(db) == []


def test_a_test_message_to_a_runner_without_a_channel_is_refused_saying_how_to_add_one(
    db: Path, anna: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_recipient = lg(db, "alerts", "test", "--athlete", anna)
    assert no_recipient.exit_code == 1
    assert (
        "athlete 'anna' has no alert channel yet: `loadguard alerts add-channel URL --athlete"
        " anna`" in " ".join(no_recipient.stderr.split())
    )
    configure(tmp_path, monkeypatch, '[alerts.anna]\nmin_severity = "info"\n')
    no_channel = lg(db, "alerts", "test", "--athlete", anna)
    assert no_channel.exit_code == 1
    assert "athlete:anna has no channel: `loadguard alerts add-channel` first" in (
        no_channel.stderr
    )
    assert sends(db) == []


def test_alerts_list_shows_channels_without_their_secrets(
    db: Path, anna: str, hook: Receiver
) -> None:
    secret = f"json://user:s3cret@127.0.0.1:{hook.port}/{{env:HOOK}}"
    added = lg(db, "alerts", "add-channel", secret, "--athlete", anna)
    assert added.exit_code == 0, added.output
    listed = lg(db, "alerts", "list")
    assert listed.exit_code == 0, listed.output
    assert shown(hook) in listed.output
    assert "athlete:anna" in listed.output
    assert "warning" in listed.output  # the default floor
    for secret_part in ("s3cret", "user", "HOOK", "env:"):
        assert secret_part not in listed.output
    for secret_part in ("s3cret", "HOOK"):
        assert secret_part not in added.output


def test_a_secret_from_the_environment_is_filled_in_when_the_message_is_sent(
    db: Path, anna: str, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_env = f"json://127.0.0.1:{hook.port}/hooks/{{env:HOOK}}"
    assert lg(db, "alerts", "add-channel", with_env, "--athlete", anna).exit_code == 0
    missing = lg(db, "alerts", "test", "--athlete", anna)
    assert missing.exit_code == 1
    assert "needs $HOOK, which is not set" in missing.output
    assert hook.received == []
    monkeypatch.setenv("HOOK", "t0ken")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sends SET next_try_at = '2000-01-01'")
    sent = lg(db, "alerts", "send")
    assert "1 sent" in sent.output
    (got,) = hook.wait_for(1)
    assert got["path"] == "/hooks/t0ken"
    assert "t0ken" not in lg(db, "alerts", "outbox").output


def test_a_removed_channel_is_gone_and_removing_it_again_fails(
    db: Path, anna: str, hook: Receiver
) -> None:
    assert lg(db, "alerts", "add-channel", url(hook), "--athlete", anna).exit_code == 0
    assert shown(hook) in lg(db, "alerts", "list").output
    removed = lg(db, "alerts", "remove-channel", url(hook), "--athlete", anna)
    assert removed.exit_code == 0, removed.output
    assert f"athlete:anna: {shown(hook)} removed" in removed.output
    assert stored_channels(db) == []
    listed = lg(db, "alerts", "list")
    assert shown(hook) not in listed.output
    assert "No one gets alerts yet" in listed.output
    again = lg(db, "alerts", "remove-channel", url(hook), "--athlete", anna)
    assert again.exit_code == 1
    assert f"athlete:anna has no stored channel {shown(hook)}" in again.stderr
    assert lg(db, "alerts", "test", "--athlete", anna).exit_code == 1
    assert hook.received == []


def test_the_outbox_lists_test_sends_with_their_status_and_error(
    db: Path, anna: str, hook: Receiver
) -> None:
    empty = lg(db, "alerts", "outbox")
    assert empty.exit_code == 0
    assert "athlete:anna" not in empty.output
    assert lg(db, "alerts", "add-channel", url(hook), "--athlete", anna).exit_code == 0
    assert lg(db, "alerts", "test", "--athlete", anna).exit_code == 0
    hook.down = True
    assert lg(db, "alerts", "test", "--athlete", anna).exit_code == 1
    result = lg(db, "alerts", "outbox")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "athlete:anna" in line]
    assert len(rows) == 2
    newest, oldest = rows  # newest first
    for row in rows:
        assert " test " in row
    assert " pending " in newest
    assert f"{shown(hook)} did not accept" in newest
    assert " sent " in oldest
    assert "did not accept" not in oldest
    only_one = lg(db, "alerts", "outbox", "--last", "1")
    assert len([line for line in only_one.output.splitlines() if "athlete:anna" in line]) == 1


@pytest.mark.parametrize(
    "command", [["list"], ["send"], ["test", "--athlete", "anna"]], ids=" ".join
)
def test_a_bad_settings_file_stops_alert_commands_naming_the_key(
    db: Path, anna: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    configure(tmp_path, monkeypatch, '[alerts.anna]\nquiet_hours = "late"\n')
    result = lg(db, "alerts", *command)
    assert result.exit_code == 1
    assert "alerts.anna.quiet_hours" in result.stderr
    assert "settings.toml" in result.stderr
    assert "Traceback" not in result.output


def test_an_imported_run_that_breaks_the_plan_alerts_the_runners_channel(
    db: Path, hook: Receiver, tmp_path: Path
) -> None:
    start = recent_start()
    plan_start = datetime.now(UTC).date() - timedelta(days=8)  # the run is in plan week 2
    assert (
        lg(db, "athlete", "add", "anna", "--start", plan_start.isoformat(), "--tz", "UTC")
    ).exit_code == 0
    assert lg(db, "alerts", "add-channel", url(hook, "anna"), "--athlete", "anna").exit_code == 0
    folder = tmp_path / "GARMIN"
    drop_fit(paved_run(start), folder, tmp_path / "staging")
    result = lg(db, "import", str(folder))
    assert result.exit_code == 0, result.output
    assert "1 runs" in result.output
    (got,) = hook.wait_for(1)
    assert got["path"] == "/anna"
    assert got["body"]["title"] == "loadguard - anna: hard ground too early (warning)"
    assert "paved ground" in got["body"]["message"]
    assert sends(db) == [("athlete:anna", "alert", "sent", 1)]

    again = lg(db, "import", str(folder))  # nothing new: no second alert
    assert again.exit_code == 0
    assert lg(db, "alerts", "send").exit_code == 0
    assert len(hook.received) == 1
