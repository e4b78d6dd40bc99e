"""A runner's forms on the served app: each does what the CLI does, a bad field is named
next to itself and stores nothing, a batch of files goes on past a bad one."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from loadguard.store.db import Store
from webapp import A_RUN, FIT, PASSWORD, Browser, add_runner, served, text_of

ANNA = "anna@example.org"
RUN_DAY = "2015-08-15"  # the day of the fenix 2 run, Copenhagen time (plan week 8: continuous running, no finding)


@dataclass
class Runner:
    browser: Browser
    db: Path
    home: str  # /a/<athlete id>


def signed_in(tmp_path: Path, language: str) -> Iterator[Runner]:
    """Anna signed in, plan started three weeks before her one real run."""
    db = tmp_path / "lg.sqlite"
    user = add_runner(db, ANNA, plan_start=date(2015, 6, 22), language=language)
    with served(db) as server:
        browser = Browser(server.url)
        browser.login(ANNA)
        yield Runner(browser, db, f"/a/{user.athlete_id}")


@pytest.fixture
def anna(tmp_path: Path) -> Iterator[Runner]:
    yield from signed_in(tmp_path, "en")


@pytest.fixture
def anne(tmp_path: Path) -> Iterator[Runner]:
    """The same runner, reading Danish."""
    yield from signed_in(tmp_path, "da")


def upload(runner: Runner, *paths: Path, names: list[str] | None = None) -> str:
    files = [
        ("files", (name, path.read_bytes(), "application/octet-stream"))
        for path, name in zip(paths, names or [p.name for p in paths], strict=True)
    ]
    answer = runner.browser.send_form(f"{runner.home}/upload", files=files)
    return text_of(answer.text)


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_uploading_a_real_fit_file_imports_its_run_and_runs_the_guard(anna: Runner) -> None:
    said = upload(anna, A_RUN)
    assert "1 new file, 1 run;" in said
    assert count(anna.db, "activities") == 1
    assert count(anna.db, "guard_runs") == 1
    runs = text_of(anna.browser.open(f"{anna.home}/runs").text)
    assert RUN_DAY in runs
    again = upload(anna, A_RUN)
    assert "0 new files, 0 runs; 1 already here" in again
    assert count(anna.db, "activities") == 1


def test_a_batch_goes_on_past_a_damaged_file_a_settings_file_and_a_wrong_type(
    anna: Runner, tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a watch file")
    said = upload(
        anna,
        FIT / "python-fitparse" / "activity-unexpected-eof.fit",
        FIT / "python-fitparse" / "Settings.fit",
        text,
        A_RUN,
    )
    assert "notes.txt: not a .fit, .gpx or .tcx file (or .gz) or a .zip of them" in said
    assert "activity-unexpected-eof.fit:" in said
    assert "1 file was not an activity" in said
    assert "1 run;" in said
    assert count(anna.db, "activities") == 1


def test_an_upload_past_the_size_limit_is_refused_before_it_is_read(
    anna: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "huge.fit"
    big.write_bytes(b"\0" * (65 << 20))
    answer = anna.browser.send_form(
        f"{anna.home}/upload", files=[("files", ("huge.fit", big.open("rb")))]
    )
    assert answer.status_code == 413
    assert "larger than 64 MB" in answer.text
    assert count(anna.db, "raw_records") == 0


def test_a_garmin_export_zip_is_read_file_by_file(anna: Runner, tmp_path: Path) -> None:
    export = tmp_path / "garmin-export.zip"
    with zipfile.ZipFile(export, "w") as z:
        z.write(A_RUN, "DI_CONNECT/run.fit")
        z.write(FIT / "python-fitparse" / "garmin-fenix-5-walk.fit", "DI_CONNECT/walk.fit")
    said = upload(anna, export)
    assert "2 new files, 1 run;" in said
    assert count(anna.db, "activities") == 2


def test_logging_pain_from_the_form_changes_the_light(anna: Runner) -> None:
    upload(anna, A_RUN)
    today = f"{anna.home}/?as_of={RUN_DAY}"
    assert 'data-status="red"' not in anna.browser.open(today).text
    logged = anna.browser.send_form(
        f"{anna.home}/pain", {"score": "7", "moment": "after", "day": RUN_DAY}
    )
    assert "Logged" in text_of(logged.text)
    page = anna.browser.open(today)
    assert 'data-status="red"' in page.text
    assert "1 day to go." in text_of(page.text)
    assert "pain" in text_of(page.text).lower()


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"score": "11", "moment": "after"}, "score", "0-10"),
        ({"score": "seven", "moment": "after"}, "score", "not a whole number"),
        ({"score": "3", "moment": "afterwards"}, "moment", "afterwards"),
        ({"score": "3", "moment": "after", "day": "2999-01-01"}, "day", "future"),
        ({"score": "3", "moment": "after", "day": "5/11"}, "day", "not a date"),
    ],
)
def test_a_bad_pain_entry_is_named_next_to_its_field_and_not_stored(
    anna: Runner, form: dict[str, str], field: str, words: str
) -> None:
    answer = anna.browser.send_form(f"{anna.home}/pain", form)
    assert answer.status_code == 400
    assert f'id="{field}-error"' in answer.text
    assert words in text_of(answer.text)
    assert count(anna.db, "pain_entries") == 0


def test_a_warning_sign_is_logged_and_becomes_a_critical_finding(anna: Runner) -> None:
    answer = anna.browser.send_form(
        f"{anna.home}/symptom", {"kind": "numbness", "symptom_day": RUN_DAY, "note": "left heel"}
    )
    assert answer.status_code == 200
    today = text_of(anna.browser.open(f"{anna.home}/?as_of={RUN_DAY}").text)
    assert "nerve" in today
    bad = anna.browser.send_form(f"{anna.home}/symptom", {"kind": "itchy"})
    assert bad.status_code == 400
    assert count(anna.db, "symptoms") == 1


def test_shoes_are_added_checked_and_retired(anna: Runner) -> None:
    bad = anna.browser.send_form(f"{anna.home}/shoes", {"name": "Trail", "initial_km": "lots"})
    assert bad.status_code == 400
    assert 'id="initial_km-error"' in bad.text
    assert count(anna.db, "shoes") == 0
    added = anna.browser.send_form(
        f"{anna.home}/shoes", {"name": "Daily trainer", "initial_km": "812,5", "drop": "10"}
    )
    assert "Daily trainer" in text_of(added.text)
    assert "retire" in text_of(added.text)  # 812.5 km: past the plan's 800 km
    with Store(anna.db) as store:
        shoe = store.shoes(anna.home.split("/")[-1])[0]
    assert shoe.initial_km == 812.5
    anna.browser.send_form(f"{anna.home}/shoes/{shoe.id}/retire")
    assert "retired" in text_of(anna.browser.open(f"{anna.home}/shoes").text)
    missing = anna.browser.send_form(f"{anna.home}/shoes/999/retire")
    assert missing.status_code == 404


def test_a_run_is_relabelled_deleted_restored_and_given_a_shoe_from_its_page(
    anna: Runner,
) -> None:
    upload(anna, A_RUN)
    anna.browser.send_form(f"{anna.home}/shoes", {"name": "Racer"})
    with Store(anna.db) as store:
        run_id = store.conn.execute("SELECT id FROM activities").fetchone()[0]
    page = f"{anna.home}/runs/{run_id}/correct"
    walked = anna.browser.send_form(page, {"action": "label", "label": "walk"})
    assert "Counted as a walk" in text_of(walked.text)
    assert RUN_DAY not in text_of(anna.browser.open(f"{anna.home}/runs").text.split("<h2>")[0])
    anna.browser.send_form(page, {"action": "label", "label": ""})
    deleted = anna.browser.send_form(page, {"action": "delete"})
    assert "This run is deleted" in text_of(deleted.text)
    twice = anna.browser.send_form(page, {"action": "delete"})
    assert twice.status_code == 400
    assert "deleted already" in text_of(twice.text)
    anna.browser.send_form(page, {"action": "restore"})
    anna.browser.send_form(page, {"action": "shoe", "shoe": "Racer"})
    tagged = anna.browser.send_form(page, {"action": "tag", "tags": "grass"})
    assert tagged.status_code == 200
    bad = anna.browser.send_form(page, {"action": "tag", "tags": "lava"})
    assert 'id="tag-error"' in bad.text
    runs = text_of(anna.browser.open(f"{anna.home}/runs").text)
    assert "Racer" in runs
    assert "grass" in runs
    assert (
        anna.browser.send_form(f"{anna.home}/runs/999/correct", {"action": "delete"}).status_code
        == 404
    )


def test_my_data_downloads_as_a_zip_with_the_raw_file_and_every_record(anna: Runner) -> None:
    upload(anna, A_RUN)
    anna.browser.send_form(f"{anna.home}/pain", {"score": "4", "moment": "after", "day": RUN_DAY})
    answer = anna.browser.open(f"{anna.home}/data/export.zip")
    assert answer.headers["content-type"] == "application/zip"
    assert "attachment" in answer.headers["content-disposition"]
    z = zipfile.ZipFile(io.BytesIO(answer.content))
    raw = [n for n in z.namelist() if n.startswith("raw/")]
    assert len(raw) == 1
    assert z.read(raw[0]) == A_RUN.read_bytes()
    assert json.loads(z.read("json/pain.json"))[0]["score"] == 4
    assert json.loads(z.read("json/activities.json"))[0]["sport"] == "running"
    assert "score" in z.read("csv/pain.csv").decode().splitlines()[0]
    everything = z.read("json/all.json").decode()
    assert "password" not in everything
    assert "$argon2" not in everything


def test_deleting_my_account_needs_the_word_and_the_password_then_leaves_nothing(
    anna: Runner,
) -> None:
    upload(anna, A_RUN)
    anna.browser.send_form(f"{anna.home}/pain", {"score": "4", "moment": "after", "day": RUN_DAY})
    no_word = anna.browser.send_form(f"{anna.home}/data/delete", {"password": PASSWORD})
    assert no_word.status_code == 400
    assert "Type DELETE" in text_of(no_word.text)
    wrong = anna.browser.send_form(
        f"{anna.home}/data/delete", {"confirm": "DELETE", "password": "guess-1234"}
    )
    assert "The password is wrong" in text_of(wrong.text)
    assert count(anna.db, "activities") == 1
    gone = anna.browser.send_form(
        f"{anna.home}/data/delete", {"confirm": "delete", "password": PASSWORD}
    )
    assert "Your account is deleted" in text_of(gone.text)
    for table in ("users", "athletes", "raw_records", "activities", "pain_entries", "sessions"):
        assert count(anna.db, table) == 0, table
    assert Browser(anna.browser.base).login(ANNA).status_code == 400


def test_a_forged_oauth_answer_connects_nothing(anna: Runner) -> None:
    anna.browser.cookies.set("lg_oauth", f"strava:{anna.home.split('/')[-1]}:the-real-state")
    answer = anna.browser.open("/oauth/strava/callback?state=another-state&code=abc&scope=x")
    assert answer.status_code == 400
    assert "did not come from the request" in text_of(answer.text)
    assert count(anna.db, "accounts") == 0


def test_a_danish_runner_reads_danish_with_decimal_commas(anne: Runner) -> None:
    upload(anne, A_RUN)
    today = text_of(anne.browser.open(f"{anne.home}/?as_of={RUN_DAY}").text)
    chart = anne.browser.open(f"{anne.home}/charts/volume.json?as_of={RUN_DAY}").json()
    assert "Planuge 8" in today
    assert "1 dag igen." in today  # Saturday: one day left of the plan week, not "1 dage"
    assert "Denne uge indtil nu" in today
    assert "Plan week" not in today
    assert "," in today.split("Denne uge indtil nu")[1].split("km")[0]
    assert chart["usermeta"]["embedOptions"]["formatLocale"]["decimal"] == ","
    assert chart["title"] == "Ugentlige løbe-km og loftet"


def test_a_danish_runner_reads_form_errors_in_danish(anne: Runner) -> None:
    send = anne.browser.send_form
    pain = send(f"{anne.home}/pain", {"score": "11", "moment": "after"})
    future = send(f"{anne.home}/pain", {"score": "3", "moment": "after", "day": "2999-01-01"})
    shoe = send(f"{anne.home}/shoes", {"name": ""})
    upload(anne, A_RUN)
    with Store(anne.db) as store:
        run_id = store.conn.execute("SELECT id FROM activities").fetchone()[0]
    lava = send(f"{anne.home}/runs/{run_id}/correct", {"action": "tag", "tags": "lava"})
    assert "11 er ikke et helt tal fra 0 til 10" in text_of(pain.text)
    assert "2999-01-01 ligger i fremtiden" in text_of(future.text)
    assert "Giv skoen et navn" in text_of(shoe.text)
    assert "lava" in text_of(lava.text).split("er ikke et underlag, loadguard kender")[0][-12:]
    for answer in (pain, future, shoe, lava):
        assert answer.status_code == 400
        assert "is not" not in text_of(answer.text)


def test_gpx_tcx_and_gzipped_files_upload_beside_fit_files(anna: Runner, tmp_path: Path) -> None:
    import gzip

    shared = FIT.parent / "gpx-tcx" / "sports-lib"
    packed = tmp_path / "samples-gpx-garmin.gpx.gz"
    packed.write_bytes(gzip.compress((shared / "samples-gpx-garmin.gpx").read_bytes()))
    said = upload(anna, shared / "samples-tcx-polar.tcx", packed)
    assert "2 new files, 2 runs" in said
    assert count(anna.db, "activities") == 2
    with sqlite3.connect(anna.db) as conn:
        sources = sorted(r[0] for r in conn.execute("SELECT source FROM raw_records"))
    assert sources == ["gpx", "tcx"]
