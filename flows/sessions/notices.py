"""What participants are told about sessions: reminders and schedule changes, each asking for an RSVP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.actions import Button, Keyboard, SendMessage, rows
from flows.assembly import Assembly, Session
from flows.buttons import ButtonData
from flows.ports import Translator

COMING, ABSENT = "coming", "absent"
"""The stored RSVP answers: a later reminder depends on them."""


@dataclass(frozen=True)
class RsvpButton(ButtonData, prefix="rsvp"):
    """`rsvp:<session>:yes|no|skip`: coming, can't come, or no reason to give."""

    session: str
    choice: str


def when(tr: Translator, starts: datetime, ends: datetime) -> str:
    """ "samedi 6 mars 2027, de 09:30 à 16:30", in the assembly's timezone."""
    return tr.gettext("{date}, from {start} to {end}").format(
        date=tr.date(starts, "full"), start=tr.time(starts), end=tr.time(ends)
    )


def details(tr: Translator, assembly: Assembly, session: Session) -> list[str]:
    lines = [
        when(tr, assembly.start_of(session), assembly.end_of(session)),
        "📍 " + assembly.text(session.place, tr.language),
    ]
    if session.online_link:
        lines.append(tr.gettext("Online: {link}").format(link=session.online_link))
    return lines


def rsvp_buttons(tr: Translator, session_id: str) -> Keyboard:
    return rows(
        Button(tr.gettext("✅ I'm coming"), RsvpButton(session_id, "yes").pack()),
        Button(tr.gettext("❌ I can't come"), RsvpButton(session_id, "no").pack()),
    )


def _asking(tr: Translator, assembly: Assembly, session: Session, chat_id: int, headline: str) -> SendMessage:
    """A headline, the session's details, and the coming / can't come question."""
    lines = [
        headline,
        *details(tr, assembly, session),
        "",
        tr.gettext("Will you come? Please answer with the buttons below."),
    ]
    return SendMessage(chat_id, "\n".join(lines), buttons=rsvp_buttons(tr, session.id))


def reminder(
    tr: Translator, assembly: Assembly, session: Session, chat_id: int, answer: str | None = None
) -> SendMessage:
    """The reminder a participant receives at each offset before a session. Who said they are coming
    is not asked again, only offered a way to change their answer; who said they cannot come gets
    no reminder at all (the reminder job skips them)."""
    title = assembly.text(session.title, tr.language)
    headline = "🔔 " + tr.gettext("Reminder: {title}").format(title=title)
    if answer != COMING:
        return _asking(tr, assembly, session, chat_id, headline)
    lines = [
        headline,
        *details(tr, assembly, session),
        "",
        tr.gettext("See you there! If your plans change, please tell us with the button below."),
    ]
    change = rows(Button(tr.gettext("❌ I can't come after all"), RsvpButton(session.id, "no").pack()))
    return SendMessage(chat_id, "\n".join(lines), buttons=change)


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
