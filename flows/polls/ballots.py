"""Ballots: one message per participant in their language, inline buttons for every kind of poll.

A draft being built (several choices, dots, an order) travels in the buttons themselves, so nothing
is stored before the answer is submitted and a restart loses nothing. Every press is checked against
the store: the poll must exist, be open, and have been sent to this participant.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flows.actions import Action, AnswerButton, Button, EditMessage, Keyboard, SendMessage, rows
from flows.buttons import ButtonData
from flows.engine import IDLE, ConversationState, Router, Step, StepResult, Turn
from flows.events import ButtonPress, Event, Text
from flows.markers import N_
from flows.numbers import parse_int
from flows.polls.tally import BLOCK, choices
from flows.polls.votes import Ballot, Choice, Choices, Dots, Ranking, Written
from flows.ports import Poll, PollSpec, Translator

TEXT_LIMIT = 1000


class Writing(StrEnum):
    """What a participant types after a ballot button: an open answer, or the reason for a block."""

    ANSWER = "text"
    REASON = "reason"


DIGITS = string.digits + string.ascii_lowercase
"""Dots per option travel as one base-36 digit each (a template allows at most 20 points)."""

AGREE5_LABELS = (
    N_("Strongly agree"),
    N_("Agree"),
    N_("Neither agree nor disagree"),
    N_("Disagree"),
    N_("Strongly disagree"),
)
GRADIENT_LABELS = (
    N_("Whole-hearted endorsement"),
    N_("Agreement with a minor point of contention"),
    N_("Support with reservations"),
    N_("Abstain"),
    N_("More discussion needed"),
    N_("I don't like it but will support it"),
    N_("Serious disagreement"),
    N_("Veto"),
)
PROPOSAL_LABELS = (N_("Agree"), N_("Abstain"), N_("Disagree"), N_("Block"))
NONE_OF_THE_ABOVE = N_("None of the above")


def local(texts: Mapping[str, str], language: str) -> str:
    """A template text in `language`; a composed poll has one text (key "_") in the facilitator's words."""
    return texts.get(language) or texts.get("_") or next(iter(texts.values()), "")


def labels(tr: Translator, spec: PollSpec) -> list[str]:
    """The answers a participant picks from, in their language (empty for open text)."""
    if spec.kind == "scale":
        fixed = AGREE5_LABELS if spec.scale == "agree5" else GRADIENT_LABELS
        return [tr.gettext(label) for label in fixed]
    if spec.kind == "proposal":
        return [tr.gettext(label) for label in PROPOSAL_LABELS]
    if spec.kind == "score":
        return [tr.number(value) for value in range(spec.score_max + 1)]
    names = [local(option, tr.language) for option in spec.options]
    if spec.none_option:
        names.append(tr.gettext(NONE_OF_THE_ABOVE))
    return names


def size(spec: PollSpec) -> int:
    return choices(spec.kind, len(spec.options) + spec.none_option, spec.scale, spec.score_max)


def question(tr: Translator, spec: PollSpec) -> str:
    text = local(spec.question, tr.language)
    if spec.composed:
        text = tr.gettext("(written by your facilitator, not translated)") + "\n" + text
    return text


def _header(tr: Translator, poll: Poll) -> str:
    if poll.table is None:
        where = tr.gettext("Poll for the whole session")
    else:
        where = tr.gettext("Poll for table {table}").format(table=tr.number(poll.table))
    lines = ["🗳 " + where, question(tr, poll.spec)]
    if poll.spec.secret:
        lines.append(tr.gettext("Secret ballot: nobody can see what you vote, and a vote cannot be changed."))
    else:
        lines.append(tr.gettext("You can change your answer until the poll closes."))
    return "\n\n".join(lines)


@dataclass(frozen=True)
class VoteButton(ButtonData, prefix="pv"):
    """`pv:<poll>:<op>[:<draft>]` (at most ~30 bytes): `op` picks (c), toggles (m), moves dots (d)
    or ranks (r), or in capitals sends the draft; `t` asks to type an open answer."""

    poll: int
    op: str
    draft: str | None = None


def _data(poll: Poll, op: str, draft: str | None = None) -> str:
    return VoteButton(poll.id, op, draft).pack()


def _choice_keyboard(tr: Translator, poll: Poll) -> Keyboard:
    names = labels(tr, poll.spec)
    buttons = [Button(name, _data(poll, "c", str(i))) for i, name in enumerate(names)]
    return rows(*buttons, width=6 if poll.spec.kind == "score" else 1)


def _multiple(tr: Translator, poll: Poll, mask: int) -> tuple[str, Keyboard]:
    names = labels(tr, poll.spec)
    buttons = [
        (Button(("☑ " if mask >> i & 1 else "☐ ") + name, _data(poll, "m", f"{mask ^ (1 << i):x}")),)
        for i, name in enumerate(names)
    ]
    buttons.append((Button(tr.gettext("Send my answer"), _data(poll, "M", f"{mask:x}")),))
    return tr.gettext("Tick every answer you support, then send."), tuple(buttons)


def _dots(tr: Translator, poll: Poll, dots: list[int]) -> tuple[str, Keyboard]:
    names, points = labels(tr, poll.spec), poll.spec.points
    left = points - sum(dots)
    buttons: list[tuple[Button, ...]] = []
    for i, name in enumerate(names):
        more = [*dots[:i], dots[i] + 1, *dots[i + 1 :]]
        less = [*dots[:i], max(0, dots[i] - 1), *dots[i + 1 :]]
        buttons.append(
            (
                Button(f"{name}: {tr.number(dots[i])}", _data(poll, "d", _encode(dots))),
                Button("➖", _data(poll, "d", _encode(less))),
                Button("➕", _data(poll, "d", _encode(more))),
            )
        )
    if left == 0:
        buttons.append((Button(tr.gettext("Send my answer"), _data(poll, "D", _encode(dots))),))
    text = tr.ngettext(
        "Spread your points with ➕ and ➖: {left} point left.",
        "Spread your points with ➕ and ➖: {left} points left.",
        left,
    ).format(left=tr.number(left))
    return text, tuple(buttons)


def _ranking(tr: Translator, poll: Poll, order: list[int]) -> tuple[str, Keyboard]:
    names = labels(tr, poll.spec)
    draft = "".join(str(i) for i in order)
    buttons: list[tuple[Button, ...]] = [
        (Button(name, _data(poll, "r", draft + str(i))),) for i, name in enumerate(names) if i not in order
    ]
    tail: list[Button] = []
    if order:
        tail.append(Button(tr.gettext("Start again"), _data(poll, "r", "")))
        tail.append(Button(tr.gettext("Send my answer"), _data(poll, "R", draft)))
    if tail:
        buttons.append(tuple(tail))
    lines = [tr.gettext("Press the options in your order of preference, best first.")]
    lines += [f"{tr.number(rank)}. {names[i]}" for rank, i in enumerate(order, start=1)]
    return "\n".join(lines), tuple(buttons)


def _encode(dots: list[int]) -> str:
    return "".join(DIGITS[n] for n in dots)


def ballot(tr: Translator, poll: Poll, chat_id: int) -> SendMessage:
    """The first message of a ballot, sent to each recipient in their own language."""
    text, buttons = _body(tr, poll, poll.spec.kind)
    return SendMessage(chat_id, f"{_header(tr, poll)}\n\n{text}".strip(), buttons=buttons)


def _body(tr: Translator, poll: Poll, kind: str) -> tuple[str, Keyboard]:
    n = size(poll.spec)
    if kind == "multiple":
        return _multiple(tr, poll, 0)
    if kind == "dots":
        return _dots(tr, poll, [0] * n)
    if kind == "ranking":
        return _ranking(tr, poll, [])
    if kind == "text":
        return "", rows(Button(tr.gettext("✍️ Write my answer"), _data(poll, "t")))
    return "", _choice_keyboard(tr, poll)


def _parse(spec: PollSpec, op: str, draft: str) -> tuple[str, Any] | None:
    """(op, decoded draft) when the data is well formed for this poll, else None (forged or stale)."""
    n = size(spec)
    try:
        if op == "c" and spec.kind in ("single", "scale", "proposal", "score"):
            value = parse_int(draft, 0, n - 1)
            return None if value is None else (op, value)
        if op in ("m", "M") and spec.kind == "multiple":
            mask = int(draft, 16)
            return (op, mask) if 0 <= mask < 1 << n else None
        if op in ("d", "D") and spec.kind == "dots":
            dots = [DIGITS.index(ch) for ch in draft]
            return (op, dots) if len(dots) == n and sum(dots) <= spec.points else None
        if op in ("r", "R") and spec.kind == "ranking":
            order = [int(ch) for ch in draft]
            ok = len(set(order)) == len(order) and all(0 <= i < n for i in order)
            return (op, order) if ok else None
        if op == "t" and spec.kind == "text" and not draft:
            return op, None
    except ValueError:
        return None
    return None


async def _poll_for(turn: Turn[Event], poll_id: int | None) -> tuple[Poll | None, str | None]:
    """The poll if this participant may answer it now, else the reason they may not."""
    tr = turn.tr
    poll = None if poll_id is None else await turn.ctx.store.polls.get(poll_id)
    if poll is None:
        return None, tr.gettext("This button is no longer valid.")
    if not await turn.ctx.store.polls.is_recipient(poll.id, turn.participant.id):
        return None, tr.gettext("This poll is for another table; your answer was not recorded.")
    if poll.closed:
        return None, tr.gettext("This poll is closed; your answer was not recorded.")
    if poll.spec.secret and await turn.ctx.store.polls.has_voted(poll.id, turn.participant.id):
        return None, tr.gettext("You have already voted in this secret ballot; a vote cannot be changed.")
    return poll, None


def _refuse(turn: Turn[ButtonPress], notice: str) -> StepResult:
    return StepResult((AnswerButton(turn.event.query_id, notice),), turn.state)


async def press(turn: Turn[ButtonPress], button: VoteButton) -> StepResult:
    """Any ballot button: build a draft (edit in place) or record an answer at once."""
    event, tr = turn.event, turn.tr
    poll, reason = await _poll_for(turn, button.poll)
    if poll is None:
        return _refuse(turn, reason or "")
    parsed = _parse(poll.spec, button.op, button.draft or "")
    if parsed is None:
        return _refuse(turn, tr.gettext("This button is no longer valid."))
    op, value = parsed
    if op in ("m", "d", "r"):
        return _redraw(turn, poll, op, value)
    if op == "t":
        text = tr.gettext("Please write your answer in one message (at most {limit} characters).").format(
            limit=tr.number(TEXT_LIMIT)
        )
        state = ConversationState(
            "ballot", Step(Writing.ANSWER), {"poll": poll.id, "message": event.message_id}
        )
        return StepResult((AnswerButton(event.query_id), SendMessage(turn.participant.chat_id, text)), state)
    if op == "c" and poll.spec.kind == "proposal" and value == BLOCK and not poll.spec.secret:
        # A secret ballot takes no reason: words can tell who wrote them, and a ballot that no
        # longer knows its voter could not be erased with the rest of their data.
        text = tr.gettext("A block needs a reason: please write it in one message, or type /cancel.")
        state = ConversationState(
            "ballot", Step(Writing.REASON), {"poll": poll.id, "message": event.message_id}
        )
        return StepResult((AnswerButton(event.query_id), SendMessage(turn.participant.chat_id, text)), state)
    if op == "M" and not value:
        return _refuse(turn, tr.gettext("Tick at least one answer first."))
    if op == "D" and sum(value) != poll.spec.points:
        return _refuse(turn, tr.gettext("Spread all your points first."))
    if op == "R" and not value:
        return _refuse(turn, tr.gettext("Choose at least one option first."))
    return await _record(turn, poll, _submitted(poll.spec, op, value), event.message_id, event.query_id)


def _submitted(spec: PollSpec, op: str, value: Any) -> Ballot:
    """The ballot a send button (or a one-press choice) submits, from its decoded draft."""
    if op == "M":
        return Choices(tuple(i for i in range(size(spec)) if value >> i & 1))
    if op == "D":
        return Dots(tuple(value))
    if op == "R":
        return Ranking(tuple(value))
    return Choice(value)


def _redraw(turn: Turn[ButtonPress], poll: Poll, op: str, value: Any) -> StepResult:
    event = turn.event
    if op == "m":
        text, buttons = _multiple(turn.tr, poll, value)
    elif op == "d":
        text, buttons = _dots(turn.tr, poll, value)
    else:
        text, buttons = _ranking(turn.tr, poll, value)
    actions: list[Action] = [AnswerButton(event.query_id)]
    if event.message_id is not None:
        body = f"{_header(turn.tr, poll)}\n\n{text}"
        actions.append(EditMessage(turn.participant.chat_id, event.message_id, body, buttons))
    return StepResult(tuple(actions), turn.state)


def describe(tr: Translator, spec: PollSpec, ballot: Ballot) -> str:
    """An open answer told back to the one who gave it (never for a secret ballot)."""
    names = labels(tr, spec)
    match ballot:
        case Choice(index):
            return names[index]
        case Choices(indices):
            return ", ".join(names[i] for i in indices)
        case Dots(points):
            return ", ".join(f"{names[i]}: {tr.number(n)}" for i, n in enumerate(points) if n)
        case Ranking(order):
            return " > ".join(names[i] for i in order)
        case Written(text):
            return text


async def _record(
    turn: Turn[Event], poll: Poll, ballot: Ballot, message_id: int | None, query_id: str | None
) -> StepResult:
    tr, chat = turn.tr, turn.participant.chat_id
    stored = await turn.ctx.store.polls.answer(poll, turn.participant.id, ballot, turn.ctx.clock.now())
    actions: list[Action] = []
    if not stored:
        notice = tr.gettext("You have already voted in this secret ballot; a vote cannot be changed.")
        return StepResult(
            (AnswerButton(query_id, notice),) if query_id else (SendMessage(chat, notice),), IDLE
        )
    if poll.spec.secret:
        done = tr.gettext("Your secret vote has been cast. Thank you!")
        if query_id:
            actions.append(AnswerButton(query_id, done))
        if message_id is not None:
            actions.append(EditMessage(chat, message_id, f"{_header(tr, poll)}\n\n🗳 {done}"))
        else:
            actions.append(SendMessage(chat, done))
        return StepResult(tuple(actions), IDLE)  # the runner keeps no event once handled
    saved = tr.gettext("Your answer: {answer}").format(answer=describe(tr, poll.spec, ballot))
    if query_id:
        actions.append(AnswerButton(query_id, tr.gettext("Answer saved.")))
    if message_id is not None:
        text, buttons = _body(tr, poll, poll.spec.kind)
        body = "\n\n".join(part for part in (_header(tr, poll), "✅ " + saved, text) if part)
        actions.append(EditMessage(chat, message_id, body, buttons))
    if query_id is None:
        actions.append(SendMessage(chat, tr.gettext("Thank you, your answer is saved.") + "\n" + saved))
    return StepResult(tuple(actions), IDLE)


async def written(turn: Turn[Event]) -> StepResult | None:
    """The open answer or the reason for a block, typed after pressing the ballot's button."""
    event, tr = turn.event, turn.tr
    if not isinstance(event, Text):
        return None
    data = turn.state.data
    poll_id = data.get("poll")
    poll, reason = await _poll_for(turn, poll_id if isinstance(poll_id, int) else None)
    chat = turn.participant.chat_id
    if poll is None:
        return StepResult((SendMessage(chat, reason or ""),), IDLE)
    text = event.text.strip()
    if not text or len(text) > TEXT_LIMIT:
        limit = tr.gettext("Please keep it between 1 and {limit} characters.").format(
            limit=tr.number(TEXT_LIMIT)
        )
        return StepResult((SendMessage(chat, limit),), turn.state)
    ballot = Written(text) if turn.state.step == Step(Writing.ANSWER) else Choice(BLOCK, reason=text)
    message = data.get("message")
    return await _record(turn, poll, ballot, message if isinstance(message, int) else None, None)


def install(router: Router) -> None:
    router.button(VoteButton, press)
    router.flows["ballot"] = written
