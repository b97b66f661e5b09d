"""The post-session evaluation: a few 1-5 ratings, then one optional comment; skipping is fine.

Each rating edits the same message into the next question, so the whole evaluation is one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flows.actions import Action, AnswerButton, Button, EditMessage, Keyboard, SendMessage, rows
from flows.assembly import Assembly, Session
from flows.basics import stale_button
from flows.buttons import ButtonData
from flows.engine import IDLE, ConversationState, Router, Step, StepResult, Turn
from flows.events import ButtonPress, Event, Text
from flows.ports import Translator

COMMENT_LIMIT = 2000


@dataclass(frozen=True)
class RatingButton(ButtonData, prefix="fb"):
    """`fb:<session>:<question index>:<1-5>`."""

    session: str
    question: int
    score: int


@dataclass(frozen=True)
class SkipButton(ButtonData, prefix="fb"):
    """`fb:<session>:skip`: no (more) ratings, no comment."""

    session: str
    skip: Literal["skip"] = "skip"


def _question(tr: Translator, assembly: Assembly, session: Session, index: int) -> tuple[str, Keyboard]:
    rating = assembly.feedback.ratings[index]
    text = "\n".join(
        (
            assembly.text(rating.text, tr.language),
            tr.gettext("1 = not at all, 5 = very much"),
        )
    )
    scores = [Button(tr.number(v), RatingButton(session.id, index, v).pack()) for v in range(1, 6)]
    skip = Button(tr.gettext("Skip"), SkipButton(session.id).pack())
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
    skip = rows(Button(tr.gettext("Skip"), SkipButton(session.id).pack()))
    text = "\n\n".join(part for part in (intro, prompt, hint) if part)
    return SendMessage(chat_id, text, buttons=skip)


def _comment_state(session: Session) -> ConversationState:
    return ConversationState("feedback", Step("comment"), {"session": session.id})


async def _evaluated(turn: Turn[ButtonPress], session_id: str) -> Session | None:
    """The session if the presser was there (only they are asked), else None."""
    session = turn.ctx.assembly.session(session_id)
    if session is None or session.id not in await turn.ctx.store.sessions.presences(turn.participant.id):
        return None
    return session


def _not_over(turn: Turn[ButtonPress], session: Session) -> StepResult | None:
    """A kind refusal while the session is still going (a rating is about all of it), else None."""
    if turn.ctx.assembly.end_of(session) <= turn.ctx.clock.now():
        return None
    notice = turn.tr.gettext("You can rate this session once it has ended. Thank you for your patience!")
    return StepResult((AnswerButton(turn.event.query_id, notice),), turn.state)


async def skip(turn: Turn[ButtonPress], button: SkipButton) -> StepResult:
    event = turn.event
    if await _evaluated(turn, button.session) is None:
        return await stale_button(turn)
    done = turn.tr.gettext("All right. Thank you for taking part!")
    actions: list[Action] = [AnswerButton(event.query_id)]
    if event.message_id is not None:
        actions.append(EditMessage(turn.participant.chat_id, event.message_id, done))
    return StepResult(tuple(actions), IDLE)


async def rate(turn: Turn[ButtonPress], button: RatingButton) -> StepResult:
    event, tr, ctx = turn.event, turn.tr, turn.ctx
    session = await _evaluated(turn, button.session)
    ratings, index = ctx.assembly.feedback.ratings, button.question
    if session is None or not 1 <= button.score <= 5 or index >= len(ratings):
        return await stale_button(turn)
    early = _not_over(turn, session)
    if early is not None:
        return early
    chat = turn.participant.chat_id
    await ctx.store.feedback.rate(session.id, turn.participant.id, ratings[index].id, button.score)
    ack = AnswerButton(event.query_id, tr.gettext("Thank you!"))
    if index + 1 < len(ratings):
        text, buttons = _question(tr, ctx.assembly, session, index + 1)
        if event.message_id is None:
            return StepResult((ack, SendMessage(chat, text, buttons=buttons)), turn.state)
        return StepResult((ack, EditMessage(chat, event.message_id, text, buttons)), turn.state)
    if ctx.assembly.feedback.comment is None:
        return StepResult((ack, SendMessage(chat, tr.gettext("Thank you for your feedback!"))), IDLE)
    return StepResult((ack, _comment_prompt(tr, ctx.assembly, session, chat)), _comment_state(session))


async def comment(turn: Turn[Event]) -> StepResult | None:
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
    # Kept even when the session has since left the definition: it took place, and the person wrote.
    session = str(turn.state.data.get("session", ""))
    if not text:
        again = tr.gettext("Please write your comment as text in one message, or press Skip.")
        return StepResult((SendMessage(chat, again),), turn.state)
    await ctx.store.feedback.comment(session, turn.participant.id, text, ctx.detector.detect(text))
    return StepResult((SendMessage(chat, tr.gettext("Thank you for your feedback!")),), IDLE)


def install(router: Router) -> None:
    router.button(RatingButton, rate)
    router.button(SkipButton, skip)
    router.flows["feedback"] = comment
