"""The post-session evaluation: a few 1-5 ratings, then one optional comment; skipping is fine.

Buttons are `fb:<session>:<question index>:<1-5>` and `fb:<session>:skip`; each rating edits the
same message into the next question, so the whole evaluation is one message.
"""

from __future__ import annotations

from flows.actions import Action, AnswerButton, Button, EditMessage, Keyboard, SendMessage, rows
from flows.assembly import Assembly, Session
from flows.engine import IDLE, ConversationState, Router, StepResult, Turn
from flows.events import ButtonPress, Text
from flows.ports import Translator

PREFIX = "fb"
COMMENT_LIMIT = 2000


def _question(tr: Translator, assembly: Assembly, session: Session, index: int) -> tuple[str, Keyboard]:
    rating = assembly.feedback.ratings[index]
    text = "\n".join(
        (
            assembly.text(rating.text, tr.language),
            tr.gettext("1 = not at all, 5 = very much"),
        )
    )
    scores = [Button(tr.number(v), f"{PREFIX}:{session.id}:{index}:{v}") for v in range(1, 6)]
    skip = Button(tr.gettext("Skip"), f"{PREFIX}:{session.id}:skip")
    return text, (*rows(*scores, width=5), (skip,))


def invitation(tr: Translator, assembly: Assembly, session: Session, chat_id: int) -> SendMessage | None:
    """The message a checked-in participant gets when the session ends; None when nothing is asked."""
    title = assembly.text(session.title, tr.language)
    intro = tr.gettext("Thank you for taking part in {title}! How did it go for you?").format(title=title)
    if assembly.feedback.ratings:
        text, buttons = _question(tr, assembly, session, 0)
        return SendMessage(chat_id, f"{intro}\n\n{text}", buttons=buttons)
    if assembly.feedback.comment is not None:
        return _comment_prompt(tr, assembly, session, chat_id, intro)
    return None


def _comment_prompt(
    tr: Translator, assembly: Assembly, session: Session, chat_id: int, intro: str = ""
) -> SendMessage:
    assert assembly.feedback.comment is not None
    prompt = assembly.text(assembly.feedback.comment, tr.language)
    hint = tr.gettext("Write it in one message, in any language, or press Skip.")
    skip = rows(Button(tr.gettext("Skip"), f"{PREFIX}:{session.id}:skip"))
    text = "\n\n".join(part for part in (intro, prompt, hint) if part)
    return SendMessage(chat_id, text, buttons=skip)


def _comment_state(session: Session) -> ConversationState:
    return ConversationState("feedback", "comment", {"session": session.id})


async def rate(turn: Turn) -> StepResult:
    event, tr, ctx = turn.event, turn.tr, turn.ctx
    assert isinstance(event, ButtonPress)
    parts = event.data.split(":")
    session = ctx.assembly.session(parts[1]) if len(parts) > 1 else None
    stale = StepResult(
        (AnswerButton(event.query_id, tr.gettext("This button is no longer valid.")),), turn.state
    )
    if session is None or session.id not in await ctx.store.sessions.presences(turn.participant.id):
        return stale
    chat = turn.participant.chat_id
    if parts[2:] == ["skip"]:
        done = tr.gettext("All right. Thank you for taking part!")
        actions: list[Action] = [AnswerButton(event.query_id)]
        if event.message_id is not None:
            actions.append(EditMessage(chat, event.message_id, done))
        return StepResult(tuple(actions), IDLE)
    ratings = ctx.assembly.feedback.ratings
    if len(parts) != 4 or not parts[2].isdigit() or parts[3] not in ("1", "2", "3", "4", "5"):
        return stale
    index = int(parts[2])
    if index >= len(ratings):
        return stale
    await ctx.store.feedback.rate(session.id, turn.participant.id, ratings[index].id, int(parts[3]))
    ack = AnswerButton(event.query_id, tr.gettext("Thank you!"))
    if index + 1 < len(ratings):
        text, buttons = _question(tr, ctx.assembly, session, index + 1)
        if event.message_id is None:
            return StepResult((ack, SendMessage(chat, text, buttons=buttons)), turn.state)
        return StepResult((ack, EditMessage(chat, event.message_id, text, buttons)), turn.state)
    if ctx.assembly.feedback.comment is None:
        return StepResult((ack, SendMessage(chat, tr.gettext("Thank you for your feedback!"))), IDLE)
    return StepResult((ack, _comment_prompt(tr, ctx.assembly, session, chat)), _comment_state(session))


async def comment(turn: Turn) -> StepResult | None:
    """The free-text comment, stored with the language it is written in (None when too short to tell)."""
    event, tr, ctx = turn.event, turn.tr, turn.ctx
    if not isinstance(event, Text):
        return None
    chat = turn.participant.chat_id
    text = event.text.strip()
    if len(text) > COMMENT_LIMIT:
        limit = tr.gettext("That is a bit long: please keep it under {limit} characters.").format(
            limit=tr.number(COMMENT_LIMIT)
        )
        return StepResult((SendMessage(chat, limit),), turn.state)
    session = str(turn.state.data.get("session", ""))
    if ctx.assembly.session(session) is None or not text:
        return StepResult((), IDLE)
    await ctx.store.feedback.comment(session, turn.participant.id, text, ctx.detector.detect(text))
    return StepResult((SendMessage(chat, tr.gettext("Thank you for your feedback!")),), IDLE)


def install(router: Router) -> None:
    router.buttons[PREFIX] = rate
    router.flows["feedback"] = comment
