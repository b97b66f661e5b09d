"""Confirmed participants get every session as an .ics file in their language and the assembly's
timezone; the venue's coordinates go with it."""

from __future__ import annotations

from conftest import FlowHarness, add_confirmed, mirror_sessions
from icalendar import Calendar

from flows.actions import SendDocument, SendMessage, SendVenue
from flows.events import Command


async def test_calendar_file_holds_every_session_in_the_participants_language(flow: FlowHarness) -> None:
    assembly = flow.kit.assembly
    await mirror_sessions(flow.db, assembly, flow.clock.now())
    stranger = flow.sender(950, "ar")
    (refused,) = await flow.send(Command(stranger, "calendar"))
    assert isinstance(refused, SendMessage)
    assert refused.text == "ستظهر جلساتك هنا بمجرد تأكيد مشاركتك."

    await add_confirmed(flow.db, assembly, 951, "ar")
    (sent,) = await flow.send(Command(flow.sender(951, "ar"), "calendar"))
    assert isinstance(sent, SendDocument)
    assert sent.filename == "sessions.ics"
    calendar = Calendar.from_ical(sent.data)
    assert str(calendar["x-wr-calname"]) == "جمعية مواطني بروكسل حول المناخ"
    assert [str(z["tzid"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]
    events = calendar.walk("VEVENT")
    assert len(events) == len(assembly.sessions)
    first, session = events[0], assembly.sessions[0]
    assert str(first["summary"]) == assembly.text(session.title, "ar")
    assert str(first["location"]) == assembly.text(session.place, "ar")
    starts = first.decoded("dtstart")
    assert (starts.replace(tzinfo=None), str(starts.tzinfo)) == (session.starts, "Europe/Brussels")
    assert first["dtstart"].params["TZID"] == "Europe/Brussels"
    assert (first["geo"].latitude, first["geo"].longitude) == (session.latitude, session.longitude)
    assert len({str(e["uid"]) for e in events}) == len(events), "a stable, distinct id per session"
    online = next(e for e, s in zip(events, assembly.sessions, strict=True) if s.online_link)
    assert "https://" in str(online["description"])


async def test_sessions_overview_offers_the_calendar(flow: FlowHarness) -> None:
    await mirror_sessions(flow.db, flow.kit.assembly, flow.clock.now())
    await add_confirmed(flow.db, flow.kit.assembly, 952, "de")
    (overview,) = await flow.send(Command(flow.sender(952, "de"), "sessions"))
    assert isinstance(overview, SendMessage)
    assert overview.buttons[-1][0].text == "📅 Die Sitzungen in meinen Kalender eintragen"
    (sent,) = [
        a
        for a in await flow.send(flow.press(flow.sender(952, "de"), "cal:ics"))
        if isinstance(a, SendDocument)
    ]
    assert sent.data.startswith(b"BEGIN:VCALENDAR")


async def test_the_venue_comes_as_a_map_pin_where_the_definition_gives_coordinates(flow: FlowHarness) -> None:
    assembly = flow.kit.assembly
    await mirror_sessions(flow.db, assembly, flow.clock.now())
    await add_confirmed(flow.db, assembly, 953, "nl")
    person = flow.sender(953, "nl")
    (overview,) = await flow.send(Command(person, "sessions"))
    assert isinstance(overview, SendMessage)
    with_pins = [row[-1].data for row in overview.buttons if row[-1].text.startswith("📍")]
    located = [s.id for s in assembly.sessions if s.latitude is not None]
    assert with_pins == [f"cal:map:{key}" for key in located]
    pins = [a for a in await flow.send(flow.press(person, with_pins[0])) if isinstance(a, SendVenue)]
    first = assembly.session(located[0])
    assert first is not None
    assert pins == [
        SendVenue(
            person.chat_id,
            first.latitude or 0,
            first.longitude or 0,
            assembly.text(first.title, "nl"),
            assembly.text(first.place, "nl"),
        )
    ]
