"""Check-in at the venue: the session's code, typed or scanned as a QR deep link, marks presence."""

from __future__ import annotations

from flows.actions import SendMessage
from flows.engine import IDLE, ConversationState, Router, Step, StepResult, Turn
from flows.events import Command, Event, Text
from flows.ports import Presence

WAITING = ConversationState("checkin", Step("code"))
LINK_PREFIX = "checkin"
"""Deep links look like `https://t.me/<bot>?start=checkin-K7P3QX`."""


def _say(turn: Turn[Event], text: str, state: ConversationState = IDLE) -> StepResult:
    return StepResult((SendMessage(turn.participant.chat_id, text),), state)


async def check_in(turn: Turn[Event], code: str) -> StepResult:
    tr, assembly, clock = turn.tr, turn.ctx.assembly, turn.ctx.clock
    store = turn.ctx.store.sessions
    if not await store.is_confirmed(turn.participant.id):
        text = tr.gettext(
            "Check-in is for confirmed participants of the assembly. "
            "If you think this is a mistake, please contact the organisers: {contact}"
        ).format(contact=assembly.organiser_contact)
        return _say(turn, text)
    session_id = await store.session_for_code(code)
    if session_id is None:
        text = tr.gettext(
            "This code is not valid. Please check the code shown in the room and type it again, "
            "or type /cancel."
        )
        return _say(turn, text, WAITING)
    session = assembly.session(session_id)
    if session is None or session.cancelled:
        return _say(turn, tr.gettext("This code belongs to a session that was cancelled."))
    title = assembly.text(session.title, tr.language)
    starts, ends, now = assembly.start_of(session), assembly.end_of(session), clock.now()
    if now < starts - assembly.checkin.opens_before:
        opens = starts - assembly.checkin.opens_before
        text = tr.gettext("Check-in for {title} opens on {date} at {time}.").format(
            title=title, date=tr.date(opens, "full"), time=tr.time(opens)
        )
        return _say(turn, text)
    if now > ends:
        text = tr.gettext("This code has expired: {title} ended on {date}.").format(
            title=title, date=tr.date(ends, "full")
        )
        return _say(turn, text)
    late = now > starts + assembly.checkin.late_after
    if not await store.check_in(turn.participant.id, session_id, Presence(now, late, "code")):
        earlier = (await store.presences(turn.participant.id))[session_id]
        text = tr.gettext("You were already checked in for {title} at {time}.").format(
            title=title, time=tr.time(earlier.at)
        )
        return _say(turn, text)
    text = tr.gettext("Welcome! You are checked in for {title}.").format(title=title)
    if late:
        noted = tr.gettext("We have noted that you arrived at {time}.").format(time=tr.time(now))
        text = f"{text} {noted}"
    return _say(turn, text)


async def checkin_command(turn: Turn[Command]) -> StepResult:
    """/checkin CODE, or /checkin alone to be asked for the code."""
    if turn.event.argument:
        return await check_in(turn, turn.event.argument)
    return _say(turn, turn.tr.gettext("Please type the check-in code shown in the room."), WAITING)


async def checkin_link(turn: Turn[Command]) -> StepResult:
    """/start checkin-CODE, from the QR code shown in the room."""
    return await check_in(turn, turn.event.argument.partition("-")[2])


async def code_flow(turn: Turn[Event]) -> StepResult | None:
    if not isinstance(turn.event, Text):
        return None
    return await check_in(turn, turn.event.text)


def install(router: Router) -> None:
    router.commands["checkin"] = checkin_command
    router.start_links[LINK_PREFIX] = checkin_link
    router.flows["checkin"] = code_flow
