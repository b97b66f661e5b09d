"""The sessions in a participant's own calendar: `/calendar` (or the button under /sessions) sends an
.ics file with every session, in their language and the assembly's timezone; a session's venue with
coordinates comes as a map pin."""

from __future__ import annotations

from dataclasses import dataclass

from flows.actions import AnswerButton, Button, SendDocument, SendVenue
from flows.assembly import Assembly, Session
from flows.buttons import ButtonData
from flows.engine import Router, StepResult, Turn, reply
from flows.events import ButtonPress, Command, Event
from flows.ports import CalendarEvent, Translator

FILENAME = "sessions.ics"


@dataclass(frozen=True)
class CalendarButton(ButtonData, prefix="cal"):
    """`cal:ics` sends the calendar file, `cal:map:<session>` the session's venue as a map pin."""

    what: str
    session: str | None = None


def calendar_button(tr: Translator) -> Button:
    return Button(tr.gettext("📅 Add the sessions to my calendar"), CalendarButton("ics").pack())


def venue_button(tr: Translator, session: Session, number: int) -> Button | None:
    """A button for the session's venue on a map, when the definition gives its coordinates."""
    if session.latitude is None or session.longitude is None:
        return None
    return Button(f"📍 {tr.number(number)}", CalendarButton("map", session.id).pack())


def venue(tr: Translator, assembly: Assembly, session: Session, chat_id: int) -> SendVenue | None:
    if session.latitude is None or session.longitude is None:
        return None
    title = assembly.text(session.title, tr.language)
    place = assembly.text(session.place, tr.language)
    return SendVenue(chat_id, session.latitude, session.longitude, title, place)


def events(tr: Translator, assembly: Assembly) -> list[CalendarEvent]:
    """Every session, cancelled ones marked so (a calendar that imported them earlier drops them)."""
    found = []
    for session in assembly.sessions:
        description = (
            tr.gettext("Online: {link}").format(link=session.online_link) if session.online_link else ""
        )
        found.append(
            CalendarEvent(
                uid=f"{session.id}.{assembly.id}@assembly-bot",
                title=assembly.text(session.title, tr.language),
                place=assembly.text(session.place, tr.language),
                starts=assembly.start_of(session),
                ends=assembly.end_of(session),
                description=description,
                cancelled=session.cancelled,
                latitude=session.latitude,
                longitude=session.longitude,
            )
        )
    return found


async def send_calendar(turn: Turn[Event]) -> StepResult:
    tr, ctx = turn.tr, turn.ctx
    if not await ctx.store.sessions.is_confirmed(turn.participant.id):
        return reply(turn, tr.gettext("Your sessions will appear here once your participation is confirmed."))
    name = ctx.assembly.text(ctx.assembly.name, tr.language)
    data = ctx.calendars.ics(name, events(tr, ctx.assembly), ctx.clock.now())
    caption = tr.gettext(
        "Open this file to add every session to your calendar. If a session changes, I will tell you,"
        " and /calendar gives you the new file."
    )
    return StepResult((SendDocument(turn.participant.chat_id, data, FILENAME, caption),), turn.state)


async def calendar_command(turn: Turn[Command]) -> StepResult:
    return await send_calendar(turn)


async def on_button(turn: Turn[ButtonPress], button: CalendarButton) -> StepResult:
    ack = AnswerButton(turn.event.query_id)
    if button.what == "map":
        session = turn.ctx.assembly.session(button.session or "")
        pin = (
            None if session is None else venue(turn.tr, turn.ctx.assembly, session, turn.participant.chat_id)
        )
        if pin is None:
            return StepResult(
                (AnswerButton(turn.event.query_id, turn.tr.gettext("This button is no longer valid.")),),
                turn.state,
            )
        return StepResult((ack, pin), turn.state)
    result = await send_calendar(turn)
    return StepResult((ack, *result.actions), result.state)


def install(router: Router) -> None:
    router.commands["calendar"] = calendar_command
    router.button(CalendarButton, on_button)
