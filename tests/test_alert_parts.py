"""The pure parts of alerts: message texts in every language, quiet hours, channel
redaction, and the alert settings (refused with the key named)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from loadguard import settings
from loadguard.alerts import channels, recipients, texts
from loadguard.guard import verdict


def test_quiet_hours_are_local_and_may_span_midnight() -> None:
    cph = ZoneInfo("Europe/Copenhagen")
    held = recipients.held_until
    evening = datetime(2026, 3, 5, 21, 0, tzinfo=UTC)  # 22:00 in Copenhagen
    assert held(evening, "22:00-07:00", cph) == datetime(2026, 3, 6, 6, 0, tzinfo=UTC)
    early = datetime(2026, 3, 6, 5, 0, tzinfo=UTC)  # 06:00 local
    assert held(early, "22:00-07:00", cph) == datetime(2026, 3, 6, 6, 0, tzinfo=UTC)
    noon = datetime(2026, 3, 6, 11, 0, tzinfo=UTC)
    assert held(noon, "22:00-07:00", cph) == noon
    assert held(noon, "12:00-13:00", cph) == datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    assert held(noon, "", cph) == noon


def test_every_message_has_a_text_in_every_language() -> None:
    def keys(tree: dict[str, object], prefix: str = "") -> set[str]:
        out: set[str] = set()
        for k, v in tree.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
        return out

    english = keys(texts.catalogue("en"))
    assert english == keys(texts.catalogue("da"))
    for rule in verdict.RULES:  # every rule the guard runs has its alert text
        assert {f"rules.{rule}.title", f"rules.{rule}.what", f"rules.{rule}.do"} <= english


def test_channel_secrets_are_redacted_and_a_missing_variable_is_named() -> None:
    url = "json://user:pa55@hooks.example/{env:NOPE_NOT_SET}"
    assert channels.redact(url) == "json://hooks.example/…"
    with pytest.raises(channels.ChannelError, match=r"needs \$NOPE_NOT_SET, which is not set"):
        channels.expand(url)
    with pytest.raises(channels.ChannelError, match="not a URL apprise understands"):
        channels.validate("nosuchscheme://x/y")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[alerts.anna]\nquiet_hours = "10pm-7am"\n', "alerts.anna.quiet_hours"),
        ('[alerts.anna]\nlanguage = "sv"\n', "alerts.anna.language"),
        ('[alerts.anna]\nweekly_summary = "monday"\n', "alerts.anna.weekly_summary"),
        ('[coaches.mette]\ntimezone = "Europe/Aarhus"\n', "coaches.mette.timezone"),
        ('[coaches.mette]\ndigest = "7:30"\n', "coaches.mette.digest"),
        ("[scheduler]\nwatch_s = 0\n", "scheduler.watch_s"),
    ],
)
def test_bad_alert_settings_are_refused_naming_the_key(
    text: str, named: str, tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(settings.SettingsError, match=named.replace(".", r"\.")):
        settings.load_settings(path)


def test_the_example_settings_file_is_valid_and_keeps_secrets_as_env_references() -> None:
    example = Path(__file__).parents[1] / "config" / "settings.example.toml"
    conf = settings.load_settings(example)
    assert conf.coaches["mette"].athletes == ["anna", "bo"]
    assert conf.alerts["anna"].language == "da"
    for url in [*conf.alerts["anna"].channels, *conf.coaches["mette"].channels]:
        assert "{env:" in url
