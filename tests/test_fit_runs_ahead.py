"""The header walk takes a run of data messages with the same header byte whole (see
connectors/fit/src/loadguard_fit/walk.py). Each file here is also written *spaced*: the
definition in force repeated before every data message, so that no two data messages
follow each other and the walk goes message by message, as it did before runs. Both must
decode to the same values, and damage must be reported at the same message."""

from __future__ import annotations

import math
import random
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from fitdata import COMPARED, data, definition, fit_file, fitparse_values
from loadguard.contract import ConnectorError
from loadguard_fit import decoder, walk
from loadguard_fit import profile as p

UINT8, UINT16, UINT32, BYTE = 0x02, 0x84, 0x86, 0x0D
START = 1_100_000_000
HRV = 78  # a global message the connector does not read
RECORD = [(p.TIMESTAMP, 4, UINT32), (p.HEART_RATE, 1, UINT8), (p.SPEED, 2, UINT16)]
SHORT = [(p.HEART_RATE, 1, UINT8)]  # a record without its own timestamp
EVENT = [(p.TIMESTAMP, 4, UINT32), (0, 1, 0), (1, 1, 0)]
Message = tuple[str, bytes]  # ("def", definition) or ("data", data message)


def record(i: int, local: int = 0) -> Message:
    return "data", data(local, struct.pack("<IBH", START + i, 100 + i % 100, 2000 + i))


def event(i: int, local: int = 1) -> Message:
    return "data", data(local, struct.pack("<IBB", START + i, 0, 3))


def packed(messages: list[Message]) -> bytes:
    """The messages as they are: runs of data messages one after the other."""
    return b"".join(message for _, message in messages)


def spaced(messages: list[Message]) -> bytes:
    """The same messages with the definition in force repeated before each data message
    (a repeat changes nothing), so that no run forms."""
    in_force: dict[int, bytes] = {}
    out = bytearray()
    for kind, message in messages:
        header = message[0]
        if kind == "def":
            in_force[header & 0x0F] = message
        else:
            out += in_force[(header >> 5) & 0x03 if header & 0x80 else header & 0x0F]
        out += message
    return bytes(out)


def values(payload: bytes) -> dict[int, dict[int, list[float | None]]]:
    """Every decoded column of every message (None for NaN), without the byte offsets."""
    return {
        mesg: {
            num: [None if math.isnan(v) else v for v in col.tolist()]
            for num, col in sorted(table.columns.items())
        }
        for mesg, table in decoder.decode(payload).tables.items()
    }


def runs_taken(payload: bytes, everything: bool = True) -> int:
    """How many runs the walk took whole in a single file's data."""
    end = len(payload) - 2
    return len(walk.walk(payload, payload[0], end, None if everything else p.WANTED).runs)


def assert_reads_as_spaced(messages: list[Message]) -> dict[int, dict[int, list[float | None]]]:
    """The messages packed read as the same messages spaced, and the walk took runs."""
    fast, slow = fit_file(packed(messages)), fit_file(spaced(messages))
    assert runs_taken(fast)
    assert not runs_taken(slow)
    got = values(fast)
    assert got == values(slow)
    return got


def test_a_run_of_records_interrupted_by_an_event_reads_as_the_records_one_by_one() -> None:
    messages = [("def", definition(0, p.RECORD, RECORD)), ("def", definition(1, p.EVENT, EVENT))]
    messages += [record(i) for i in range(300)] + [event(300)]
    messages += [record(i) for i in range(300, 700)]
    got = assert_reads_as_spaced(messages)
    assert got[p.RECORD][p.TIMESTAMP] == [START + i for i in range(700)]
    assert got[p.RECORD][p.HEART_RATE] == [100 + i % 100 for i in range(700)]


def test_a_run_reaching_the_end_of_the_data_stops_there_though_the_crc_byte_continues_it() -> None:
    """Records on local type 0 (header byte 0x00) up to the end of the data, the file CRC
    starting with 0x00 a record further on: the CRC is no record."""
    for last in range(4096):
        messages = [("def", definition(0, p.RECORD, RECORD))]
        messages += [record(i) for i in range(200)] + [record(last)]
        payload = fit_file(packed(messages))
        if payload[-2] == 0:
            break
    assert payload[-2] == 0
    got = assert_reads_as_spaced(messages)
    assert len(got[p.RECORD][p.TIMESTAMP]) == 201


def test_a_run_on_a_local_type_equal_to_the_next_chained_files_header_size_stops_at_its_end() -> (
    None
):
    """Local type 14: header byte 14, as the 14-byte header of the chained file after it."""
    first = [("def", definition(14, p.RECORD, RECORD))] + [record(i, 14) for i in range(120)]
    second = [("def", definition(14, p.RECORD, RECORD))] + [record(i, 14) for i in range(500, 560)]
    fast = fit_file(packed(first)) + fit_file(packed(second))
    slow = fit_file(spaced(first)) + fit_file(spaced(second))
    assert values(fast) == values(slow)
    timestamps = [START + i for i in [*range(120), *range(500, 560)]]
    assert values(fast)[p.RECORD][p.TIMESTAMP] == timestamps


def _cut_message(payload: bytes) -> str:
    with pytest.raises(ConnectorError) as err:
        decoder.decode(payload)
    return str(err.value)


@pytest.mark.parametrize("cut", [1, 3, 6])
def test_a_run_cut_off_mid_message_names_the_cut_record_as_the_walk_one_by_one_did(
    cut: int,
) -> None:
    """The data section declared ``cut`` bytes short of its last record (the CRCs right):
    the record that runs past its end is named, packed or spaced."""
    messages = [("def", definition(0, p.RECORD, RECORD))] + [record(i) for i in range(150)]
    for body in (packed(messages), spaced(messages)):
        last = 14 + len(body) - 8  # each record: a header byte and 7 bytes
        payload = fit_file(body[:-cut])
        assert _cut_message(payload) == (
            f"truncated: message at byte {last} runs past the end of the data"
            f" at byte {14 + len(body) - cut}"
        )
    assert runs_taken(fit_file(packed(messages)[:-cut]))


def test_a_run_in_a_file_shorter_than_its_header_declares_names_the_cut_record() -> None:
    messages = [("def", definition(0, p.RECORD, RECORD))] + [record(i) for i in range(150)]
    for body in (packed(messages), spaced(messages)):
        payload = fit_file(body)[: 14 + len(body) - 3]  # the last record and the CRC cut
        last = 14 + len(body) - 8
        assert _cut_message(payload) == (
            f"truncated: message at byte {last} runs past the end of the data"
            f" at byte {len(payload)}"
        )


def test_compressed_timestamp_records_in_a_run_keep_their_time_offsets() -> None:
    """Records with compressed headers: several in one second have the same header byte
    and form a run; each still adds its own offset to the last full timestamp."""
    rng = random.Random(7)
    messages = [("def", definition(0, p.EVENT, EVENT)), ("def", definition(1, p.RECORD, SHORT))]
    messages += [event(0, local=0)]
    expected, now, last = [], START, START  # the time, and the time by the FIT rule
    for i in range(600):
        now += rng.choice([0, 0, 0, 1, 1, 2, 31, 40])  # repeats: a run of one header byte
        messages.append(("data", data(1, bytes([i % 200]), time_offset=now & 0x1F)))
        last += ((now & 0x1F) - (last & 0x1F)) % 0x20  # a step of 32 or more is lost
        expected.append(last)
        if i % 150 == 149:
            messages.append(event(now - START, local=0))
            last = now
    got = assert_reads_as_spaced(messages)
    assert got[p.RECORD][p.HEART_RATE] == [i % 200 for i in range(600)]
    assert got[p.RECORD][p.TIMESTAMP] == expected


def test_compressed_timestamp_records_that_the_first_walk_skips_read_the_same() -> None:
    """With only some messages wanted, the first compressed header sends the decoder to a
    second walk collecting everything; the first walk's runs must not hide it."""
    messages = [("def", definition(0, p.RECORD, RECORD)), ("def", definition(1, p.RECORD, SHORT))]
    messages += [record(i) for i in range(100)]
    messages += [("data", data(1, bytes([70]), time_offset=(START + 99) & 0x1F))] * 40
    messages += [record(i) for i in range(100, 200)]
    got = assert_reads_as_spaced(messages)
    assert got[p.RECORD][p.TIMESTAMP] == [START + i for i in range(100)] + [START + 99] * 40 + [
        START + i for i in range(100, 200)
    ]


def test_two_local_types_alternating_and_in_runs_read_as_one_by_one() -> None:
    """Records on local types 0 and 1 (two layouts) alternating, then in runs of each."""
    wide = [(p.HEART_RATE, 2, UINT16), (p.TIMESTAMP, 4, UINT32), (p.SPEED, 2, UINT16)]
    messages = [("def", definition(0, p.RECORD, RECORD)), ("def", definition(1, p.RECORD, wide))]

    def other(i: int) -> Message:
        return "data", data(1, struct.pack("<HIH", 300 + i, START + i, 1000 + i))

    order = [i % 2 for i in range(200)] + [0] * 150 + [1] * 150 + [0, 0, 1, 1] * 25
    messages += [other(i) if kind else record(i) for i, kind in enumerate(order)]
    got = assert_reads_as_spaced(messages)
    assert got[p.RECORD][p.TIMESTAMP] == [START + i for i in range(len(order))]
    assert got[p.RECORD][p.HEART_RATE] == [
        300 + i if kind else 100 + i % 100 for i, kind in enumerate(order)
    ]


def test_a_run_of_messages_the_connector_skips_is_stepped_over_whole() -> None:
    """A run of hrv messages between records: skipped, the records after it read."""
    messages = [
        ("def", definition(0, p.RECORD, RECORD)),
        ("def", definition(2, HRV, [(0, 2, UINT16)])),
    ]
    messages += [record(i) for i in range(50)]
    messages += [("data", data(2, struct.pack("<H", 800 + i))) for i in range(90)]
    messages += [record(i) for i in range(50, 80)]
    assert_reads_as_spaced(messages)
    payload = fit_file(packed(messages))
    assert runs_taken(payload, everything=False) == 2  # the records' (hrv's: not noted)
    assert decoder.decode(payload).table(p.RECORD).get(p.TIMESTAMP).tolist() == [
        START + i for i in range(80)
    ]


def test_records_with_developer_fields_run_by_their_whole_size() -> None:
    """Developer fields make each record longer than its own fields: the run steps by the
    whole size, and a redefinition without them changes the step."""
    messages = [("def", definition(0, p.RECORD, RECORD, dev=[(0, 3, 0), (1, 2, 0)]))]
    messages += [("data", record(i)[1] + bytes([i % 256, 1, 2, 3, 4])) for i in range(120)]
    messages += [("def", definition(0, p.RECORD, RECORD))]
    messages += [record(i) for i in range(120, 260)]
    got = assert_reads_as_spaced(messages)
    assert got[p.RECORD][p.TIMESTAMP] == [START + i for i in range(260)]


def _random_messages(rng: random.Random) -> list[Message]:
    """Definitions, records, events, hrv and compressed headers in random runs."""
    layouts = [RECORD, SHORT, [(p.SPEED, 2, UINT16), (p.TIMESTAMP, 4, UINT32)], EVENT]
    messages: list[Message] = [("def", definition(0, p.EVENT, EVENT))]
    messages.append(event(0, local=0))
    defined: dict[int, tuple[int, list[tuple[int, int, int]]]] = {}
    for i in range(60):
        local = rng.randrange(4)
        if local not in defined or rng.random() < 0.2:
            mesg = rng.choice([p.RECORD, p.RECORD, p.EVENT, HRV])
            fields = rng.choice(layouts)
            defined[local] = (mesg, fields)
            messages.append(("def", definition(local, mesg, fields)))
        _, fields = defined[local]
        size = sum(n for _, n, _ in fields)
        compressed = local < 4 and rng.random() < 0.3
        offset = rng.randrange(32)
        for _ in range(rng.choice([1, 1, 2, 5, 40])):
            body = bytes(rng.randrange(256) for _ in range(size))
            if compressed and rng.random() < 0.7:
                messages.append(("data", data(local, body, time_offset=offset)))
            else:
                messages.append(("data", data(local, body)))
            if rng.random() < 0.1:
                offset = rng.randrange(32)
        if i % 7 == 0 and 0 in defined and defined[0][1] == EVENT:
            messages.append(event(i, local=0))
    return messages


@pytest.mark.parametrize("seed", range(40))
def test_random_mixtures_of_runs_read_as_one_by_one(seed: int) -> None:
    messages = _random_messages(random.Random(seed))
    fast, slow = fit_file(packed(messages)), fit_file(spaced(messages))
    assert runs_taken(fast)
    assert not runs_taken(slow)
    assert values(fast) == values(slow)
    last = len(messages[-1][1])  # the data section declared short, into its last message:
    for cut in sorted({1, last - 1} - {0}):  # the same message named, packed or spaced
        short = [fit_file(body[:-cut]) for body in (packed(messages), spaced(messages))]
        said = []
        for payload in short:
            try:
                decoder.decode(payload)
                said.append("read")
            except ConnectorError as err:
                said.append(re.sub(r"\d+", "N", str(err)))
        assert said[0] == said[1]


def test_fitparse_reads_a_file_of_runs_as_the_fast_decoder_does(tmp_path: Path) -> None:
    messages = [("def", definition(0, p.RECORD, RECORD)), ("def", definition(1, p.EVENT, EVENT))]
    messages += [record(i) for i in range(250)] + [event(250)]
    messages += [record(i) for i in range(251, 400)]
    path = tmp_path / "runs.fit"
    path.write_bytes(fit_file(packed(messages)))
    theirs = fitparse_values(path)
    assert not isinstance(theirs, str), theirs
    records = decoder.decode(path.read_bytes()).table(p.RECORD)
    for name, num, _ in COMPARED["record"]:
        if num not in dict((n, 0) for n, _, _ in RECORD):
            continue  # fitparse expands speed into enhanced_speed; the decoder does not
        np.testing.assert_array_equal(
            records.get(num), np.array(theirs["record"][name], dtype=np.float64), err_msg=name
        )


def test_the_offsets_of_a_walk_with_runs_are_those_of_every_message_in_file_order() -> None:
    messages = [("def", definition(0, p.RECORD, RECORD)), ("def", definition(1, p.EVENT, EVENT))]
    messages += [record(i) for i in range(70)] + [event(70)] + [record(71)] + [event(72)]
    messages += [record(i) for i in range(73, 300)]
    body = packed(messages)
    found = walk.walk(fit_file(body), 14, 14 + len(body))
    expected, at = [], 14
    for kind, message in messages:
        if kind == "data":
            expected.append(at)
        at += len(message)
    assert found.offsets().tolist() == expected
    assert found.last() == expected[-1]
    assert len(found.runs) == 2
