"""The fast FIT decoder: agreement with fitparse on real files, and every failure mode."""

from __future__ import annotations

import random
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from fitdata import (
    COMPARED,
    DATA,
    Reference,
    data,
    definition,
    fit_file,
    fit_files,
    fitparse_all,
    path_of,
)
from loadguard.contract import ConnectorError
from loadguard_fit import decoder
from loadguard_fit import profile as p

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared FIT data not in {DATA}")

MESSAGES = {"session": p.SESSION, "record": p.RECORD, "activity": p.ACTIVITY}
FILES = [path.name for path in fit_files()] if DATA.is_dir() else []

# base types
UINT8, SINT32, UINT32, UINT16, UINT8Z, BYTE = 0x02, 0x85, 0x86, 0x84, 0x0A, 0x0D


BROKEN = [
    ("activity-filecrc.fit", "file CRC mismatch (expected 0xB1D5, computed 0xA1D5)"),
    ("activity-unexpected-eof.fit", "truncated: message at byte 751 runs past the end"),
    ("strava-android-app-201.10-b1218918.fit", "undefined local message type 11 at byte 7471"),
    ("nick.fit", "file CRC mismatch"),
]
# Chained files whose first part is whole and a later part damaged: the first is kept,
# the rest dropped with the reason.
SALVAGED = [
    ("activity-activity-filecrc.fit", "from byte 771 dropped: file CRC mismatch of the chained"),
    ("activity-settings-corruptheader.fit", "corrupt header of chained file at byte 771"),
    ("activity-settings-nodata.fit", "dropped: truncated"),
]


# Files damaged in any part are checked by the broken and salvaged tests instead
# (fitparse rejects them too, and takes seconds to fail on nick.fit).
SOUND = [name for name in FILES if name not in {name for name, _ in BROKEN + SALVAGED}]
# fitparse 1.2.0 raises on this sound file (a 1-byte field declared uint32), so it
# cannot be the reference there; the test below pins that down.
FITPARSE_FAILS = "coros-pace-2-cycling-misaligned-fields.fit"
COMPARABLE = [name for name in SOUND if name != FITPARSE_FAILS]


@pytest.fixture(scope="module")
def fitparse_reference(request: pytest.FixtureRequest) -> dict[str, Reference]:
    """fitparse's view of every sound shared file, parsed once (it is slow) and kept in
    pytest's cache between runs."""
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    return fitparse_all([path_of(name) for name in SOUND], cache)


def test_fitparse_cannot_be_the_reference_for_the_coros_file(
    fitparse_reference: dict[str, Reference],
) -> None:
    assert "Invalid field size 1 for type 'uint32'" in str(fitparse_reference[FITPARSE_FAILS])


def effective_speed(enhanced: np.ndarray, speed: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(enhanced), speed, enhanced)


@pytest.mark.parametrize("name", COMPARABLE)
def test_the_fast_decoder_agrees_with_fitparse_field_by_field(
    name: str, fitparse_reference: dict[str, Reference]
) -> None:
    theirs = fitparse_reference[name]
    assert not isinstance(theirs, str), f"fitparse failed on {name}: {theirs}"
    ours = decoder.decode(path_of(name).read_bytes())
    for mesg, fields in COMPARED.items():
        table = ours.table(MESSAGES[mesg])
        for field_name, num, _ in fields:
            expected = np.array(theirs[mesg][field_name], dtype=np.float64)
            actual = table.get(num)
            if field_name == "enhanced_speed":  # fitparse also expands speed into it
                actual = effective_speed(actual, table.get(p.SPEED))
                expected = effective_speed(expected, np.array(theirs[mesg]["speed"]))
            assert len(actual) == len(expected), f"{mesg} count differs"
            np.testing.assert_allclose(
                actual, expected, rtol=1e-12, atol=0, equal_nan=True, err_msg=f"{mesg}.{field_name}"
            )


@pytest.mark.parametrize(("name", "reason"), BROKEN)
def test_every_broken_real_file_is_rejected_with_the_problem_named(name: str, reason: str) -> None:
    with pytest.raises(ConnectorError, match=re.escape(reason)):
        decoder.decode(path_of(name).read_bytes())


def test_nick_fit_is_rejected_because_its_last_record_is_cut_off_and_its_crc_is_garbage() -> None:
    """The header's data size was fitted to the file, but the last record runs 11 bytes
    past it, so the two CRC bytes are record bytes: damaged, and it has no session."""
    payload = path_of("nick.fit").read_bytes()
    with pytest.raises(ConnectorError, match="file CRC mismatch"):
        decoder.decode(payload)


def test_strava_file_is_rejected_as_shorter_than_declared_and_corrupt() -> None:
    """19 bytes are missing (0x0D bytes dropped, as a CRLF->LF conversion does), so the
    walk loses step at byte 7471: rejecting it is right, and the reason says both."""
    payload = path_of("strava-android-app-201.10-b1218918.fit").read_bytes()
    with pytest.raises(ConnectorError, match=r"declares 78252 bytes but only 78233") as caught:
        decoder.decode(payload)
    assert "undefined local message type 11" in str(caught.value)


def test_mornindew_broken_fit_is_imported_because_its_crc_and_structure_are_valid() -> None:
    """Despite its name the file checks out (CRCs, sizes, developer fields) and fitparse
    agrees with us on it; whatever broke another reader does not make the run unusable."""
    fit = decoder.decode(path_of("mornindew-broken.fit").read_bytes())
    assert len(fit.table(p.RECORD)) == 6874
    assert fit.table(p.SESSION).get(p.SPORT).tolist() == [1.0]


def test_the_coros_file_with_a_one_byte_uint32_field_decodes_and_that_field_is_dropped() -> None:
    fit = decoder.decode(path_of("coros-pace-2-cycling-misaligned-fields.fit").read_bytes())
    assert len(fit.table(p.RECORD)) == 11272
    assert fit.table(p.SESSION).get(p.TOTAL_DISTANCE)[0] == pytest.approx(32145.76)


def test_compressed_speed_distance_gives_speed_and_accumulated_distance() -> None:
    fit = decoder.decode(path_of("compressed-speed-distance.fit").read_bytes())
    records = fit.table(p.RECORD)
    distance = records.get(p.DISTANCE)
    assert np.isfinite(distance[1:]).all()  # the first record's field is invalid (0xFFFFFF)
    assert (np.diff(distance[1:]) >= 0).all(), "accumulated distance never goes back"
    assert distance[-1] > 10_000  # the 12-bit field rolls over every 256 m
    assert np.nanmax(records.get(p.SPEED)) < 10  # m/s, a run


def test_chained_triathlon_file_decodes_all_five_sessions() -> None:
    fit = decoder.decode(path_of("sample_mulitple_header.fit").read_bytes())
    assert fit.table(p.SESSION).get(p.SPORT).tolist() == [5.0, 3.0, 2.0, 3.0, 1.0]


# Hand-built files for the cases no real file covers.


def test_an_empty_file_is_rejected_as_empty() -> None:
    with pytest.raises(ConnectorError, match=r"empty file \(0 bytes\)"):
        decoder.decode(b"")


def test_a_file_without_the_fit_signature_is_rejected_as_not_a_fit_file(tmp_path: Path) -> None:
    junk = tmp_path / "notes.fit"
    junk.write_text("these are my running notes, not a FIT file")
    with pytest.raises(ConnectorError, match=r"not a FIT file: missing '\.FIT' signature"):
        decoder.decode(junk.read_bytes())


def test_a_file_too_short_for_a_header_is_rejected() -> None:
    with pytest.raises(ConnectorError, match="not a FIT file: only 5 bytes"):
        decoder.decode(b"\x0e\x10\x00\x00\x00")


def test_a_data_message_for_an_undefined_local_type_is_rejected_with_its_byte_offset() -> None:
    body = definition(0, p.RECORD, [(p.HEART_RATE, 1, UINT8)]) + data(0, b"\x90") + data(3, b"")
    with pytest.raises(ConnectorError, match="undefined local message type 3 at byte 25"):
        decoder.decode(fit_file(body))


def test_a_truncated_file_is_rejected_with_the_byte_offset_named() -> None:
    body = definition(0, p.RECORD, [(p.TIMESTAMP, 4, UINT32)]) + data(0, struct.pack("<I", 1)) * 3
    whole = fit_file(body)
    with pytest.raises(
        ConnectorError,
        match="truncated: message at byte 28 runs past the end of the data at byte 31",
    ):
        decoder.decode(whole[:31])


def test_a_wrong_header_crc_is_rejected_and_a_zero_one_means_not_computed() -> None:
    body = definition(0, p.RECORD, [(p.HEART_RATE, 1, UINT8)]) + data(0, b"\x90")
    assert decoder.decode(fit_file(body, header_crc=False)).table(p.RECORD).get(3).tolist() == [144]
    damaged = bytearray(fit_file(body))
    damaged[12] ^= 0xFF
    with pytest.raises(ConnectorError, match="header CRC mismatch"):
        decoder.decode(bytes(damaged))


def test_a_flipped_bit_in_the_data_is_caught_by_the_file_crc() -> None:
    damaged = bytearray(fit_file(definition(0, p.RECORD, [(3, 1, UINT8)]) + data(0, b"\x90")))
    damaged[-3] ^= 0x01
    with pytest.raises(ConnectorError, match=r"file CRC mismatch .*: the file is damaged"):
        decoder.decode(bytes(damaged))


def test_invalid_values_become_nan_for_each_base_type() -> None:
    fields = [(p.HEART_RATE, 1, UINT8), (p.POSITION_LAT, 4, SINT32), (p.CADENCE, 1, UINT8Z)]
    fields += [(p.SPEED, 2, UINT16), (p.TIMESTAMP, 4, UINT32)]
    valid = struct.pack("<BiBHI", 150, -5, 80, 3000, 7)
    invalid = struct.pack("<BiBHI", 0xFF, 0x7FFFFFFF, 0, 0xFFFF, 0xFFFFFFFF)
    body = definition(0, p.RECORD, fields) + data(0, valid) + data(0, invalid)
    records = decoder.decode(fit_file(body)).table(p.RECORD)
    assert records.get(p.HEART_RATE)[0] == 150
    assert records.get(p.POSITION_LAT)[0] == -5
    assert records.get(p.CADENCE)[0] == 80
    assert records.get(p.SPEED)[0] == 3.0  # scale 1000
    for num in (p.HEART_RATE, p.POSITION_LAT, p.CADENCE, p.SPEED, p.TIMESTAMP):
        assert np.isnan(records.get(num)[1]), num


def test_big_endian_definitions_are_decoded() -> None:
    fields = [(p.TIMESTAMP, 4, UINT32), (p.DISTANCE, 4, UINT32)]
    body = definition(0, p.RECORD, fields, big=True) + data(0, struct.pack(">II", 1000, 12345))
    records = decoder.decode(fit_file(body)).table(p.RECORD)
    assert records.get(p.TIMESTAMP).tolist() == [1000]
    assert records.get(p.DISTANCE).tolist() == [123.45]


def test_developer_fields_are_skipped_by_their_size() -> None:
    dev = [(0, 3, 0), (1, 2, 0)]  # five bytes of developer data per message
    body = definition(0, p.RECORD, [(p.HEART_RATE, 1, UINT8)], dev=dev)
    body += data(0, b"\x80" + b"\x01" * 5) + data(0, b"\x81" + b"\x02" * 5)
    assert decoder.decode(fit_file(body)).table(p.RECORD).get(3).tolist() == [128, 129]


def test_a_field_whose_size_is_not_a_multiple_of_its_type_reads_as_invalid() -> None:
    fields = [(p.DISTANCE, 1, UINT32), (p.HEART_RATE, 1, UINT8)]  # a 1-byte "uint32"
    body = definition(0, p.RECORD, fields) + data(0, b"\x05\x99")
    records = decoder.decode(fit_file(body)).table(p.RECORD)
    assert np.isnan(records.get(p.DISTANCE)).all()
    assert records.get(p.HEART_RATE).tolist() == [0x99]


def test_compressed_timestamps_roll_over_the_five_low_bits() -> None:
    body = definition(0, p.EVENT, [(p.TIMESTAMP, 4, UINT32)]) + data(0, struct.pack("<I", 1000))
    body += definition(1, p.RECORD, [(p.HEART_RATE, 1, UINT8)])
    body += data(1, b"\x80", time_offset=10) + data(1, b"\x81", time_offset=2)
    records = decoder.decode(fit_file(body)).table(p.RECORD)
    # 1000 = 0b1111101000: low bits 8; offset 10 -> 1002; offset 2 < 10 wraps -> 1026
    assert records.get(p.TIMESTAMP).tolist() == [1002, 1026]
    assert records.get(p.HEART_RATE).tolist() == [128, 129]


def test_compressed_timestamps_match_the_fit_rollover_rule_on_a_random_sequence() -> None:
    """Full timestamps (event messages) and compressed headers (records) interleaved at
    random; the expected times follow the FIT spec rule one message at a time."""
    rng = random.Random(20261125)
    body = definition(0, p.EVENT, [(p.TIMESTAMP, 4, UINT32)])
    body += definition(1, p.RECORD, [(p.HEART_RATE, 1, UINT8)])
    body += definition(2, p.RECORD, [(p.TIMESTAMP, 4, UINT32)])  # a field and a header
    last, expected = 0, []
    for _ in range(400):
        kind, offset = rng.random(), rng.randrange(32)
        if kind < 0.1:
            last = rng.randrange(10**6, 10**9)
            body += data(0, struct.pack("<I", last))
            continue
        if kind < 0.15:  # the field comes first, then the compressed header applies
            last = rng.randrange(10**6, 10**9)
            body += data(2, struct.pack("<I", last), time_offset=offset)
        else:
            body += data(1, b"\x50", time_offset=offset)
        last = (last & ~0x1F) + offset + (0x20 if offset < last & 0x1F else 0)
        expected.append(last)
    assert decoder.decode(fit_file(body)).table(p.RECORD).get(p.TIMESTAMP).tolist() == expected


def test_a_redefined_local_type_switches_layout_and_messages_stay_in_file_order() -> None:
    body = definition(0, p.RECORD, [(p.HEART_RATE, 1, UINT8)]) + data(0, b"\x64")
    body += definition(0, p.RECORD, [(p.CADENCE, 1, UINT8), (p.HEART_RATE, 1, UINT8)])
    body += data(0, b"\x50\x65") + definition(1, p.RECORD, [(p.HEART_RATE, 1, UINT8)])
    body += data(1, b"\x66") + data(0, b"\x51\x67")
    records = decoder.decode(fit_file(body)).table(p.RECORD)
    assert records.get(p.HEART_RATE).tolist() == [100, 101, 102, 103]
    np.testing.assert_array_equal(records.get(p.CADENCE), [np.nan, 80, np.nan, 81])


def test_reserved_bits_of_a_data_header_do_not_change_its_local_type() -> None:
    body = definition(2, p.RECORD, [(p.HEART_RATE, 1, UINT8)])
    body += data(2, b"\x70") + bytes([0x10 | 2, 0x71]) + bytes([0x20 | 2, 0x72])
    assert decoder.decode(fit_file(body)).table(p.RECORD).get(3).tolist() == [112, 113, 114]


def test_chained_files_are_merged_and_zero_padding_after_them_is_ignored() -> None:
    first = fit_file(definition(0, p.SESSION, [(p.SPORT, 1, 0)]) + data(0, b"\x05"))
    second = fit_file(definition(0, p.SESSION, [(p.SPORT, 1, 0)]) + data(0, b"\x01"), 12)
    fit = decoder.decode(first + second + bytes(8))
    assert fit.table(p.SESSION).get(p.SPORT).tolist() == [5, 1]


def test_garbage_after_the_last_file_is_dropped_as_a_corrupt_chained_header() -> None:
    whole = fit_file(definition(0, p.SESSION, [(p.SPORT, 1, 0)]) + data(0, b"\x05"))
    decoded = decoder.decode(whole + b"garbage tail")
    assert len(decoded.table(p.SESSION)) == 1
    assert decoded.dropped.startswith(f"12 bytes from byte {len(whole)} dropped: corrupt header")


@pytest.mark.parametrize(("name", "reason"), SALVAGED)
def test_a_real_chained_file_damaged_after_its_first_part_keeps_that_part(
    name: str, reason: str
) -> None:
    decoded = decoder.decode(path_of(name).read_bytes())
    assert len(decoded.table(p.SESSION)) >= 1
    assert reason in decoded.dropped


def test_compressed_speed_distance_distance_accumulates_across_12_bit_rollover() -> None:
    def packed(speed: int, distance16: int) -> bytes:
        value = speed | (distance16 & 0xFFF) << 12
        return value.to_bytes(3, "little")

    body = definition(0, p.RECORD, [(p.COMPRESSED_SPEED_DISTANCE, 3, BYTE)])
    for speed, dist in ((250, 4000), (260, 4090), (270, 4100), (280, 4200)):
        body += data(0, packed(speed, dist))
    records = decoder.decode(fit_file(body)).table(p.RECORD)
    assert records.get(p.SPEED).tolist() == [2.5, 2.6, 2.7, 2.8]
    assert records.get(p.DISTANCE).tolist() == [4000 / 16, 4090 / 16, 4100 / 16, 4200 / 16]
