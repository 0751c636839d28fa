"""The one-event calendar file behind the workshop and mentoring downloads, read back with the
icalendar library as a calendar application would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar

from courses.schools import CHILE
from lti_tool.services.calendar import single_event_calendar

# Chile's clocks went back on 5 April 2026: this start is in winter time (UTC-4), its VTIMEZONE
# must also describe the summer time (UTC-3) of the weeks before.
START = datetime(2026, 4, 6, 22, 30, tzinfo=UTC)
MEETING = "https://meet.example.org/taller?pwd=a,b;c"
UPDATED = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
# A workshop session with every field the helper takes.
WORKSHOP: dict[str, Any] = {
    "product": "Workshops",
    "uid": "senda-workshop-7@senda.example.org",
    "start": START,
    "end": START + timedelta(minutes=90),
    "summary": "Taller: Cómo ponerle precio a tu trabajo",
    "description": "Trae papel y lápiz.\n" + MEETING,
    "url": MEETING,
    "location": MEETING,
    "last_modified": UPDATED,
}


def read(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def test_one_event_in_chile_time_with_every_field() -> None:
    body = single_event_calendar(**WORKSHOP)
    text = body.decode()
    # Local wall-clock time with its zone, not UTC: 22:30 UTC is 18:30 in Chile's winter.
    assert "DTSTART;TZID=America/Santiago:20260406T183000" in text
    assert "DTEND;TZID=America/Santiago:20260406T200000" in text
    assert "LOCATION:https://meet.example.org/taller?pwd=a\\,b\\;c" in text  # TEXT is escaped

    calendar = read(body)
    assert str(calendar["prodid"]) == "-//Senda//Workshops//ES"
    assert str(calendar["version"]) == "2.0" and str(calendar["method"]) == "PUBLISH"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "America/Santiago"
    assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == "senda-workshop-7@senda.example.org"
    assert event.decoded("dtstart") == START
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=-4)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=90)
    assert str(event["summary"]) == "Taller: Cómo ponerle precio a tu trabajo"
    assert str(event["url"]) == MEETING
    assert str(event["location"]) == MEETING  # unescaped again
    assert str(event["description"]) == "Trae papel y lápiz.\n" + MEETING
    assert event.decoded("last-modified") == UPDATED
    stamp = event.decoded("dtstamp")
    assert stamp.tzinfo is not None and abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


def test_a_place_without_a_link_and_the_optional_fields_left_out() -> None:
    start = datetime(2027, 1, 15, 18, 0, tzinfo=CHILE)  # summer time (UTC-3)
    kept = {k: v for k, v in WORKSHOP.items() if k not in ("url", "last_modified")}
    session = kept | {
        "product": "Mentoring",
        "start": start,
        "end": start + timedelta(hours=2),
        "summary": "Mentoría: Financiamiento",
        "location": "Sede Temuco, sala 2",
    }
    body = single_event_calendar(**session)
    assert "DTSTART;TZID=America/Santiago:20270115T180000" in body.decode()
    calendar = read(body)
    assert str(calendar["prodid"]) == "-//Senda//Mentoring//ES"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=-3)
    assert str(event["location"]) == "Sede Temuco, sala 2"
    assert str(event["summary"]) == "Mentoría: Financiamiento"
    assert "url" not in event and "last-modified" not in event
