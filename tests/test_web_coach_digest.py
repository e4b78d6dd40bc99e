"""A coach's daily digest: every athlete with a new warning or critical finding, told
about the athlete, sent once a day at the time the coach chose."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from coachclub import Club, make_club
from loadguard import settings
from loadguard.app import service
from loadguard.store import outbox
from loadguard.store.db import Store
from receivers import receiver
from webapp import text_of


@pytest.fixture
def club(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Club]:
    yield from make_club(tmp_path, monkeypatch)


def test_the_digest_names_every_athlete_with_a_new_warning_or_critical_finding(
    club: Club, tmp_path: Path
) -> None:
    with receiver() as hook, Store(club.db) as store:
        outbox.add_channel(store, f"coach:u{club.mette.id}", f"json://127.0.0.1:{hook.port}/m")
        assert service.send_digest(store, f"u{club.mette.id}").sent == 1
        (digest,) = hook.received
        body = digest["body"]["message"]
        assert "Anna (" in body
        assert "Bo (" in body
        assert "Cai" not in body
        assert "Dag" not in body
        assert f"https://lg.example/a/{club.athlete_id('anna')}/" in body
        assert "Your athletes: https://lg.example/coach" in body
        assert "Anna reports heel pain at night" in body
        assert "Shoe 'Clifton': 815 km" in body
        assert " your " not in body.replace("Your athletes", "")
        assert service.send_digest(store, f"u{club.mette.id}").sent == 0  # nothing new


def test_the_daemons_delivery_round_queues_a_coachs_digest_once_after_0730(club: Club) -> None:

    from loadguard.alerts import delivery
    from loadguard.app import digests

    cph = ZoneInfo("Europe/Copenhagen")  # Mette's athletes' zone: hers for the digest
    with receiver() as hook, Store(club.db) as store:
        outbox.add_channel(store, f"coach:u{club.mette.id}", f"json://127.0.0.1:{hook.port}/m")
        day = datetime.now(cph).date()
        early = datetime.combine(day, datetime.min.time(), cph).replace(hour=7, minute=29)
        assert digests.web_digests_due(store, early) == 0
        assert digests.web_digests_due(store, early.replace(minute=31)) == 1
        assert digests.web_digests_due(store, early.replace(hour=9)) == 0  # one a day
        sent = delivery.deliver_due(store, settings.current(), early.replace(hour=9))
        assert sent.sent == 1
        assert "Anna" in hook.wait_for(1)[0]["body"]["message"]


def test_a_coach_chooses_when_the_digest_comes_or_none(club: Club) -> None:
    from zoneinfo import ZoneInfo as Zone

    from loadguard.alerts import delivery
    from loadguard.app import digests

    key = f"coach:u{club.mette.id}"
    with Store(club.db) as store:
        outbox.add_channel(store, key, "json://127.0.0.1:9/never-sent")
    bad = club.coach.send_form("/coach/digest", {"digest_at": "25:00"})
    assert bad.status_code == 400
    assert "&#34;25:00&#34; is not a time like 07:30." in text_of(bad.text)
    assert club.coach.send_form("/coach/digest", {"digest_at": "06.15"}).status_code == 200
    assert 'value="06:15"' in club.coach.open("/coach").text
    cph = Zone("Europe/Copenhagen")
    with Store(club.db) as store:
        (mine,) = [r for r in delivery.recipients(store, settings.current()) if r.key == key]
        assert mine.digest == "06:15"
        six = datetime.combine(datetime.now(cph).date(), datetime.min.time(), cph)
        assert digests.web_digests_due(store, six.replace(hour=6, minute=10)) == 0
        assert digests.web_digests_due(store, six.replace(hour=6, minute=16)) == 1
    assert club.coach.send_form("/coach/digest", {"digest_at": ""}).status_code == 200
    assert "No digest" in text_of(club.coach.open("/coach").text)
    with Store(club.db) as store:
        assert key not in {r.key for r in delivery.recipients(store, settings.current())}
