"""RSVP: the coming / can't come buttons with an optional reason, and /sessions to see and change answers."""

from __future__ import annotations

from flows.actions import AnswerButton, Button, rows
from flows.assembly import Session
from flows.basics import stale_button
from flows.engine import IDLE, ConversationState, Router, Step, StepResult, Turn, reply
from flows.events import ButtonPress, Command, Event, Text
from flows.sessions.calendar import calendar_button, venue_button
from flows.sessions.notices import ABSENT, COMING, RsvpButton, details

REASON_LIMIT = 1000


def _open_session(turn: Turn[Event], session_id: str) -> Session | None:
    """The session if answers about it still make sense: known, not cancelled, not over."""
    assembly = turn.ctx.assembly
    session = assembly.session(session_id)
    if session is None or session.cancelled or assembly.end_of(session) <= turn.ctx.clock.now():
        return None
    return session


async def answer(turn: Turn[ButtonPress], button: RsvpButton) -> StepResult:
    """The "coming" / "can't come" / "skip the reason" buttons of reminders and /sessions."""
    event, tr, session_id, choice = turn.event, turn.tr, button.session, button.choice
    store = turn.ctx.store.sessions
    if choice not in ("yes", "no", "skip") or not await store.is_confirmed(turn.participant.id):
        return await stale_button(turn)
    session = _open_session(turn, session_id)
    if session is None:
        closed = tr.gettext("This session is no longer open for answers.")
        return StepResult((AnswerButton(event.query_id, closed),), turn.state)
    title = turn.ctx.assembly.text(session.title, tr.language)
    ack = AnswerButton(event.query_id)
    waiting_reason = turn.state.flow == "rsvp"
    if choice == "skip":
        if not waiting_reason:
            return StepResult((ack,), turn.state)
        return reply(turn, tr.gettext("All right, nothing more is needed."), ack, state=IDLE)
    now = turn.ctx.clock.now()
    if choice == "yes":
        await store.set_rsvp(turn.participant.id, session_id, COMING, now)
        text = tr.gettext("Thank you! We have noted that you are coming to {title}.").format(title=title)
        return reply(turn, text, ack, state=IDLE if waiting_reason else turn.state)
    await store.set_rsvp(turn.participant.id, session_id, ABSENT, now)
    text = "\n\n".join(
        (
            tr.gettext("Thank you for letting us know that you cannot come to {title}.").format(title=title),
            tr.gettext("If you like, tell us why in one message (optional): it helps us plan."),
        )
    )
    skip = rows(Button(tr.gettext("Skip"), RsvpButton(session_id, "skip").pack()))
    waiting = ConversationState("rsvp", Step("reason"), {"session": session_id})
    return reply(turn, text, ack, buttons=skip, state=waiting)


async def reason_flow(turn: Turn[Event]) -> StepResult | None:
    """The optional reason after "can't come"; anything but text falls through to the other handlers."""
    event, tr = turn.event, turn.tr
    if not isinstance(event, Text):
        return None
    reason = event.text.strip()
    if not reason:
        return reply(turn, tr.gettext("Please write your reason as text in one message, or press Skip."))
    if len(reason) > REASON_LIMIT:
        text = tr.gettext("That is a bit long: please keep it under {limit} characters.").format(
            limit=tr.number(REASON_LIMIT)
        )
        return reply(turn, text)
    await turn.ctx.store.sessions.set_rsvp_reason(
        turn.participant.id, str(turn.state.data.get("session", "")), reason
    )
    return reply(turn, tr.gettext("Thank you, we have noted your reason."), state=IDLE)


async def my_sessions(turn: Turn[Command]) -> StepResult:
    """/sessions: the participant's upcoming sessions, their answers, and buttons to answer."""
    tr, assembly = turn.tr, turn.ctx.assembly
    store = turn.ctx.store.sessions
    if not await store.is_confirmed(turn.participant.id):
        text = tr.gettext("Your sessions will appear here once your participation is confirmed.")
        return reply(turn, text)
    now = turn.ctx.clock.now()
    upcoming = [s for s in assembly.sessions if not s.cancelled and assembly.end_of(s) > now]
    if not upcoming:
        return reply(turn, tr.gettext("There are no upcoming sessions."))
    answers, presences = await store.rsvps(turn.participant.id), await store.presences(turn.participant.id)
    labels = {
        COMING: tr.gettext("Your answer: coming"),
        ABSENT: tr.gettext("Your answer: can't come"),
    }
    blocks = [tr.gettext("Your upcoming sessions:")]
    buttons: list[tuple[Button, ...]] = []
    for number, session in enumerate(upcoming, start=1):
        title = assembly.text(session.title, tr.language)
        status = labels.get(answers[session.id].answer) if session.id in answers else None
        if session.id in presences:
            status = tr.gettext("You are checked in.")
        lines = [f"{tr.number(number)}. {title}", *details(tr, assembly, session)]
        lines.append(status or tr.gettext("You have not answered yet."))
        blocks.append("\n".join(lines))
        row = [
            Button(f"✅ {tr.number(number)}", RsvpButton(session.id, "yes").pack()),
            Button(f"❌ {tr.number(number)}", RsvpButton(session.id, "no").pack()),
        ]
        pin = venue_button(tr, session, number)
        buttons.append((*row, pin) if pin is not None else tuple(row))
    blocks.append(
        tr.gettext("Answer with the buttons: ✅ coming, ❌ can't come; 📍 shows the place on a map.")
    )
    buttons.append((calendar_button(tr),))
    return reply(turn, "\n\n".join(blocks), buttons=tuple(buttons))


def install(router: Router) -> None:
    router.commands["sessions"] = my_sessions
    router.button(RsvpButton, answer)
    router.flows["rsvp"] = reason_flow
