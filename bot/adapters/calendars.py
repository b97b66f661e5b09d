"""Calendar files with the `icalendar` package: one VEVENT per session, each time with its VTIMEZONE,
so Outlook, Google Calendar and Apple Calendar show the sessions at the right local time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flows.ports import CalendarEvent

PRODUCT = "-//assembly-bot//sessions//EN"


class IcsCalendars:
    """Implements `flows.ports.Calendars`."""

    def ics(self, name: str, events: Sequence[CalendarEvent], now: dt.datetime) -> bytes:
        from icalendar import Calendar, Event, vGeo  # noqa: PLC0415 (only a calendar file needs it)

        calendar = Calendar()
        calendar.add("prodid", PRODUCT)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", name)
        for item in events:
            event = Event()
            event.add("uid", item.uid)
            event.add("dtstamp", now.astimezone(dt.UTC))
            event.add("summary", item.title)
            event.add("location", item.place)
            event.add("dtstart", item.starts)
            event.add("dtend", item.ends)
            event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
            if item.description:
                event.add("description", item.description)
            if item.latitude is not None and item.longitude is not None:
                event.add("geo", vGeo((item.latitude, item.longitude)))
            calendar.add_component(event)
        calendar.add_missing_timezones()
        return bytes(calendar.to_ical())
