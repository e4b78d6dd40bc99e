"""The FIT sample writer, checked by reading its files back with fitparse 1.2.0."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import fitparse
import numpy as np
import pytest
from garmin_fit_sdk import Decoder, Encoder, Profile, Stream

from loadguard.contract import Activity, Streams
from loadguard_fit.writer import _CheckedEncoder, encode_activity, write_samples

START = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
SAMPLES = 1200  # 20 minutes at 1 Hz
NO_FIX = slice(300, 320)  # a GPS dropout under trees
NO_PULSE = slice(600, 605)  # the strap lost contact
SEMICIRCLE_DEGREES = 180.0 / 2**31

Messages = dict[str, list[dict[str, Any]]]


def run_walk(
    start: datetime = START,
    *,
    utc_offset: timedelta | None = timedelta(hours=1),
    sport: str = "running",
    sub_sport: str = "trail",
    heart_rate_at_10s: float | None = None,
    samples: int = SAMPLES,
) -> Activity:
    """A 20-minute run/walk (4 min at 3.2 m/s, 1 min at 1.4 m/s) along a straight line."""
    t = np.arange(samples, dtype=np.float64)
    running = (t % 300) < 240
    speed = np.where(running, 3.2, 1.4).astype(np.float32)
    distance = np.concatenate([[0.0], np.cumsum(speed[1:], dtype=np.float64)])
    along = distance / distance[-1]
    lat, lon = 51.4400 + 0.0300 * along, -0.2750 + 0.0400 * along
    lat[NO_FIX] = lon[NO_FIX] = np.nan
    heart_rate = np.where(running, 152.0, 118.0).astype(np.float32)
    heart_rate[NO_PULSE] = np.nan
    if heart_rate_at_10s is not None:
        heart_rate[10] = heart_rate_at_10s
    cadence = np.where(running, 171.0, 112.0).astype(np.float32)
    streams = Streams(
        {
            "t": t,
            "lat": lat,
            "lon": lon,
            "distance_m": distance,
            "speed_mps": speed,
            "cadence_spm": cadence,
            "heart_rate": heart_rate,
        }
    )
    return Activity(
        source="demo",
        source_id=start.isoformat(),
        sport=sport,
        sub_sport=sub_sport,
        start_utc=start,
        distance_m=float(distance[-1]),
        timer_s=float(samples),
        elapsed_s=samples + 60.0,
        utc_offset=utc_offset,
        name="Run/walk 4:1",
        device="Forerunner 965",
        streams=streams,
    )


def read_back(data: bytes) -> Messages:
    """Every message of a FIT file by name, as fitparse 1.2.0 decodes it (checking the CRC)."""
    messages: Messages = {}
    for message in fitparse.FitFile(io.BytesIO(data)).get_messages():
        messages.setdefault(message.name, []).append(message.get_values())
    return messages


def utc(naive: datetime) -> datetime:
    """fitparse gives naive datetimes that are UTC."""
    return naive.replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Activity, Messages]:
    activity = run_walk()
    (path,) = write_samples([activity], tmp_path_factory.mktemp("fit"))
    return activity, read_back(path.read_bytes())


def test_a_written_run_reads_back_with_the_same_distance_and_sport(
    written: tuple[Activity, Messages],
) -> None:
    activity, messages = written
    (session,) = messages["session"]
    assert (session["sport"], session["sub_sport"]) == ("running", "trail")
    assert session["total_distance"] == pytest.approx(activity.distance_m, abs=0.006)
    assert messages["lap"][0]["total_distance"] == pytest.approx(activity.distance_m, abs=0.006)


def test_the_session_keeps_start_elapsed_and_timer_time(
    written: tuple[Activity, Messages],
) -> None:
    _, messages = written
    session, lap = messages["session"][0], messages["lap"][0]
    for summary in (session, lap):
        assert utc(summary["start_time"]) == START
        assert summary["total_elapsed_time"] == 1260.0
        assert summary["total_timer_time"] == 1200.0
        assert utc(summary["timestamp"]) == START + timedelta(seconds=1260)
    assert session["num_laps"] == 1


def test_the_file_is_an_activity_from_a_development_device_with_timer_events(
    written: tuple[Activity, Messages],
) -> None:
    _, messages = written
    (file_id,) = messages["file_id"]
    assert (file_id["type"], file_id["manufacturer"]) == ("activity", "development")
    assert utc(file_id["time_created"]) == START
    assert file_id["product_name"] == "Forerunner 965"
    events = [(e["event"], e["event_type"], utc(e["timestamp"])) for e in messages["event"]]
    assert events == [
        ("timer", "start", START),
        ("timer", "stop_all", START + timedelta(seconds=1260)),
    ]


def test_every_sample_becomes_one_record_at_start_plus_its_offset(
    written: tuple[Activity, Messages],
) -> None:
    _, messages = written
    records = messages["record"]
    assert len(records) == SAMPLES
    assert utc(records[0]["timestamp"]) == START
    assert utc(records[-1]["timestamp"]) == START + timedelta(seconds=SAMPLES - 1)


def test_first_and_last_positions_match_the_stream_within_a_microdegree(
    written: tuple[Activity, Messages],
) -> None:
    activity, messages = written
    assert activity.streams is not None
    lat, lon = activity.streams.columns["lat"], activity.streams.columns["lon"]
    for index in (0, -1):
        record = messages["record"][index]
        assert record["position_lat"] * SEMICIRCLE_DEGREES == pytest.approx(lat[index], abs=1e-6)
        assert record["position_long"] * SEMICIRCLE_DEGREES == pytest.approx(lon[index], abs=1e-6)
    session = messages["session"][0]
    assert session["start_position_lat"] * SEMICIRCLE_DEGREES == pytest.approx(lat[0], abs=1e-6)


def test_samples_without_a_gps_fix_are_written_without_a_position(
    written: tuple[Activity, Messages],
) -> None:
    _, messages = written
    records = messages["record"]
    gap = records[NO_FIX]
    assert all(r.get("position_lat") is None and r.get("position_long") is None for r in gap)
    assert all(r["distance"] is not None and r["heart_rate"] for r in gap)
    assert records[NO_FIX.stop]["position_lat"] is not None


def test_records_keep_distance_speed_and_heart_rate(written: tuple[Activity, Messages]) -> None:
    activity, messages = written
    assert activity.streams is not None
    distance = activity.streams.columns["distance_m"]
    records = messages["record"]
    assert records[-1]["distance"] == pytest.approx(distance[-1], abs=0.006)
    assert records[100]["distance"] == pytest.approx(distance[100], abs=0.006)
    assert (records[100]["speed"], records[100]["enhanced_speed"]) == (3.2, 3.2)
    assert records[250]["speed"] == 1.4
    assert (records[100]["heart_rate"], records[250]["heart_rate"]) == (152, 118)
    assert all(r.get("heart_rate") is None for r in records[NO_PULSE])
    assert messages["session"][0]["avg_heart_rate"] == round((152 * 4 + 118) / 5)


def test_running_cadence_is_written_as_strides_per_minute_with_fractions(
    written: tuple[Activity, Messages],
) -> None:
    _, messages = written
    running, walking = messages["record"][100], messages["record"][250]
    assert (running["cadence"], running["fractional_cadence"]) == (85, 0.5)  # 171 steps/min
    assert (walking["cadence"], walking["fractional_cadence"]) == (56, 0.0)  # 112 steps/min


@pytest.mark.parametrize("hours", [1.0, -5.0, 5.5])
def test_the_activity_message_carries_the_runners_utc_offset(tmp_path: Path, hours: float) -> None:
    (path,) = write_samples([run_walk(utc_offset=timedelta(hours=hours))], tmp_path)
    (activity,) = read_back(path.read_bytes())["activity"]
    assert activity["num_sessions"] == 1
    assert utc(activity["timestamp"]) == START + timedelta(seconds=1260)
    assert activity["local_timestamp"] - activity["timestamp"] == timedelta(hours=hours)


def test_without_a_known_offset_there_is_no_local_timestamp(tmp_path: Path) -> None:
    (path,) = write_samples([run_walk(utc_offset=None)], tmp_path)
    (activity,) = read_back(path.read_bytes())["activity"]
    assert activity.get("local_timestamp") is None


def test_a_heart_rate_out_of_range_is_left_out_rather_than_wrapped() -> None:
    records = read_back(encode_activity(run_walk(heart_rate_at_10s=300.0)))["record"]
    assert records[10].get("heart_rate") is None  # the SDK alone would store 300 & 0xFF = 44
    assert records[11]["heart_rate"] == 152


@pytest.mark.parametrize(
    ("sport", "sub_sport"),
    [("running", "treadmill"), ("running", "street"), ("running", "track"), ("walking", "")],
)
def test_sport_and_sub_sport_names_map_to_fit_values(sport: str, sub_sport: str) -> None:
    session = read_back(encode_activity(run_walk(sport=sport, sub_sport=sub_sport)))["session"][0]
    assert (session["sport"], session["sub_sport"]) == (sport, sub_sport or "generic")


def test_an_unknown_sport_is_refused_before_any_file_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    with pytest.raises(ValueError, match="'parkrun' is not a FIT sport"):
        write_samples([run_walk(), run_walk(sport="parkrun")], folder)
    assert not folder.exists()


def test_files_are_named_by_utc_start_and_a_taken_name_gets_a_suffix(tmp_path: Path) -> None:
    same_instant = START.astimezone(timezone(timedelta(hours=1)))
    later = START + timedelta(days=1)
    folder = tmp_path / "nested" / "samples"
    paths = write_samples([run_walk(), run_walk(same_instant), run_walk(later)], folder)
    assert [p.name for p in paths] == [
        "2026-03-02-07-30-00.fit",
        "2026-03-02-07-30-00-2.fit",
        "2026-03-03-07-30-00.fit",
    ]
    assert all(p.parent == folder and p.read_bytes()[8:12] == b".FIT" for p in paths)


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "2026-03-02-07-30-00.fit"
    existing.write_bytes(b"the runner's own file")
    (path,) = write_samples([run_walk()], tmp_path)
    assert path.name == "2026-03-02-07-30-00-2.fit"
    assert existing.read_bytes() == b"the runner's own file"


def test_an_activity_without_streams_still_has_a_session_and_no_records() -> None:
    bare = Activity("demo", "bare", "running", "generic", START, 5000.0, 1500.0, 1500.0)
    messages = read_back(encode_activity(bare))
    assert "record" not in messages
    assert messages["session"][0]["total_distance"] == 5000.0


def test_records_packed_here_decode_exactly_like_sdk_encoded_records() -> None:
    activity = run_walk()
    fast, reference = encode_activity(activity), encode_activity(activity, sdk_records=True)
    assert read_back(fast) == read_back(reference)
    assert Decoder(Stream.from_byte_array(bytearray(fast))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(fast))).read()
    assert errors == []
    assert len(messages["record_mesgs"]) == SAMPLES


def test_a_field_name_the_sdk_would_silently_drop_is_refused() -> None:
    encoder = _CheckedEncoder(Encoder(), Profile)
    with pytest.raises(ValueError, match="timer_trigger"):  # a sub-field of event.data
        encoder.write(21, {"timestamp": 0, "event": 0, "timer_trigger": 0})


def test_forty_runs_on_forty_days_get_forty_distinct_files(tmp_path: Path) -> None:
    runs = [run_walk(START + timedelta(days=day), samples=2000) for day in range(40)]
    paths = write_samples(runs, tmp_path)
    assert len(set(paths)) == 40
    assert all(p.stat().st_size > 2000 * 10 for p in paths)
