"""The planned sessions as an iCalendar feed (RFC 5545, written by the icalendar library):
one all-day event a session, "Run/walk 2:1, 25 min, gravel or trail", its steps in the
description. Each event's UID is the athlete and the day, so a phone calendar that
fetches the feed again replaces a session the stage has changed instead of adding one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from loadguard.app.workouts import Planned, describe
from loadguard.contract import Athlete
from loadguard.i18n import say


def feed(athlete: Athlete, plans: list[Planned], language: str, now: datetime) -> bytes:
    """The calendar of these sessions; ``now`` stamps it (DTSTAMP)."""
    cal = Calendar()
    cal.add("prodid", "-//loadguard//planned sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", say(language, "workouts.calendar_name", athlete=athlete.name))
    cal.add("x-wr-timezone", athlete.timezone)
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    for planned in plans:
        event = Event()
        day = planned.workout.day
        event.add("uid", f"{athlete.id}-{day.isoformat()}@loadguard")
        event.add("dtstamp", now)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", planned.workout.title)
        event.add("description", "\n".join(describe(planned, language)))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return bytes(cal.to_ical())
