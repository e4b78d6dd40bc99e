"""Files that define their messages again before (nearly) every data message, as Suunto's
Ambit 3 does (14,217 definitions for 14,768 data messages): the fast decoder reads them
exactly as fitparse does, and exactly as the same run written with one definition.

The files are written by tests/redefined.py; bench/bench_decoder.py times the decoder on them.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest

from fitdata import COMPARED, data, definition, fit_file, fitparse_values
from loadguard.contract import ConnectorError
from loadguard_fit import decoder, walk
from loadguard_fit import profile as p
from redefined import (
    BASE,
    BIG_ENDIAN,
    BYTE,
    MESSAGES,
    PLAIN,
    REORDERED,
    START,
    UINT8,
    UINT16,
    UINT32,
    activity_file,
    run_samples,
)


def decoded(payload: bytes) -> dict[int, dict[int, list[float | None]]]:
    """Every decoded column of every message (None for NaN), without the byte offsets."""
    fit = decoder.decode(payload)
    return {
        mesg: {
            num: [None if math.isnan(v) else v for v in col.tolist()]
            for num, col in sorted(table.columns.items())
        }
        for mesg, table in fit.tables.items()
    }


def assert_same_as_fitparse(payload: bytes, tmp_path: Path) -> None:
    path = tmp_path / "run.fit"
    path.write_bytes(payload)
    theirs = fitparse_values(path)
    assert not isinstance(theirs, str), theirs
    ours = decoder.decode(payload)
    for mesg, fields in COMPARED.items():
        table = ours.table(MESSAGES[mesg])
        for name, num, _ in fields:
            expected = np.array(theirs[mesg][name], dtype=np.float64)
            np.testing.assert_allclose(
                table.get(num), expected, rtol=1e-12, atol=0, equal_nan=True, err_msg=name
            )


CHANGES = {900: REORDERED, 1500: BIG_ENDIAN, 2100: PLAIN}


def test_a_two_hour_run_redefining_its_record_before_every_record_reads_as_if_defined_once() -> (
    None
):
    samples = run_samples(7200)
    every = decoded(activity_file(samples, "every"))
    assert every == decoded(activity_file(samples, "once"))
    assert len(every[p.RECORD][p.TIMESTAMP]) == 7200
    assert every[p.RECORD][p.POSITION_LAT].count(None) == 60


@pytest.mark.parametrize("shape", ["every", "suunto"])
def test_redefinitions_that_change_field_order_sizes_and_byte_order_midway_take_effect(
    shape: str,
) -> None:
    samples = run_samples(3000)
    redefined = decoded(activity_file(samples, shape, CHANGES))
    assert redefined == decoded(activity_file(samples, "once"))
    heart_rate = redefined[p.RECORD][p.HEART_RATE]
    assert heart_rate[1499:1531] == [heart_rate[1499], *[None] * 30, heart_rate[1530]]
    assert None not in (heart_rate[1499], heart_rate[1530])


def test_the_suunto_shape_reads_as_if_defined_once() -> None:
    """The record definition before 95% of the records, on local types 0 and 1 in turn,
    and now and then an event defined on the same local type in between."""
    samples = run_samples(5400, seed=7)
    payload = activity_file(samples, "suunto")
    spec = [(num, BASE[base][0], base) for num, base in PLAIN.fields]
    on_0, on_1 = (payload.count(definition(local, p.RECORD, spec)) for local in (0, 1))
    assert on_0 + on_1 > 0.9 * len(samples)
    assert min(on_0, on_1) > 0.3 * len(samples)
    assert decoded(payload) == decoded(activity_file(samples, "once"))


@pytest.mark.parametrize("shape", ["once", "every", "suunto"])
def test_fitparse_reads_the_redefining_files_as_the_fast_decoder_does(
    shape: str, tmp_path: Path
) -> None:
    samples = run_samples(1200, seed=11)
    changes = {400: REORDERED, 700: BIG_ENDIAN, 1000: PLAIN}
    assert_same_as_fitparse(activity_file(samples, shape, changes), tmp_path)


def test_a_repeated_definition_is_noted_no_more_often_than_the_same_run_defined_once() -> None:
    samples = run_samples(1200)
    noted = {}
    for shape in ("once", "every"):
        payload = activity_file(samples, shape, CHANGES)
        noted[shape] = walk.walk(payload, 14, len(payload) - 2).def_pos
    assert len(noted["every"]) == len(noted["once"]) < 12


def test_every_repeat_of_a_compressed_speed_distance_definition_restarts_the_distance(
    tmp_path: Path,
) -> None:
    """fitparse restarts the accumulated distance at every definition declaring the
    field, repeats included; so does the fast decoder."""
    spec = [(p.TIMESTAMP, 4, UINT32), (p.COMPRESSED_SPEED_DISTANCE, 3, BYTE)]
    body, csd = b"", definition(0, p.RECORD, spec)
    for i in range(40):
        step = (i * 1500) % 4096  # 1/16 m, 12 bits: rolls over every third record
        packed = (250 + i) | step << 12
        body += (csd if i % 3 == 0 or not body else b"") + data(
            0, struct.pack("<I", START + i) + packed.to_bytes(3, "little")
        )
    assert_same_as_fitparse(fit_file(body), tmp_path)
    distance = decoder.decode(fit_file(body)).table(p.RECORD).get(p.DISTANCE)
    assert distance[2:4].tolist() == [3000 / 16, 404 / 16]  # restarted, not 4500 / 16


def test_a_definition_differing_only_in_its_header_flags_or_byte_order_is_not_a_repeat() -> None:
    hr = [(p.HEART_RATE, 1, UINT8)]
    both = [(p.CADENCE, 1, UINT8), (p.HEART_RATE, 1, UINT8)]
    reserved = bytes([0x50]) + definition(0, p.RECORD, both)[1:]  # bit 4 set: still local 0
    speed = [(p.SPEED, 2, UINT16)]
    body = reserved + data(0, b"\x50\x64")
    body += definition(0, p.RECORD, hr) + data(0, b"\x65")
    body += reserved + data(0, b"\x51\x66")  # in force before, but not any more
    body += definition(0, p.RECORD, hr, dev=[(0, 1, 0)]) + data(0, b"\x67\x00")
    body += definition(0, p.RECORD, hr) + data(0, b"\x68")
    body += definition(0, p.RECORD, speed) + data(0, struct.pack("<H", 2500))
    body += definition(0, p.RECORD, speed, big=True) + data(0, struct.pack(">H", 2600))
    records = decoder.decode(fit_file(body)).table(p.RECORD)
    np.testing.assert_array_equal(
        records.get(p.HEART_RATE), [100, 101, 102, 103, 104, np.nan, np.nan]
    )
    np.testing.assert_array_equal(records.get(p.CADENCE), [80, np.nan, 81] + [np.nan] * 4)
    np.testing.assert_array_equal(records.get(p.SPEED), [np.nan] * 5 + [2.5, 2.6])


def test_a_repeat_cut_off_at_the_end_of_the_data_is_truncated_though_the_crc_completes_it() -> None:
    """A repeat is only compared inside the data section: the file CRC's first byte
    completing it does not make it whole."""
    for pulse in range(256):
        repeat = definition(0, p.RECORD, [(p.HEART_RATE, 1, UINT8), (250, 1, UINT8)])
        payload = fit_file(repeat + data(0, bytes([pulse, 0])) + repeat[:-1])
        if payload[-2] == repeat[-1]:
            break
    assert payload[-2] == repeat[-1]
    at = 14 + len(repeat) + 3
    with pytest.raises(ConnectorError, match=f"definition message at byte {at} runs past"):
        decoder.decode(payload)
