"""Facilitators' polls: start one from a template or compose it, watch the live count, close, results.

Buttons: `pt:<template>` picks a template, `pk:<kind>` a kind when composing, `ps:<template|_>:<t|s>`
the audience (own table or whole session), `pf:<poll>:<close|who>` the live message's controls.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from flows.actions import Action, AnswerButton, Button, EditMessage, Keyboard, SendMessage, SendPhoto, rows
from flows.assembly import WITH_OPTIONS, PollTemplate, Session
from flows.ballots import ballot, labels, local, question, size
from flows.engine import IDLE, Context, ConversationState, Router, StepResult, Turn
from flows.events import ButtonPress, Text
from flows.markers import N_
from flows.ports import FACILITATOR, ORGANISER, Participant, Poll, PollSpec, Translator
from flows.roles import refusal
from flows.tables import current_session
from flows.tally import Tally, count, passed

KIND_NAMES = {
    "single": N_("Single choice"),
    "multiple": N_("Multiple choice"),
    "scale": N_("Agreement scale"),
    "proposal": N_("Proposal (agree, abstain, disagree, block)"),
    "score": N_("Score from 0 to 10"),
    "dots": N_("Dot vote (10 points)"),
    "ranking": N_("Ranking (Borda count)"),
    "text": N_("Open question"),
}
QUESTION_LIMIT = 300
OPTION_LIMIT = 60


def _say(
    turn: Turn, text: str, *first: Action, buttons: Keyboard = (), state: ConversationState | None = None
) -> StepResult:
    message = SendMessage(turn.participant.chat_id, text, buttons=buttons)
    return StepResult((*first, message), turn.state if state is None else state)


def spec_of(template: PollTemplate) -> PollSpec:
    return PollSpec(
        kind=template.kind,
        question=dict(template.question),
        options=tuple(dict(option) for option in template.options),
        template=template.id,
        none_option=template.none_option,
        scale=template.scale,
        score_max=template.score_max,
        points=template.points,
        method=template.method,
        secret=template.secret,
        hide_results=template.hide_results,
        share_results=template.share_results,
        quorum=template.quorum,
        threshold=template.threshold,
    )


async def _session_and_table(turn: Turn) -> tuple[Session | None, int | None]:
    session = current_session(turn.ctx.assembly, turn.ctx.clock.now())
    if session is None:
        return None, None
    facilitators = await turn.ctx.store.tables.facilitators(session.id)
    mine = [table for table, person in facilitators.items() if person == turn.participant.id]
    return session, (mine[0] if mine else None)


async def start_command(turn: Turn) -> StepResult:
    """/poll: the templates of the assembly, and a button to write a new poll."""
    denied = await refusal(turn, FACILITATOR)
    if denied is not None:
        return denied
    tr = turn.tr
    session, _ = await _session_and_table(turn)
    if session is None:
        return _say(turn, tr.gettext("Polls can be started while a session is under way."))
    buttons = [
        (Button("🗳 " + _short(local(t.question, tr.language)), f"pt:{t.id}"),)
        for t in turn.ctx.assembly.polls
    ]
    buttons.append((Button(tr.gettext("✏️ Write a new poll"), "pk:new"),))
    return _say(turn, tr.gettext("Which poll do you want to start?"), buttons=tuple(buttons), state=IDLE)


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _audience_buttons(tr: Translator, key: str, table: int | None) -> Keyboard:
    buttons = [Button(tr.gettext("The whole session"), f"ps:{key}:s")]
    if table is not None:
        buttons.insert(
            0, Button(tr.gettext("My table ({table})").format(table=tr.number(table)), f"ps:{key}:t")
        )
    return rows(*buttons, width=1)


async def pick_template(turn: Turn) -> StepResult:
    event, tr = turn.event, turn.tr
    assert isinstance(event, ButtonPress)
    denied = await refusal(turn, FACILITATOR)
    if denied is not None:
        return StepResult((AnswerButton(event.query_id), *denied.actions), denied.state)
    template = turn.ctx.assembly.poll(event.data.partition(":")[2])
    _, table = await _session_and_table(turn)
    if template is None:
        return StepResult(
            (AnswerButton(event.query_id, tr.gettext("This button is no longer valid.")),), turn.state
        )
    text = tr.gettext("Who should answer “{question}”?").format(
        question=local(template.question, tr.language)
    )
    return _say(turn, text, AnswerButton(event.query_id), buttons=_audience_buttons(tr, template.id, table))


async def compose_kind(turn: Turn) -> StepResult:
    """`pk:new` shows the kinds; `pk:<kind>` starts the short conversation that composes a poll."""
    event, tr = turn.event, turn.tr
    assert isinstance(event, ButtonPress)
    denied = await refusal(turn, FACILITATOR)
    if denied is not None:
        return StepResult((AnswerButton(event.query_id), *denied.actions), denied.state)
    kind = event.data.partition(":")[2]
    ack = AnswerButton(event.query_id)
    if kind == "new":
        buttons = rows(*(Button(tr.gettext(name), f"pk:{k}") for k, name in KIND_NAMES.items()), width=1)
        return _say(turn, tr.gettext("What kind of poll?"), ack, buttons=buttons)
    if kind not in KIND_NAMES:
        return StepResult(
            (AnswerButton(event.query_id, tr.gettext("This button is no longer valid.")),), turn.state
        )
    text = tr.gettext("Type the question, in one message. Participants will see it as you write it.")
    return _say(turn, text, ack, state=ConversationState("compose", "question", {"kind": kind}))


async def compose_flow(turn: Turn) -> StepResult | None:
    """The composing conversation: the question, then (for kinds with options) one option per line."""
    event, tr = turn.event, turn.tr
    if not isinstance(event, Text):
        return None
    if await refusal(turn, FACILITATOR) is not None:
        return StepResult((), IDLE)
    data = dict(turn.state.data)
    text = event.text.strip()
    if turn.state.step == "question":
        if not text or len(text) > QUESTION_LIMIT:
            limit = tr.gettext("Please keep the question under {limit} characters.").format(
                limit=tr.number(QUESTION_LIMIT)
            )
            return _say(turn, limit)
        data["question"] = text
        if data["kind"] in WITH_OPTIONS:
            ask = tr.gettext("Now the options: one per line, between 2 and 10 options.")
            return _say(turn, ask, state=ConversationState("compose", "options", data))
        return await _ask_audience(turn, data)
    options = [line.strip() for line in text.splitlines() if line.strip()]
    if not 2 <= len(options) <= 10 or any(len(option) > OPTION_LIMIT for option in options):
        again = tr.gettext(
            "Please give between 2 and 10 options, one per line, each under {limit} characters."
        )
        return _say(turn, again.format(limit=tr.number(OPTION_LIMIT)))
    data["options"] = options
    return await _ask_audience(turn, data)


async def _ask_audience(turn: Turn, data: dict[str, Any]) -> StepResult:
    _, table = await _session_and_table(turn)
    text = turn.tr.gettext("Who should answer “{question}”?").format(question=data["question"])
    state = ConversationState("compose", "audience", data)
    return _say(turn, text, buttons=_audience_buttons(turn.tr, "_", table), state=state)


def _composed(data: Any) -> PollSpec | None:
    if not isinstance(data, dict) or data.get("kind") not in KIND_NAMES or "question" not in data:
        return None
    return PollSpec(
        kind=data["kind"],
        question={"_": data["question"]},
        options=tuple({"_": option} for option in data.get("options", ())),
        composed=True,
    )


async def pick_audience(turn: Turn) -> StepResult:
    """`ps:<template|_>:<t|s>`: send the ballots and the live message."""
    event, tr, ctx = turn.event, turn.tr, turn.ctx
    assert isinstance(event, ButtonPress)
    denied = await refusal(turn, FACILITATOR)
    if denied is not None:
        return StepResult((AnswerButton(event.query_id), *denied.actions), denied.state)
    _, key, scope = [*event.data.split(":"), "", ""][:3]
    template = ctx.assembly.poll(key)
    spec = spec_of(template) if template else _composed(turn.state.data) if key == "_" else None
    session, table = await _session_and_table(turn)
    stale = AnswerButton(event.query_id, tr.gettext("This button is no longer valid."))
    if spec is None or scope not in ("t", "s") or (scope == "t" and table is None):
        return StepResult((stale,), turn.state)
    if session is None:
        return _say(
            turn,
            tr.gettext("Polls can be started while a session is under way."),
            AnswerButton(event.query_id),
        )
    people = set(await ctx.store.tables.checked_in(session.id))
    if scope == "t":
        seating = await ctx.store.tables.seating(session.id)
        people = {p for p in people if seating.get(p) == table}
    people.discard(turn.participant.id)
    if not people:
        return _say(
            turn,
            tr.gettext("Nobody is checked in there yet, so there is nobody to ask."),
            AnswerButton(event.query_id),
        )
    now = ctx.clock.now()
    closes = now + template.duration if template is not None and template.duration else None
    poll = await ctx.store.polls.create(
        spec,
        session.id,
        table=table if scope == "t" else None,
        facilitator_id=turn.participant.id,
        recipients=sorted(people),
        now=now,
        closes_at=closes,
    )
    actions: list[Action] = [AnswerButton(event.query_id)]
    for person in await ctx.store.participants(sorted(people)):
        actions.append(ballot(ctx.translations.for_language(person.language), poll, person.chat_id))
    control = live_text(tr, poll, 0, len(people), None)
    actions.append(
        SendMessage(turn.participant.chat_id, control, buttons=controls(tr, poll), tag=live_tag(poll))
    )
    return StepResult(tuple(actions), IDLE)


def live_tag(poll: Poll) -> str:
    return f"poll:{poll.id}"


def controls(tr: Translator, poll: Poll) -> Keyboard:
    return rows(
        Button(tr.gettext("⏹ Close the poll"), f"pf:{poll.id}:close"),
        Button(tr.gettext("👥 Who has answered"), f"pf:{poll.id}:who"),
        width=1,
    )


def live_text(tr: Translator, poll: Poll, answered: int, total: int, tally: Tally | None) -> str:
    """The facilitator's live message: the count, and the running result unless it is hidden."""
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
    if tally is not None and tally.answers and not poll.spec.hide_results and poll.spec.kind != "text":
        lines += ["", *result_lines(tr, poll.spec, tally)]
    return "\n".join(lines)


def shows_running_result(poll: Poll) -> bool:
    return not poll.spec.hide_results and poll.spec.kind != "text"


def _percent(tr: Translator, part: float, whole: float) -> str:
    return f"{tr.number(round(100 * part / whole))} %" if whole else "–"


def result_lines(tr: Translator, spec: PollSpec, tally: Tally) -> list[str]:
    """One line per answer (or per point), in the reader's language."""
    names = labels(tr, spec)
    if spec.kind == "text":
        return [f"• {text}" for text in tally.texts]
    if spec.kind == "score":
        lines = [
            tr.gettext("Average {average}, median {median}").format(
                average=tr.number(round(tally.average or 0, 1)), median=tr.number(tally.middle or 0)
            )
        ]
        return lines + [f"{names[v]}: {tr.number(n)}" for v, n in enumerate(tally.counts) if n]
    if spec.kind == "dots":
        total = sum(tally.counts)
        return [
            f"{name}: {tr.number(n)} ({_percent(tr, n, total)})"
            for name, n in zip(names, tally.counts, strict=True)
        ]
    if spec.kind == "ranking":
        order = sorted(range(len(names)), key=lambda i: (-tally.counts[i], i))
        lines = [
            tr.gettext("{rank}. {option}: {points} Borda points").format(
                rank=tr.number(rank), option=names[i], points=tr.number(tally.counts[i])
            )
            for rank, i in enumerate(order, start=1)
        ]
        if spec.method == "irv" and tally.winner is not None:
            lines.append(
                tr.gettext("Instant runoff winner after {rounds} rounds: {option}").format(
                    rounds=tr.number(len(tally.rounds)), option=names[tally.winner]
                )
            )
        return lines
    return [
        f"{name}: {tr.number(n)} ({_percent(tr, n, tally.answers)})"
        for name, n in zip(names, tally.counts, strict=True)
    ]


def verdict_lines(tr: Translator, spec: PollSpec, tally: Tally) -> list[str]:
    outcome = passed(tally, spec.quorum, spec.threshold)
    if outcome is None:
        return []
    lines: list[str] = []
    if spec.quorum is not None:
        if tally.answers >= spec.quorum:
            lines.append(
                tr.gettext("Quorum reached ({answers} of {quorum} needed).").format(
                    answers=tr.number(tally.answers), quorum=tr.number(spec.quorum)
                )
            )
        else:
            lines.append(
                tr.gettext("Quorum not reached ({answers} of {quorum} needed).").format(
                    answers=tr.number(tally.answers), quorum=tr.number(spec.quorum)
                )
            )
    if tally.blocked:
        lines.append(tr.gettext("Blocked: at least one participant blocked it."))
    if spec.threshold is not None and tally.support is not None:
        lines.append(
            tr.gettext("Support {support}, threshold {threshold}.").format(
                support=_percent(tr, tally.support, 1), threshold=_percent(tr, spec.threshold, 1)
            )
        )
    lines.append("✅ " + tr.gettext("Passed.") if outcome else "❌ " + tr.gettext("Not passed."))
    return lines


def results(
    tr: Translator, ctx: Context, poll: Poll, tally: Tally, *, total: Tally | None, chat_id: int
) -> list[Action]:
    """Results as text and as a chart; `total` is the session total for a table too small to show alone."""
    spec = poll.spec
    head = [
        "📊 " + tr.gettext("Results: {question}").format(question=local(spec.question, tr.language)),
        tr.ngettext("{count} answer", "{count} answers", tally.answers).format(
            count=tr.number(tally.answers)
        ),
    ]
    minimum = ctx.assembly.tables.min_result
    shown = tally
    if poll.table is not None and tally.answers < minimum:
        head.append(
            tr.gettext(
                "Too few answers at this table to show them on their own (at least {minimum} are needed); "
                "they count in the session total."
            ).format(minimum=tr.number(minimum))
        )
        if total is None or total.answers < minimum:
            return [SendMessage(chat_id, "\n".join(head))]
        head.append(
            tr.ngettext(
                "Session total, {count} answer:", "Session total, {count} answers:", total.answers
            ).format(count=tr.number(total.answers))
        )
        shown = total
    lines = [*head, "", *result_lines(tr, spec, shown), *verdict_lines(tr, spec, shown)]
    actions: list[Action] = [SendMessage(chat_id, "\n".join(lines)[:4000])]
    if spec.kind != "text" and shown.answers:
        chart = ctx.charts.bars(local(spec.question, tr.language), labels(tr, spec), shown.counts)
        actions.append(SendPhoto(chat_id, chart, "results.png"))
    return actions


def tally_of(poll: Poll, ballots: Sequence[dict[str, Any]]) -> Tally:
    return count(poll.spec.kind, ballots, size(poll.spec), scale=poll.spec.scale, method=poll.spec.method)


async def close_poll(ctx: Context, poll: Poll) -> list[Action]:
    """Close by button or timer: results to the facilitator, and to participants when the poll says so."""
    store = ctx.store.polls
    if not await store.close(poll.id, ctx.clock.now()):
        return []
    poll = dataclasses.replace(poll, closed=True)
    tally = tally_of(poll, await store.ballots(poll.id))
    total = None
    if poll.table is not None and tally.answers < ctx.assembly.tables.min_result:
        total = tally_of(poll, await store.sibling_ballots(poll))
    actions: list[Action] = []
    for facilitator in await ctx.store.participants([poll.facilitator_id]):
        tr = ctx.translations.for_language(facilitator.language)
        actions += results(tr, ctx, poll, tally, total=total, chat_id=facilitator.chat_id)
    if poll.spec.share_results:
        people: list[Participant] = await store.recipients(poll.id)
        for person in people:
            tr = ctx.translations.for_language(person.language)
            actions += results(tr, ctx, poll, tally, total=total, chat_id=person.chat_id)
    return actions


async def control(turn: Turn) -> StepResult:
    """`pf:<poll>:close` and `pf:<poll>:who`, for the poll's facilitator or an organiser only."""
    event, tr, ctx = turn.event, turn.tr, turn.ctx
    assert isinstance(event, ButtonPress)
    _, poll_id, op = [*event.data.split(":"), "", ""][:3]
    poll = await ctx.store.polls.get(int(poll_id)) if poll_id.isdigit() else None
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
        done = [p for p, voted in voters if voted]
        waiting = [p for p, voted in voters if not voted]
        lines = [
            tr.gettext("Answered: {people}").format(people=", ".join(f"#{p}" for p in done) or "–"),
            tr.gettext("Not yet: {people}").format(people=", ".join(f"#{p}" for p in waiting) or "–"),
        ]
        return _say(turn, "\n".join(lines), AnswerButton(event.query_id))
    if poll.closed:
        return StepResult(
            (AnswerButton(event.query_id, tr.gettext("This poll is already closed.")),), turn.state
        )
    actions: list[Action] = [AnswerButton(event.query_id, tr.gettext("The poll is closed."))]
    if event.message_id is not None:
        answered = sum(1 for _, voted in await ctx.store.polls.voters(poll.id) if voted)
        total = len(await ctx.store.polls.voters(poll.id))
        closed = dataclasses.replace(poll, closed=True)
        text = live_text(tr, closed, answered, total, None) + "\n\n" + tr.gettext("Closed.")
        actions.append(EditMessage(turn.participant.chat_id, event.message_id, text))
    actions += await close_poll(ctx, poll)
    return StepResult(tuple(actions), turn.state)


def install(router: Router) -> None:
    router.commands["poll"] = start_command
    router.buttons.update({"pt": pick_template, "pk": compose_kind, "ps": pick_audience, "pf": control})
    router.flows["compose"] = compose_flow
