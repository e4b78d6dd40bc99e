"""FIT workout files for planned sessions: each one read back by garmin-fit-sdk's
Decoder and by fitparse 1.2.0, and compared with the real workout files of the
shared data (python-fitparse's test files)."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import fitparse
import pytest
from garmin_fit_sdk import Decoder, Stream

from fitdata import DATA
from loadguard.contract import ConnectorError, NotAnActivity, RawRecord
from loadguard.workouts import Step, Workout, WorkoutWriter
from loadguard_fit import FitConnector
from loadguard_fit.workout import MAX_STEP_SECONDS, encode_workout, watch_name

SHARED = DATA / "python-fitparse"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared FIT data not in {SHARED}")
DAY = date(2026, 3, 3)

REPEAT_FIELDS = {"duration_step", "repeat_steps"}  # the sub-field names decoders give


def workout(
    name: str,
    interval: tuple[Step, ...],
    repeats: int,
    *,
    warmup: Step | None = None,
    cooldown: Step | None = None,
) -> Workout:
    return Workout(
        day=DAY,
        name=name,
        title=f"{name} (week 2)",
        notes="Grass or gravel",
        warmup=warmup,
        interval=interval,
        repeats=repeats,
        cooldown=cooldown,
        plan_week=2,
        stage="run_walk",
    )


RUN_WALK_1_2 = workout(
    "Run/walk 1:2",
    (Step("active", 60, "Run"), Step("rest", 120, "Walk")),
    3,
    warmup=Step("warmup", 300, "Walk"),
    cooldown=Step("cooldown", 60, "Walk"),
)
RUN_WALK_5_1 = workout(
    "Run/walk 5:1",
    (Step("active", 300, "Run"), Step("rest", 60, "Walk")),
    4,
    warmup=Step("warmup", 300, "Walk"),
)
CONTINUOUS = workout(
    "Easy run", (Step("active", None, "Run"),), 1, warmup=Step("warmup", 300, "Walk")
)
DANISH = workout(
    "Løb/gå på græs ved åen",
    (Step("active", 90, "Løb"), Step("rest", 90, "Gå")),
    6,
    warmup=Step("warmup", 300, "Gå"),
    cooldown=Step("cooldown", 300, "Gå"),
)
WORKOUTS = {
    "run/walk 1:2": RUN_WALK_1_2,
    "run/walk 5:1": RUN_WALK_5_1,
    "continuous": CONTINUOUS,
    "danish": DANISH,
}


@dataclass(frozen=True)
class Decoded:
    """One workout file as a decoder reads it: names and numbers, no decoder types."""

    file_type: str
    sport: str | None
    wkt_name: str | None
    num_valid_steps: int
    steps: list[dict[str, Any]]  # message_index, name, intensity, duration_type, ...
    message_types: set[str]


def step_view(step: dict[str, Any]) -> dict[str, Any]:
    """What a test compares of a decoded step; both decoders name sub-fields alike."""
    return {
        "message_index": step["message_index"],
        "name": step.get("wkt_step_name"),
        "intensity": step.get("intensity"),
        "duration_type": step["duration_type"],
        "seconds": step.get("duration_time"),
        "back_to": step.get("duration_step"),
        "repeats": step.get("repeat_steps"),
        "target_type": step.get("target_type"),
    }


def with_sdk(data: bytes) -> Decoded:
    """garmin-fit-sdk's Decoder, after it checked the file's integrity (both CRCs)."""
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    # The SDK's own types spell enums in camelCase; the values are plain names and numbers.
    decoded: tuple[Any, Any] = Decoder(Stream.from_byte_array(bytearray(data))).read()
    messages: dict[str, list[dict[str, Any]]] = decoded[0]
    errors: list[Exception] = decoded[1]
    assert errors == []
    return decoded_from({name.removesuffix("_mesgs"): found for name, found in messages.items()})


def fitparse_messages(data: bytes | Path) -> list[Any]:
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    return list(fitparse.FitFile(source, check_crc=True).get_messages())


def with_fitparse(data: bytes) -> Decoded:
    """fitparse 1.2.0, checking the file's CRC."""
    messages = fitparse_messages(data)
    by_name: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        by_name.setdefault(message.name, []).append(message.get_values())
    return decoded_from(by_name)


def decoded_from(by_name: dict[str, list[dict[str, Any]]]) -> Decoded:
    """What either decoder found, by message name (file_id, workout, workout_step)."""
    (file_id,) = by_name["file_id"]
    (header,) = by_name["workout"]
    return Decoded(
        file_type=file_id["type"],
        sport=header.get("sport"),
        wkt_name=header.get("wkt_name"),
        num_valid_steps=header["num_valid_steps"],
        steps=[step_view(step) for step in by_name["workout_step"]],
        message_types=set(by_name),
    )


def expected_steps(session: Workout) -> list[dict[str, Any]]:
    """The steps a decoder should find: warm-up, interval once, repeat step, cool-down."""
    first = 0 if session.warmup is None else 1
    planned: list[Step | None] = [
        *(() if session.warmup is None else (session.warmup,)),
        *session.interval,
        *((None,) if session.repeats > 1 else ()),
        *(() if session.cooldown is None else (session.cooldown,)),
    ]
    steps: list[dict[str, Any]] = []
    for index, step in enumerate(planned):
        if step is None:
            steps.append(
                {
                    "message_index": index,
                    "name": f"{session.repeats}x",
                    "intensity": "active",
                    "duration_type": "repeat_until_steps_cmplt",
                    "seconds": None,
                    "back_to": first,
                    "repeats": session.repeats,
                    "target_type": "open",
                }
            )
            continue
        steps.append(
            {
                "message_index": index,
                "name": step.label,
                "intensity": step.intensity,
                "duration_type": "open" if step.seconds is None else "time",
                "seconds": None if step.seconds is None else float(step.seconds),
                "back_to": None,
                "repeats": None,
                "target_type": "open",
            }
        )
    return steps


DECODERS = {"garmin-fit-sdk": with_sdk, "fitparse": with_fitparse}


@pytest.mark.parametrize("decoder", list(DECODERS))
@pytest.mark.parametrize("name", list(WORKOUTS))
def test_each_session_decodes_step_by_step_in_both_decoders(name: str, decoder: str) -> None:
    session = WORKOUTS[name]
    decoded = DECODERS[decoder](encode_workout(session))
    assert decoded.file_type == "workout"
    assert decoded.sport == "running"
    assert decoded.wkt_name == watch_name(session.name)
    assert decoded.message_types == {"file_id", "workout", "workout_step"}
    assert decoded.steps == expected_steps(session)
    assert decoded.num_valid_steps == len(decoded.steps)


@pytest.mark.parametrize("decoder", list(DECODERS))
def test_a_run_walk_session_decodes_step_by_step_in_both_decoders(decoder: str) -> None:
    steps = DECODERS[decoder](encode_workout(RUN_WALK_1_2)).steps
    seen = [(s["name"], s["intensity"], s["duration_type"], s["seconds"]) for s in steps]
    assert seen == [
        ("Walk", "warmup", "time", 300.0),
        ("Run", "active", "time", 60.0),
        ("Walk", "rest", "time", 120.0),
        ("3x", "active", "repeat_until_steps_cmplt", None),
        ("Walk", "cooldown", "time", 60.0),
    ]
    assert (steps[3]["back_to"], steps[3]["repeats"]) == (1, 3)


@pytest.mark.parametrize("decoder", list(DECODERS))
def test_the_repeat_step_points_at_the_first_interval_step_without_a_warm_up(
    decoder: str,
) -> None:
    session = replace(RUN_WALK_5_1, warmup=None)
    steps = DECODERS[decoder](encode_workout(session)).steps
    assert [s["message_index"] for s in steps] == [0, 1, 2]
    assert (steps[2]["back_to"], steps[2]["repeats"]) == (0, 4)


def test_the_run_walk_5_1_session_ends_with_its_repeat_step() -> None:
    steps = with_fitparse(encode_workout(RUN_WALK_5_1)).steps
    kinds = [s["duration_type"] for s in steps]
    assert kinds == ["time"] * 3 + ["repeat_until_steps_cmplt"]
    assert steps[-1]["repeats"] == 4


def test_a_continuous_run_has_an_open_step_and_no_repeat_step() -> None:
    steps = with_fitparse(encode_workout(CONTINUOUS)).steps
    assert [s["duration_type"] for s in steps] == ["time", "open"]
    assert steps[1]["seconds"] is None
    assert all(s["repeats"] is None for s in steps)


def test_step_times_are_written_in_milliseconds_as_fit_wants() -> None:
    messages = fitparse_messages(encode_workout(RUN_WALK_1_2))
    raw = [
        field.raw_value
        for message in messages
        if message.name == "workout_step"
        for field in message.fields
        if field.name == "duration_time"
    ]
    assert raw == [300_000, 60_000, 120_000, 60_000]


@pytest.mark.parametrize("decoder", list(DECODERS))
def test_danish_names_and_labels_survive_in_utf8(decoder: str) -> None:
    decoded = DECODERS[decoder](encode_workout(DANISH))
    assert decoded.wkt_name == "Løb/gå på græs"
    assert [s["name"] for s in decoded.steps] == ["Gå", "Løb", "Gå", "6x", "Gå"]


def test_the_file_id_is_a_workout_created_at_midnight_utc_on_the_sessions_day() -> None:
    (file_id, *_) = fitparse_messages(encode_workout(RUN_WALK_1_2))
    values = file_id.get_values()
    assert (values["type"], values["manufacturer"]) == ("workout", "development")
    assert values["time_created"].replace(tzinfo=UTC) == datetime(2026, 3, 3, tzinfo=UTC)


def test_the_name_is_cut_to_fifteen_characters_between_characters() -> None:
    assert watch_name("Run/walk 1:2 x3 on Tuesday") == "Run/walk 1:2 x3"
    assert watch_name("Løb/gå på græs ved åen") == "Løb/gå på græs"
    decomposed = "Go\u0308r det la\u030angsomt"  # accents as combining marks: 18 code points
    assert watch_name(decomposed) == "Gör det långsom"
    assert watch_name("Abcdefghijklmne\u0301") == "Abcdefghijklmné"
    assert len(watch_name("x" * 40)) == 15


def test_a_combining_accent_after_the_fifteenth_character_keeps_its_letter() -> None:
    # 15 letters then a combining mark with no precomposed form (q + dot below)
    name = "Abcdefghijklmnq\u0323 more"
    assert watch_name(name) == "Abcdefghijklmn"


def test_a_step_too_long_for_the_field_names_the_step() -> None:
    too_long = replace(RUN_WALK_1_2, interval=(Step("active", MAX_STEP_SECONDS + 1, "Run"),))
    with pytest.raises(ConnectorError, match=r"step 2 \('Run'\) lasts 4294968 s"):
        encode_workout(too_long)


def test_the_longest_step_the_field_holds_is_written_exactly() -> None:
    longest = replace(CONTINUOUS, interval=(Step("active", MAX_STEP_SECONDS, "Run"),))
    steps = with_sdk(encode_workout(longest)).steps
    assert steps[1]["seconds"] == float(MAX_STEP_SECONDS)


def test_more_steps_than_a_workout_file_holds_are_refused() -> None:
    many = replace(RUN_WALK_1_2, interval=(Step("active", 60, "Run"),) * 253)
    with pytest.raises(ConnectorError, match="256 steps; a FIT workout file holds at most 255"):
        encode_workout(many)


def test_a_label_longer_than_a_fit_string_is_refused() -> None:
    wordy = replace(CONTINUOUS, warmup=Step("warmup", 300, "Gå" * 100))
    with pytest.raises(ConnectorError, match=r"step 1 .* the label takes 300 bytes"):
        encode_workout(wordy)


def test_the_fit_connector_writes_workouts() -> None:
    connector = FitConnector()
    assert isinstance(connector, WorkoutWriter)
    assert connector.workout_suffix == ".fit"
    assert connector.encode_workout(RUN_WALK_1_2) == encode_workout(RUN_WALK_1_2)


def test_the_fit_connector_skips_its_own_workout_file_as_not_an_activity() -> None:
    connector = FitConnector()
    raw = connector.record(encode_workout(RUN_WALK_1_2), "NewFiles/run-walk.fit")
    assert isinstance(raw, RawRecord)
    with pytest.raises(NotAnActivity):
        connector.normalise(raw)


def real_workouts() -> list[Path]:
    return sorted(SHARED.glob("Workout*.fit"))


@needs_shared
def test_our_messages_and_file_type_are_those_of_the_real_workout_files() -> None:
    data = encode_workout(RUN_WALK_1_2)
    ours = {message.name for message in fitparse_messages(data)}
    assert len(real_workouts()) == 4
    for path in real_workouts():
        theirs = {message.name for message in fitparse_messages(path)}
        assert ours <= theirs, path.name
        for decode in DECODERS.values():
            assert decode(data).file_type == decode(path.read_bytes()).file_type == "workout"


def field_shapes(message: Any) -> dict[str, tuple[str, int]]:
    """A fitparse message's fields: name -> (FIT type name, field number)."""
    return {field.name: (field.type.name, field.def_num) for field in message.fields}


@needs_shared
def test_our_repeat_step_has_the_fields_of_the_real_one() -> None:
    def repeat_step(messages: list[Any]) -> Any:
        (step,) = (
            m
            for m in messages
            if m.name == "workout_step"
            and m.get_value("duration_type") == "repeat_until_steps_cmplt"
        )
        return step

    theirs = repeat_step(fitparse_messages(SHARED / "WorkoutRepeatSteps.fit"))
    ours = repeat_step(fitparse_messages(encode_workout(RUN_WALK_1_2)))
    assert field_shapes(ours) == field_shapes(theirs)
    assert set(field_shapes(ours)) >= REPEAT_FIELDS
    assert theirs.get_value("duration_step") == 1  # after a warm-up, as ours
    assert ours.get_value("duration_step") == theirs.get_value("duration_step")


@needs_shared
def test_our_timed_step_has_the_fields_of_a_real_timed_step() -> None:
    def first_step(messages: list[Any]) -> Any:
        return next(m for m in messages if m.name == "workout_step")

    theirs = first_step(fitparse_messages(SHARED / "WorkoutIndividualSteps.fit"))
    ours = first_step(fitparse_messages(encode_workout(RUN_WALK_1_2)))
    shared = set(field_shapes(theirs)) & set(field_shapes(ours))
    assert shared == {
        "message_index",
        "wkt_step_name",
        "duration_type",
        "duration_time",
        "target_type",
        "intensity",
    }
    assert {name: field_shapes(ours)[name] for name in shared} == {
        name: field_shapes(theirs)[name] for name in shared
    }
    assert (theirs.get_value("duration_time"), theirs.get_value("intensity")) == (60.0, "warmup")


@needs_shared
def test_the_real_workout_files_read_with_our_decoder_helpers() -> None:
    decoded = with_fitparse((SHARED / "WorkoutRepeatSteps.fit").read_bytes())
    assert decoded.file_type == "workout"
    assert decoded.steps[3]["duration_type"] == "repeat_until_steps_cmplt"
    assert (decoded.steps[3]["back_to"], decoded.steps[3]["repeats"]) == (1, 3)
