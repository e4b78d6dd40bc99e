"""Write a planned session as a FIT workout file (what a Garmin watch takes from its
``GARMIN/NewFiles`` folder).

A :class:`~loadguard.workouts.Workout` becomes file_id, workout and one workout_step a
step, in the order the watch runs them: the warm-up, the interval steps once, one repeat
step sending the watch back to the first interval step until the interval has been run
``repeats`` times, and the cool-down. garmin-fit-sdk's ``Encoder`` (imported only when
writing, through :mod:`loadguard_fit.writer`) writes the messages; as there, every key
is checked against the profile and enums are passed as numbers.

The encoder writes base fields only: a step's time goes in ``duration_value`` in
milliseconds (``duration_time`` is its sub-field, scale 1000), a repeat step's first
step in ``duration_value`` (``duration_step``) and its count in ``target_value``
(``repeat_steps``). Values that do not fit their field are refused with a
:class:`~loadguard.contract.ConnectorError` rather than wrapped by the encoder.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from loadguard.contract import ConnectorError
from loadguard.workouts import Step, Workout

from .writer import (
    _MANUFACTURER_DEVELOPMENT,
    _PRODUCT,
    _SERIAL_NUMBER,
    _CheckedEncoder,
    _sdk,
    fit_seconds,
)

if TYPE_CHECKING:
    from garmin_fit_sdk.mesgs import FileIdMesg, WorkoutMesg, WorkoutStepMesg

__all__ = ["MAX_STEPS", "MAX_STEP_SECONDS", "NAME_CHARACTERS", "encode_workout", "watch_name"]

# Global message numbers and enum values from the FIT profile.
_FILE_ID, _WORKOUT, _WORKOUT_STEP = 0, 26, 27
_FILE_WORKOUT = 5
_SPORT_RUNNING, _SUB_SPORT_GENERIC = 1, 0
_DURATION_TIME, _DURATION_OPEN, _DURATION_REPEAT_UNTIL_STEPS_CMPLT = 0, 5, 6
_TARGET_OPEN = 2
_INTENSITY = {"active": 0, "rest": 1, "warmup": 2, "cooldown": 3}

_UINT32_MAX = 2**32 - 2  # 0xFFFFFFFF means "invalid"
MAX_STEP_SECONDS = _UINT32_MAX // 1000  # duration_value holds milliseconds
MAX_STEPS = 255  # workout_step messages in one file
NAME_CHARACTERS = 15  # watches cut a workout's name near here
_STRING_BYTES = 254  # a field's size is one byte, the terminating NUL included


def encode_workout(workout: Workout) -> bytes:
    """Bytes of a FIT workout file for ``workout``, a running workout named
    :func:`watch_name` (``workout.name``) and created at 00:00 UTC on ``workout.day``.

    Raises :class:`ConnectorError` when a value does not fit its FIT field: a step of
    more than :data:`MAX_STEP_SECONDS`, more than :data:`MAX_STEPS` steps, a label of
    more than 254 bytes, a day before the FIT epoch.
    """
    steps = _steps(workout)
    created = _created(workout)
    name = watch_name(workout.name)
    _utf8(f"workout {workout.name!r}: the name", name)
    encoder_class, profile = _sdk()  # imports garmin_fit_sdk on first use
    encoder = _CheckedEncoder(encoder_class(), profile)
    file_id: FileIdMesg = {
        "type": _FILE_WORKOUT,
        "manufacturer": _MANUFACTURER_DEVELOPMENT,
        "product": _PRODUCT,
        "serial_number": _SERIAL_NUMBER,
        "time_created": created,
    }
    header: WorkoutMesg = {
        "sport": _SPORT_RUNNING,
        "sub_sport": _SUB_SPORT_GENERIC,
        "num_valid_steps": len(steps),
    }
    if name:
        header["wkt_name"] = name
    try:
        encoder.write(_FILE_ID, file_id)
        encoder.write(_WORKOUT, header)
        for step in steps:
            encoder.write(_WORKOUT_STEP, step)
    except ValueError as error:  # the encoder refused a value the checks here let through
        raise ConnectorError(f"workout {workout.name!r}: {error}") from error
    return encoder.close()


def watch_name(name: str) -> str:
    """``name`` as the watch lists it: at most :data:`NAME_CHARACTERS` characters, cut
    between characters (an accent or a joined emoji stays with its letter), no NUL."""
    text = unicodedata.normalize("NFC", name.replace("\x00", "")).strip()
    if len(text) <= NAME_CHARACTERS:
        return text
    cut = NAME_CHARACTERS
    while cut > 0 and _joins_previous(text, cut):
        cut -= 1
    return text[:cut].rstrip()


def _joins_previous(text: str, index: int) -> bool:
    """Whether a cut before ``text[index]`` would split a character as a reader sees it."""
    char, before = text[index], text[index - 1]
    joining = unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Mc")
    selector = "\ufe00" <= char <= "\ufe0f" or char == "\u200d" or before == "\u200d"
    return bool(joining or selector)


def _utf8(what: str, text: str) -> None:
    """Refuse a string the encoder cannot write (a lone surrogate) or a field cannot hold."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise ConnectorError(f"{what} is not valid Unicode: {error}") from error
    if size > _STRING_BYTES:
        raise ConnectorError(
            f"{what} takes {size} bytes in UTF-8; a FIT string field holds {_STRING_BYTES}"
        )


def _steps(workout: Workout) -> list[WorkoutStepMesg]:
    """The workout_step messages in the order they are written."""
    first_interval = 0 if workout.warmup is None else 1
    planned: list[Step | None] = [  # None: the repeat step
        *(() if workout.warmup is None else (workout.warmup,)),
        *workout.interval,
        *((None,) if workout.repeats > 1 else ()),
        *(() if workout.cooldown is None else (workout.cooldown,)),
    ]
    if len(planned) > MAX_STEPS:
        raise ConnectorError(
            f"workout {workout.name!r} has {len(planned)} steps; "
            f"a FIT workout file holds at most {MAX_STEPS}"
        )
    if workout.repeats > _UINT32_MAX:
        raise ConnectorError(
            f"workout {workout.name!r} repeats its interval {workout.repeats} times; "
            f"a FIT repeat step counts to {_UINT32_MAX} at most"
        )
    messages: list[WorkoutStepMesg] = []
    for index, step in enumerate(planned):
        if step is None:
            messages.append(_repeat(index, first_interval, workout.repeats))
        else:
            messages.append(_step(workout, index, step))
    return messages


def _step(workout: Workout, index: int, step: Step) -> WorkoutStepMesg:
    """A run or walk step: for ``step.seconds``, or until the lap button when None."""
    where = f"workout {workout.name!r}, step {index + 1} ({step.label!r})"
    if step.intensity not in _INTENSITY:
        raise ConnectorError(f"{where}: {step.intensity!r} is not a FIT workout intensity")
    if step.seconds is not None and not 0 < step.seconds <= MAX_STEP_SECONDS:
        raise ConnectorError(
            f"{where} lasts {step.seconds} s; a FIT workout step lasts from 1 s "
            f"to {MAX_STEP_SECONDS} s"
        )
    label = step.label.replace("\x00", "").strip()
    _utf8(f"{where}: the label", label)
    message: WorkoutStepMesg = {"message_index": index}  # fields in the real files' order
    if label:
        message["wkt_step_name"] = label
    if step.seconds is None:
        message["duration_type"] = _DURATION_OPEN
    else:
        message["duration_type"] = _DURATION_TIME
        message["duration_value"] = round(step.seconds * 1000)  # duration_time, in ms
    message["target_type"] = _TARGET_OPEN
    message["intensity"] = _INTENSITY[step.intensity]
    return message


def _repeat(index: int, first: int, repeats: int) -> WorkoutStepMesg:
    """Back to step ``first`` until the interval has been run ``repeats`` times."""
    return {
        "message_index": index,
        "wkt_step_name": f"{repeats}x",
        "duration_type": _DURATION_REPEAT_UNTIL_STEPS_CMPLT,
        "duration_value": first,  # duration_step
        "target_type": _TARGET_OPEN,
        "target_value": repeats,  # repeat_steps
        "intensity": _INTENSITY["active"],
    }


def _created(workout: Workout) -> int:
    """FIT seconds of 00:00 UTC on the workout's day."""
    created = fit_seconds(datetime.combine(workout.day, time(0), tzinfo=UTC))
    if not 0 <= created <= _UINT32_MAX:
        raise ConnectorError(
            f"workout {workout.name!r}: {workout.day.isoformat()} does not fit a FIT timestamp"
        )
    return created
