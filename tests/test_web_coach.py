"""A coach's side, over HTTP on a real server: consent by invitation, the athlete list
(lights, the 14-day rule, order, filters, groups, CSV), notes both ways with alerts,
stage holds and set-backs the guard follows. The digest: test_web_coach_digest.py."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from coachclub import PLAN_START, Club, configure, make_club, rows_of
from loadguard.app import service
from loadguard.store import outbox
from loadguard.store.db import Store
from receivers import receiver
from webapp import A_RUN, Browser, add_coach, add_runner, grant, served, text_of


@pytest.fixture
def club(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Club]:
    yield from make_club(tmp_path, monkeypatch)


def test_the_list_shows_reds_first_then_yellows_then_the_longest_without_a_run(
    club: Club,
) -> None:
    rows = rows_of(club.coach.open("/coach/athletes.csv").text)
    assert [(r["name"], r["light"]) for r in rows] == [
        ("Anna", "red"),
        ("Bo", "red"),
        ("Eva", "yellow"),
        ("Dag", "yellow"),
        ("Cai", "green"),
    ]
    by_name = {r["name"]: r for r in rows}
    assert by_name["Anna"]["last_pain"] == "8"
    assert by_name["Bo"]["shoes_due"] == "Clifton 815 km"
    assert by_name["Dag"]["days_since_run"] == "20"
    assert by_name["Eva"]["days_since_run"] == ""
    assert by_name["Cai"]["days_since_run"] == "1"
    assert by_name["Cai"]["soft_share"] == "0.0"  # a street run: no soft ground


def test_an_athlete_without_a_run_for_14_days_is_never_green(club: Club) -> None:
    page = text_of(club.coach.open("/coach").text)
    assert "Dag" in page
    assert "no runs for 14+ days" in page
    for name in ("dag", "eva"):
        with Store(club.db) as store:
            athlete = store.athlete(club.athlete_id(name))
            report = service.check(store, athlete, service.today(athlete))
        assert report.status == "green"  # the guard itself has nothing against them...
    rows = {r["name"]: r for r in rows_of(club.coach.open("/coach/athletes.csv").text)}
    assert rows["Dag"]["light"] == rows["Eva"]["light"] == "yellow"  # ...the list does


def test_the_list_sorts_by_any_column_and_filters(club: Club) -> None:
    names = lambda q: [r["name"] for r in rows_of(club.coach.open(f"/coach/athletes.csv?{q}").text)]  # noqa: E731
    assert names("sort=name") == ["Anna", "Bo", "Cai", "Dag", "Eva"]
    assert names("sort=name&desc=1") == ["Eva", "Dag", "Cai", "Bo", "Anna"]
    assert names("sort=days_since_run") == ["Cai", "Bo", "Dag", "Anna", "Eva"]  # never: last
    assert names("light=red") == ["Anna", "Bo"]
    assert names("quiet=1") == ["Anna", "Eva", "Dag"]  # never ran counts as quiet
    assert names("light=purple") == names("")  # an unknown light is no filter
    assert club.coach.open("/coach?sort=nonsense").status_code == 200


def test_a_group_filters_the_list(club: Club) -> None:
    assert club.coach.send_form("/coach/groups", {"name": "Tuesday group"}).status_code == 200
    assert "Tuesday group" in club.coach.open("/coach").text
    notes = club.coach.open(f"/a/{club.athlete_id('cai')}/notes").text
    group_id = notes.split('name="group" value="')[1].split('"')[0]
    answer = club.coach.send_form(f"/a/{club.athlete_id('cai')}/groups", {"group": group_id})
    assert answer.status_code == 200
    rows = rows_of(club.coach.open("/coach/athletes.csv?group=Tuesday+group").text)
    assert [(r["name"], r["groups"]) for r in rows] == [("Cai", "Tuesday group")]
    assert club.coach.send_form("/coach/groups", {"name": "  "}).status_code == 400


def test_a_shared_note_reaches_the_athlete_and_a_private_one_stays_with_the_coach(
    club: Club, tmp_path: Path
) -> None:
    anna_id = club.athlete_id("anna")
    with receiver() as hook:
        with Store(club.db) as store:
            outbox.add_channel(store, f"athlete:{anna_id}", f"json://127.0.0.1:{hook.port}/a")
        today = club.coach.open(f"/a/{anna_id}/").text
        ack = today.split('class="button secondary ack" href="')[1].split('"')[0]
        assert ack.startswith(f"/a/{anna_id}/notes?finding=")
        form = club.coach.open(ack).text
        finding = form.split('name="finding" value="')[1].split('"')[0]
        shared = {"body": "Rest two days, then 15 min on grass.", "shared": "1", "finding": finding}
        assert club.coach.send_form(f"/a/{anna_id}/notes", shared).status_code == 200
        private = {"body": "Ask about her new job: stress?"}
        assert club.coach.send_form(f"/a/{anna_id}/notes", private).status_code == 200
        (sent,) = hook.wait_for(1)
        assert sent["body"]["title"] == "loadguard: a note from Mette"
        assert "Rest two days" in sent["body"]["message"]
    anna = club.browser("anna")
    mine = text_of(anna.open(f"/a/{anna_id}/notes").text)
    assert "Rest two days" in mine
    assert "new job" not in mine
    coach_sees = text_of(club.coach.open(f"/a/{anna_id}/notes").text)
    assert "new job" in coach_sees
    assert "private" in coach_sees
    answer = anna.send_form(
        f"/a/{anna_id}/notes/reply", {"coach": str(club.mette.id), "body": "Will do, thanks!"}
    )
    assert answer.status_code == 200
    rows = {r["name"]: r for r in rows_of(club.coach.open("/coach/athletes.csv").text)}
    assert rows["Anna"]["unread_notes"] == "1"
    assert "Will do, thanks!" in text_of(club.coach.open(f"/a/{anna_id}/notes").text)
    rows = {r["name"]: r for r in rows_of(club.coach.open("/coach/athletes.csv").text)}
    assert rows["Anna"]["unread_notes"] == "0"  # read on the notes page
    empty = club.coach.send_form(f"/a/{anna_id}/notes", {"body": "  "})
    assert empty.status_code == 400
    assert "Write something first." in text_of(empty.text)


def test_a_coach_holds_the_stage_and_the_athlete_sees_it_and_why(club: Club) -> None:
    cai_id = club.athlete_id("cai")
    with Store(club.db) as store:
        cai = store.athlete(cai_id)
        before = service.check(store, cai, service.today(cai))
    answer = club.coach.send_form(
        f"/a/{cai_id}/stage", {"kind": "back", "to_week": "3", "reason": "heel sore after the 10k"}
    )
    assert answer.status_code == 200
    with Store(club.db) as store:
        after = service.check(store, store.athlete(cai_id), service.today(store.athlete(cai_id)))
    assert before.stage_week > 3
    assert after.stage_week == 3
    assert after.stage_reason == "set back to week 3 by Mette: heel sore after the 10k"
    today = text_of(club.browser("cai").open(f"/a/{cai_id}/").text)
    assert "set back to week 3 by Mette: heel sore after the 10k" in today
    assert "run/walk" in today.lower() or "interval" in today.lower()
    rows = {r["name"]: r for r in rows_of(club.coach.open("/coach/athletes.csv").text)}
    assert rows["Cai"]["stage_state"] == "coach"
    bad = club.coach.send_form(
        f"/a/{cai_id}/stage", {"kind": "back", "to_week": "99", "reason": "x"}
    )
    assert bad.status_code == 400
    assert "Give a plan week from 1 to" in text_of(bad.text)
    why = club.coach.send_form(f"/a/{cai_id}/stage", {"kind": "hold", "reason": ""})
    assert why.status_code == 400


def test_a_hold_keeps_the_stage_until_released() -> None:
    import polars as pl

    from loadguard.guard.plan import load_plan
    from loadguard.guard.stages import stage_weeks

    plan = load_plan("heel-fat-pad")
    athletes = pl.DataFrame({"athlete_id": ["a"], "plan_start": [PLAN_START]})
    adjustments = pl.DataFrame(
        {
            "athlete_id": ["a", "a"],
            "plan_week": [3, 6],
            "kind": ["hold", "release"],
            "to_week": [None, None],
            "reason": ["sore", ""],
            "by": ["Mette", "Mette"],
        },
        schema={"athlete_id": pl.String, "plan_week": pl.Int32, "kind": pl.String,
                "to_week": pl.Int32, "reason": pl.String, "by": pl.String},
    )  # fmt: skip
    weeks = stage_weeks(athletes, None, plan, PLAN_START + timedelta(weeks=8), adjustments)
    stage = dict(zip(weeks["plan_week"], weeks["stage_week"], strict=True))
    assert [stage[w] for w in range(1, 10)] == [1, 2, 3, 3, 3, 3, 4, 5, 6]
    assert weeks.filter(pl.col("plan_week") == 4)["stage_reason"][0] == "held by Mette: sore"


def test_consent_is_recorded_and_revoking_it_takes_the_athlete_off_the_list(club: Club) -> None:
    eva_id = club.athlete_id("eva")
    eva = club.browser("eva")
    page = text_of(eva.open(f"/a/{eva_id}/coaches").text)
    assert "Mette" in page
    assert "granted" in page
    link = (
        eva.open(f"/a/{eva_id}/coaches")
        .text.split(f'action="/a/{eva_id}/coaches/')[1]
        .split('"')[0]
    )
    assert (
        eva.send_form(
            f"/a/{eva_id}/coaches/{link}", {"action": "scope", "scope": "no_pain"}
        ).status_code
        == 200
    )
    assert eva.send_form(f"/a/{eva_id}/coaches/{link}", {"action": "revoke"}).status_code == 200
    record = text_of(eva.open(f"/a/{eva_id}/coaches").text)
    assert (
        record.index("revoked") < record.index("changed") < record.index("granted")
    )  # newest first
    with Store(club.db) as store:
        (granted,) = store.conn.execute(
            "SELECT at FROM consent_log WHERE event = 'granted' AND athlete_id = ?", (eva_id,)
        ).fetchone()
    local = datetime.fromisoformat(granted).astimezone(ZoneInfo("Europe/Copenhagen"))
    assert local.strftime("%Y-%m-%d %H:%M") in record  # on the runner's clock, not UTC
    assert "Eva" not in text_of(club.coach.open("/coach").text)
    assert club.coach.open(f"/a/{eva_id}/").status_code == 404
    assert club.coach.send_form(f"/a/{eva_id}/notes", {"body": "hello?"}).status_code == 404


def test_an_invitation_by_email_waits_on_the_runners_page_and_a_code_works_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(tmp_path, monkeypatch)
    db = tmp_path / "lg.sqlite"
    physio = add_coach(db, "physio@example.org", runner=True)  # a coach who runs too
    add_coach(db, "coach@example.org")
    anna = add_runner(db, "anna@example.org")
    with served(db) as server:
        p, c, a = Browser(server.url), Browser(server.url), Browser(server.url)
        p.login(physio.email), c.login("coach@example.org"), a.login(anna.email)
        made = text_of(p.send_form("/coach/invite", {"email": "anna@example.org"}).text)
        assert "It also waits for anna@example.org" in made
        bad = p.send_form("/coach/invite", {"email": "not-an-address"})
        assert bad.status_code == 400
        assert "is not an email address" in text_of(bad.text)
        page = a.open(f"/a/{anna.athlete_id}/coaches").text
        assert "Physio (physio@example.org) invites you" in text_of(page)
        invitation = page.split(f'action="/a/{anna.athlete_id}/invitations/')[1].split('"')[0]
        yes = a.send_form(
            f"/a/{anna.athlete_id}/invitations/{invitation}", {"answer": "accept", "scope": "all"}
        )
        assert "Accepted" in text_of(yes.text)
        code = text_of(c.send_form("/coach/invite", {}).text).split("Code: ")[1].split()[0]
        join = a.open(f"/join/{code}")
        assert "Coach (coach@example.org) invites you" in text_of(join.text)
        assert (
            a.send_form(f"/join/{code}", {"answer": "accept", "scope": "no_pain"}).status_code
            == 200
        )
        again = a.send_form(f"/join/{code}", {"answer": "accept", "scope": "all"})
        assert again.status_code == 404
        assert "no open invitation" in text_of(again.text)
        both = text_of(a.open(f"/a/{anna.athlete_id}/coaches").text)
        assert "Physio" in both
        assert "Coach" in both
        assert "Anna" in text_of(p.open("/coach").text)
        assert p.open(f"/a/{physio.athlete_id}/").status_code == 200  # still a runner too


def test_the_list_and_each_athletes_own_page_show_the_same_light(club: Club) -> None:
    """One batched pass for the list, one pass per athlete for their page: the same guard."""
    listed = {r["athlete"]: r for r in rows_of(club.coach.open("/coach/athletes.csv").text)}
    for name in club.runners:
        athlete_id = club.athlete_id(name)
        page = club.coach.open(f"/a/{athlete_id}/").text
        status = page.split('data-status="')[1].split('"')[0]
        stale = listed[athlete_id]["light"] == "yellow" and status == "green"
        assert status == listed[athlete_id]["light"] or stale, name
        assert int(listed[athlete_id]["plan_week"]) == int(
            text_of(page).split("Plan week ")[1].split()[0]
        )


def test_runs_from_strava_are_shown_to_a_coach_only_if_the_operator_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(tmp_path, monkeypatch)
    db = tmp_path / "lg.sqlite"
    mette, anna = add_coach(db, "mette@example.org"), add_runner(db, "anna@example.org")
    grant(db, mette, anna)
    with Store(db) as store:
        athlete = store.athlete(str(anna.athlete_id))
        service.import_from(store, athlete, str(A_RUN))
        run_id = service.recent_runs(store, athlete, 1)[0]["id"]
        with store.atomic():  # the store's record of a run that came from Strava's API
            store.conn.execute("UPDATE activities SET source = 'strava' WHERE id = ?", (run_id,))
    with served(db) as server:
        coach, runner = Browser(server.url), Browser(server.url)
        coach.login(mette.email), runner.login(anna.email)
        assert f"/runs/{run_id}" in runner.open(f"/a/{anna.athlete_id}/runs").text
        assert f"/runs/{run_id}" not in coach.open(f"/a/{anna.athlete_id}/runs").text
        assert coach.open(f"/a/{anna.athlete_id}/runs/{run_id}").status_code == 404
        assert coach.open(f"/a/{anna.athlete_id}/runs/{run_id}/chart.json").status_code == 404
    configure(tmp_path, monkeypatch, "[web]\ncoaches_see_strava = true\n")
    with served(db) as server:
        coach = Browser(server.url)
        coach.login(mette.email)
        assert f"/runs/{run_id}" in coach.open(f"/a/{anna.athlete_id}/runs").text
        assert coach.open(f"/a/{anna.athlete_id}/runs/{run_id}").status_code == 200


def test_the_athletes_download_holds_their_consent_record_shared_notes_and_stage_changes(
    club: Club,
) -> None:
    import json
    import zipfile

    anna_id = club.athlete_id("anna")
    club.coach.send_form(f"/a/{anna_id}/notes", {"body": "Shared with Anna", "shared": "1"})
    club.coach.send_form(f"/a/{anna_id}/notes", {"body": "Only for me"})
    club.coach.send_form(f"/a/{anna_id}/stage", {"kind": "hold", "reason": "let it settle"})
    answer = club.browser("anna").open(f"/a/{anna_id}/data/export.zip")
    z = zipfile.ZipFile(io.BytesIO(answer.content))
    consent = json.loads(z.read("json/consent.json"))
    assert [(c["event"], c["scope"]) for c in consent] == [("granted", "all")]
    notes = json.loads(z.read("json/notes.json"))
    assert [n["body"] for n in notes] == ["Shared with Anna"]  # a coach's private note is theirs
    (held,) = json.loads(z.read("json/stage_adjustments.json"))
    assert (held["kind"], held["reason"], held["coach_name"]) == ("hold", "let it settle", "Mette")


def test_an_invitation_left_unanswered_for_30_days_is_void(tmp_path: Path) -> None:
    from loadguard.app import coaching
    from loadguard.app.accounts import AccountError

    db = tmp_path / "lg.sqlite"
    mette = add_coach(db, "mette@example.org")
    with Store(db) as store:
        code = coaching.invite(store, mette, "")
        assert coaching.invitation(store, code).status == "invited"
        old = (datetime.now(UTC) - timedelta(days=31)).isoformat(timespec="seconds")
        with store.atomic():
            store.conn.execute("UPDATE coach_links SET updated_at = ?", (old,))
        with pytest.raises(AccountError, match="too old"):
            coaching.invitation(store, code)


def test_the_filter_form_sorts_too_where_headings_are_hidden(club: Club) -> None:
    page = club.coach.open("/coach?sort=name&desc=1").text
    assert '<option value="name" selected>' in page
    order = [page.index(f">{n}</a>") for n in ("Eva", "Dag", "Cai", "Bo", "Anna")]
    assert order == sorted(order)
