"""A running poll: the facilitator's live message with the count, and its close and who-answered buttons."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from flows.actions import Action, AnswerButton, Button, EditMessage, Keyboard, SendMessage, rows
from flows.buttons import ButtonData
from flows.engine import Router, StepResult, Turn
from flows.events import ButtonPress
from flows.polls.ballots import question
from flows.polls.disclosure import disclose
from flows.polls.results import close_poll, result_lines
from flows.polls.tally import Tally
from flows.ports import FACILITATOR, ORGANISER, Poll, Translator


@dataclass(frozen=True)
class ControlButton(ButtonData, prefix="pf"):
    """`pf:<poll>:close` and `pf:<poll>:who`, under the live message."""

    poll: int
    op: str


def live_tag(poll: Poll) -> str:
    return f"poll:{poll.id}"


def controls(tr: Translator, poll: Poll) -> Keyboard:
    return rows(
        Button(tr.gettext("⏹ Close the poll"), ControlButton(poll.id, "close").pack()),
        Button(tr.gettext("👥 Who has answered"), ControlButton(poll.id, "who").pack()),
        width=1,
    )


def live_text(
    tr: Translator, poll: Poll, answered: int, total: int, tally: Tally | None, *, minimum: int
) -> str:
    """The facilitator's live message: the count, and the running result where `disclose` allows it
    (`minimum` is the assembly's small-result minimum)."""
    where = (
        tr.gettext("Poll for the whole session")
        if poll.table is None
        else tr.gettext("Poll for table {table}").format(table=tr.number(poll.table))
    )
    lines = [f"🗳 {where}", question(tr, poll.spec), ""]
    lines.append(
        tr.gettext("{answered} of {total} answered").format(
            answered=tr.number(answered), total=tr.number(total)
        )
    )
    if poll.closes_at is not None:
        lines.append(tr.gettext("Closes at {time}.").format(time=tr.time(poll.closes_at)))
    shown = disclose(poll, tally, minimum).tally
    if shown is not None and shown.answers:
        lines += ["", *result_lines(tr, poll.spec, shown)]
    return "\n".join(lines)


NAME_QUESTION = "first_name"
"""The registration question whose answer is the name staff see (the example asks it first)."""


async def first_names(turn: Turn[ButtonPress], people: list[int]) -> dict[int, str]:
    """The first name each person gave when registering, as staff see them; never an internal id."""
    unnamed = turn.tr.gettext("(no name given)")
    names: dict[int, str] = {}
    for person in people:
        given = (await turn.ctx.store.registrations.answers(person)).get(NAME_QUESTION)
        names[person] = given.strip() if isinstance(given, str) and given.strip() else unnamed
    return names


async def control(turn: Turn[ButtonPress], button: ControlButton) -> StepResult:
    """Close the poll, or list who has answered: for the poll's facilitator or an organiser only."""
    event, tr, ctx, op = turn.event, turn.tr, turn.ctx, button.op
    poll = await ctx.store.polls.get(button.poll)
    roles = await ctx.store.roles.roles(turn.participant.id)
    allowed = poll is not None and (
        ORGANISER in roles or (FACILITATOR in roles and poll.facilitator_id == turn.participant.id)
    )
    if poll is None or not allowed or op not in ("close", "who"):
        return StepResult(
            (AnswerButton(event.query_id, tr.gettext("This button is no longer valid.")),), turn.state
        )
    if op == "who":
        voters = await ctx.store.polls.voters(poll.id)
        names = await first_names(turn, [p for p, _ in voters])
        done = sorted(names[p] for p, voted in voters if voted)
        waiting = sorted(names[p] for p, voted in voters if not voted)
        lines = [
            tr.gettext("Answered: {people}").format(people=", ".join(done) or "–"),
            tr.gettext("Not yet: {people}").format(people=", ".join(waiting) or "–"),
        ]
        who = SendMessage(turn.participant.chat_id, "\n".join(lines))
        return StepResult((AnswerButton(event.query_id), who), turn.state)
    if poll.closed:
        return StepResult(
            (AnswerButton(event.query_id, tr.gettext("This poll is already closed.")),), turn.state
        )
    actions: list[Action] = [AnswerButton(event.query_id, tr.gettext("The poll is closed."))]
    if event.message_id is not None:
        answered = sum(1 for _, voted in await ctx.store.polls.voters(poll.id) if voted)
        total = len(await ctx.store.polls.voters(poll.id))
        closed = dataclasses.replace(poll, closed=True)
        minimum = ctx.assembly.tables.min_result
        text = live_text(tr, closed, answered, total, None, minimum=minimum) + "\n\n" + tr.gettext("Closed.")
        actions.append(EditMessage(turn.participant.chat_id, event.message_id, text))
    actions += await close_poll(ctx, poll)
    return StepResult(tuple(actions), turn.state)


def install(router: Router) -> None:
    router.button(ControlButton, control)
