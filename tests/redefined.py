"""FIT activity files that define their messages again before (nearly) every data message,
as Suunto's Ambit 3 does (14,217 definitions for 14,768 data messages), and the same run
defined once: tests/test_fit_redefinitions.py reads them, bench/bench_decoder.py times
the decoder on them."""

from __future__ import annotations

import random
import struct
from typing import NamedTuple

from fitdata import data, definition, fit_file
from loadguard_fit import profile as p

# base types: size, struct code and invalid value
ENUM, UINT8, UINT16, SINT32, UINT32, SINT64, BYTE = 0x00, 0x02, 0x84, 0x85, 0x86, 0x8E, 0x0D
BASE = {
    ENUM: (1, "B", 0xFF),
    UINT8: (1, "B", 0xFF),
    UINT16: (2, "H", 0xFFFF),
    SINT32: (4, "i", 0x7FFFFFFF),
    UINT32: (4, "I", 0xFFFFFFFF),
}
START = 1_100_000_000  # FIT seconds: 2024-11-09
MESSAGES = {"session": p.SESSION, "record": p.RECORD, "activity": p.ACTIVITY}
Sample = dict[int, int | None]  # field number -> raw value (None: invalid)


class Layout(NamedTuple):
    """How a message is written: (field number, base type) in order, and byte order."""

    fields: tuple[tuple[int, int], ...]
    big: bool = False


PLAIN = Layout(
    (
        (p.TIMESTAMP, UINT32),
        (p.POSITION_LAT, SINT32),
        (p.POSITION_LONG, SINT32),
        (p.DISTANCE, UINT32),
        (p.SPEED, UINT16),
        (p.HEART_RATE, UINT8),
        (p.CADENCE, UINT8),
        (p.FRACTIONAL_CADENCE, UINT8),
        (p.ENHANCED_SPEED, UINT32),
    )
)
# The same fields in another order, the heart rate widened to 16 bits.
REORDERED = Layout(
    ((p.HEART_RATE, UINT16), *(f for f in PLAIN.fields[::-1] if f[0] != p.HEART_RATE))
)
BIG_ENDIAN = Layout(PLAIN.fields, big=True)
FILE_ID = Layout(((0, ENUM), (1, UINT16), (2, UINT16), (4, UINT32)))
EVENT = Layout(((p.TIMESTAMP, UINT32), (0, ENUM), (1, ENUM)))
SESSION = Layout(
    (
        (p.TIMESTAMP, UINT32),
        (p.START_TIME, UINT32),
        (p.SPORT, ENUM),
        (p.SUB_SPORT, ENUM),
        (p.TOTAL_ELAPSED_TIME, UINT32),
        (p.TOTAL_TIMER_TIME, UINT32),
        (p.TOTAL_DISTANCE, UINT32),
        (p.AVG_HEART_RATE, UINT8),
    )
)
ACTIVITY = Layout(((p.TIMESTAMP, UINT32), (p.LOCAL_TIMESTAMP, UINT32)))


def run_samples(seconds: int, seed: int = 20) -> list[Sample]:
    """A run at 1 s recording: position, distance, speed, heart rate and cadence, with
    a minute of GPS dropout and half a minute without a pulse."""
    rng = random.Random(seed)
    lat, lon, distance = 718_000_000, 298_000_000, 0  # semicircles (Helsinki), cm
    samples: list[Sample] = []
    for i in range(seconds):
        speed = 2800 + rng.randrange(-400, 400)  # mm/s
        distance += speed // 10
        lat, lon = lat + rng.randrange(0, 600), lon + rng.randrange(-300, 300)
        fix = not seconds // 5 <= i < seconds // 5 + 60
        pulse = not seconds // 2 <= i < seconds // 2 + 30
        cadence_128 = rng.randrange(80 * 128, 92 * 128)
        samples.append(
            {
                p.TIMESTAMP: START + i,
                p.POSITION_LAT: lat if fix else None,
                p.POSITION_LONG: lon if fix else None,
                p.DISTANCE: distance,
                p.SPEED: speed,
                p.HEART_RATE: 140 + rng.randrange(20) if pulse else None,
                p.CADENCE: cadence_128 // 128,
                p.FRACTIONAL_CADENCE: cadence_128 % 128,
                p.ENHANCED_SPEED: speed,
            }
        )
    return samples


def activity_file(
    samples: list[Sample],
    shape: str = "every",
    changes: dict[int, Layout] | None = None,
    seed: int = 3,
) -> bytes:
    """A FIT activity file of ``samples``: file_id, a start event, the records, a stop
    event, the session and the activity.

    ``shape`` says when the record's definition is written again: ``once`` (only when
    the layout changes), ``every`` (before every record) or ``suunto`` (before most
    records, on local types 0 and 1 in turn, with events defined in between).
    ``changes`` switches the record layout from a record on (sample index -> layout).
    """
    rng = random.Random(seed)
    out = bytearray()
    in_force: dict[int, bytes] = {}

    def put(local: int, mesg: int, layout: Layout, values: Sample, again: bool = False) -> None:
        spec = [(num, BASE[base][0], base) for num, base in layout.fields]
        defined = definition(local, mesg, spec, big=layout.big)
        if again or in_force.get(local) != defined:
            out.extend(defined)
            in_force[local] = defined
        codes = "".join(BASE[base][1] for _, base in layout.fields)
        raw = [values.get(num) for num, _ in layout.fields]
        body = [
            BASE[base][2] if value is None else value
            for value, (_, base) in zip(raw, layout.fields, strict=True)
        ]
        out.extend(data(local, struct.pack((">" if layout.big else "<") + codes, *body)))

    end = START + len(samples)
    put(0, p.FILE_ID, FILE_ID, {0: p.ACTIVITY_FILE, 1: 23, 2: 1, 4: START})
    put(1, p.EVENT, EVENT, {p.TIMESTAMP: START, 0: 0, 1: 0})
    layout, local = PLAIN, 0
    for i, sample in enumerate(samples):
        layout = (changes or {}).get(i, layout)
        again = shape == "every"
        if shape == "suunto":
            local ^= rng.random() < 0.2
            if rng.random() < 0.03:
                put(local, p.EVENT, EVENT, {p.TIMESTAMP: sample[p.TIMESTAMP], 0: 0, 1: 3})
            again = rng.random() < 0.95
        put(local, p.RECORD, layout, sample, again)
    put(1, p.EVENT, EVENT, {p.TIMESTAMP: end, 0: 0, 1: 4})
    pulses = [s[p.HEART_RATE] or 0 for s in samples if s[p.HEART_RATE] is not None]
    summary: Sample = {p.TIMESTAMP: end, p.START_TIME: START, p.SPORT: 1, p.SUB_SPORT: 0}
    summary[p.TOTAL_ELAPSED_TIME] = summary[p.TOTAL_TIMER_TIME] = len(samples) * 1000
    summary[p.TOTAL_DISTANCE] = samples[-1][p.DISTANCE]
    summary[p.AVG_HEART_RATE] = round(sum(pulses) / len(pulses))
    put(0, p.SESSION, SESSION, summary)
    put(0, p.ACTIVITY, ACTIVITY, {p.TIMESTAMP: end, p.LOCAL_TIMESTAMP: end + 7200})
    return fit_file(bytes(out))
