"""Sessions for participants: reminders and schedule notices, RSVP answers with a reason, /sessions."""

from __future__ import annotations

from datetime import datetime

from flows.actions import Action, AnswerButton, Button, Keyboard, SendMessage, rows
from flows.assembly import Assembly, Session
from flows.basics import stale_button
from flows.engine import IDLE, ConversationState, Router, StepResult, Turn
from flows.events import ButtonPress, Text
from flows.ports import Translator

COMING, ABSENT = "coming", "absent"
REASON_LIMIT = 1000


def when(tr: Translator, starts: datetime, ends: datetime) -> str:
    """ "samedi 6 mars 2027, de 09:30 à 16:30", in the assembly's timezone."""
    return tr.gettext("{date}, from {start} to {end}").format(
        date=tr.date(starts, "full"), start=tr.time(starts), end=tr.time(ends)
    )


def _details(tr: Translator, assembly: Assembly, session: Session) -> list[str]:
    lines = [
        when(tr, assembly.start_of(session), assembly.end_of(session)),
        "📍 " + assembly.text(session.place, tr.language),
    ]
    if session.online_link:
        lines.append(tr.gettext("Online: {link}").format(link=session.online_link))
    return lines


def rsvp_buttons(tr: Translator, session_id: str) -> Keyboard:
    return rows(
        Button(tr.gettext("✅ I'm coming"), f"rsvp:{session_id}:yes"),
        Button(tr.gettext("❌ I can't come"), f"rsvp:{session_id}:no"),
    )


def _asking(tr: Translator, assembly: Assembly, session: Session, chat_id: int, headline: str) -> SendMessage:
    """A headline, the session's details, and the coming / can't come question."""
    lines = [
        headline,
        *_details(tr, assembly, session),
        "",
        tr.gettext("Will you come? Please answer with the buttons below."),
    ]
    return SendMessage(chat_id, "\n".join(lines), buttons=rsvp_buttons(tr, session.id))


def reminder(tr: Translator, assembly: Assembly, session: Session, chat_id: int) -> SendMessage:
    """The reminder a participant receives at each offset before a session."""
    title = assembly.text(session.title, tr.language)
    return _asking(
        tr, assembly, session, chat_id, "🔔 " + tr.gettext("Reminder: {title}").format(title=title)
    )


def moved_notice(tr: Translator, assembly: Assembly, session: Session, chat_id: int) -> SendMessage:
    """Told to confirmed participants when the definition changes a session's times."""
    title = assembly.text(session.title, tr.language)
    headline = tr.gettext("Change of schedule for {title}. The new time is:").format(title=title)
    return _asking(tr, assembly, session, chat_id, "📅 " + headline)


def cancelled_notice(tr: Translator, title: str, starts: datetime, chat_id: int) -> SendMessage:
    """Told to confirmed participants when a session is cancelled (or removed from the definition)."""
    text = tr.gettext("{title}, planned for {date}, is cancelled. We will keep you informed.").format(
        title=title, date=tr.date(starts, "full")
    )
    return SendMessage(chat_id, "❌ " + text)


def _reply(
    turn: Turn, text: str, *first: Action, buttons: Keyboard = (), state: ConversationState | None = None
) -> StepResult:
    message = SendMessage(turn.participant.chat_id, text, buttons=buttons)
    return StepResult((*first, message), turn.state if state is None else state)


def _open_session(turn: Turn, session_id: str) -> Session | None:
    """The session if answers about it still make sense: known, not cancelled, not over."""
    assembly = turn.ctx.assembly
    session = assembly.session(session_id)
    if session is None or session.cancelled or assembly.end_of(session) <= turn.ctx.clock.now():
        return None
    return session


async def answer(turn: Turn) -> StepResult:
    """The "coming" / "can't come" / "skip the reason" buttons of reminders and /sessions."""
    event, tr = turn.event, turn.tr
    assert isinstance(event, ButtonPress)
    _, session_id, choice = [*event.data.split(":"), "", ""][:3]
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
        return _reply(turn, tr.gettext("All right, nothing more is needed."), ack, state=IDLE)
    now = turn.ctx.clock.now()
    if choice == "yes":
        await store.set_rsvp(turn.participant.id, session_id, COMING, now)
        text = tr.gettext("Thank you! We have noted that you are coming to {title}.").format(title=title)
        return _reply(turn, text, ack, state=IDLE if waiting_reason else turn.state)
    await store.set_rsvp(turn.participant.id, session_id, ABSENT, now)
    text = "\n\n".join(
        (
            tr.gettext("Thank you for letting us know that you cannot come to {title}.").format(title=title),
            tr.gettext("If you like, tell us why in one message (optional): it helps us plan."),
        )
    )
    skip = rows(Button(tr.gettext("Skip"), f"rsvp:{session_id}:skip"))
    waiting = ConversationState("rsvp", "reason", {"session": session_id})
    return _reply(turn, text, ack, buttons=skip, state=waiting)


async def reason_flow(turn: Turn) -> StepResult | None:
    """The optional reason after "can't come"; anything but text falls through to the other handlers."""
    event, tr = turn.event, turn.tr
    if not isinstance(event, Text):
        return None
    if len(event.text) > REASON_LIMIT:
        text = tr.gettext("That is a bit long: please keep it under {limit} characters.").format(
            limit=tr.number(REASON_LIMIT)
        )
        return _reply(turn, text)
    await turn.ctx.store.sessions.set_rsvp_reason(
        turn.participant.id, str(turn.state.data.get("session", "")), event.text.strip()
    )
    return _reply(turn, tr.gettext("Thank you, we have noted your reason."), state=IDLE)


async def my_sessions(turn: Turn) -> StepResult:
    """/sessions: the participant's upcoming sessions, their answers, and buttons to answer."""
    tr, assembly = turn.tr, turn.ctx.assembly
    store = turn.ctx.store.sessions
    if not await store.is_confirmed(turn.participant.id):
        text = tr.gettext("Your sessions will appear here once your participation is confirmed.")
        return _reply(turn, text)
    now = turn.ctx.clock.now()
    upcoming = [s for s in assembly.sessions if not s.cancelled and assembly.end_of(s) > now]
    if not upcoming:
        return _reply(turn, tr.gettext("There are no upcoming sessions."))
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
        lines = [f"{tr.number(number)}. {title}", *_details(tr, assembly, session)]
        lines.append(status or tr.gettext("You have not answered yet."))
        blocks.append("\n".join(lines))
        buttons.append(
            (
                Button(f"✅ {tr.number(number)}", f"rsvp:{session.id}:yes"),
                Button(f"❌ {tr.number(number)}", f"rsvp:{session.id}:no"),
            )
        )
    blocks.append(tr.gettext("Answer with the buttons: ✅ coming, ❌ can't come."))
    return _reply(turn, "\n\n".join(blocks), buttons=tuple(buttons))


def install(router: Router) -> None:
    router.commands["sessions"] = my_sessions
    router.buttons["rsvp"] = answer
    router.flows["rsvp"] = reason_flow
