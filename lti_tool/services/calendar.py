"""A calendar file (.ics) with one event, as the workshop and mentoring pages offer it."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from courses.schools import CHILE
from lti_tool.models import utcnow

# The VTIMEZONE covers this much either side of the event, so a calendar shows the right hour
# across the daylight-saving changes near it.
_ZONE_SPAN = timedelta(days=200)


def single_event_calendar(
    *,
    product: str,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    url: str | None = None,
    location: str | None = None,
    last_modified: datetime | None = None,
    sequence: int | None = None,
) -> bytes:
    """One event in Chile's time zone, with its VTIMEZONE. `product` names the calendar's
    producer (-//Senda//<product>//ES); `start` and `end` are timezone-aware; `sequence`
    counts the event's changes (a calendar that has it takes a higher one as the newer)."""
    start = start.astimezone(CHILE)
    calendar = Calendar()
    calendar.add("prodid", f"-//Senda//{product}//ES")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", start)
    event.add("dtend", end.astimezone(CHILE))
    if last_modified is not None:
        event.add("last-modified", last_modified)
    if sequence is not None:
        event.add("sequence", sequence)
    event.add("summary", summary)
    if url:
        event.add("url", url)
    if location:
        event.add("location", location)
    event.add("description", description)
    calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=start.date() - _ZONE_SPAN, last_date=start.date() + _ZONE_SPAN
    )
    return calendar.to_ical()
