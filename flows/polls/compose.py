"""Starting a poll: /poll, a template or a composed one, its audience; then ballots and live count go out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flows.actions import Action, AnswerButton, Button, Keyboard, SendMessage, rows
from flows.assembly import WITH_OPTIONS, PollKind, PollTemplate, Session
from flows.buttons import ButtonData
from flows.engine import IDLE, ConversationState, Router, Step, StepResult, Turn, reply
from flows.events import ButtonPress, Command, Event, Text
from flows.markers import N_
from flows.polls.ballots import ballot, local
from flows.polls.live import controls, live_tag, live_text
from flows.ports import FACILITATOR, PollSpec, Translator
from flows.roles import refusal
from flows.tables import current_session, staff

KIND_NAMES: dict[PollKind, str] = {
    "single": N_("Single choice"),
    "multiple": N_("Multiple choice"),
    "scale": N_("Agreement scale"),
    "proposal": N_("Proposal (agree, abstain, disagree, block)"),
    "score": N_("Score from 0 to 10"),
    "dots": N_("Dot vote (10 points)"),
    "ranking": N_("Ranking (Borda count)"),
    "text": N_("Open question"),
}
FLOW = "compose"
QUESTION_LIMIT = 300
OPTION_LIMIT = 60


class Composing(StrEnum):
    """The steps of writing a poll: its question, its options (for kinds that have them), who answers."""

    QUESTION = "question"
    OPTIONS = "options"
    AUDIENCE = "audience"


@dataclass(frozen=True)
class TemplateButton(ButtonData, prefix="pt"):
    """`pt:<template>`: start the assembly's poll template."""

    template: str


@dataclass(frozen=True)
class KindButton(ButtonData, prefix="pk"):
    """`pk:new` lists the kinds of poll; `pk:<kind>` composes one of that kind."""

    kind: str


@dataclass(frozen=True)
class AudienceButton(ButtonData, prefix="ps"):
    """`ps:<template|_>:<t|s>`: ask the facilitator's table (t) or the whole session (s); `_` is the
    poll being composed."""

    poll: str
    scope: str


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


async def _session_and_table(turn: Turn[Event]) -> tuple[Session | None, int | None]:
    session = current_session(turn.ctx.assembly, turn.ctx.clock.now())
    if session is None:
        return None, None
    facilitators = await turn.ctx.store.tables.facilitators(session.id)
    mine = [table for table, person in facilitators.items() if person == turn.participant.id]
    return session, (mine[0] if mine else None)


async def start_command(turn: Turn[Command]) -> StepResult:
    """/poll: the templates of the assembly, and a button to write a new poll."""
    denied = await refusal(turn, FACILITATOR)
    if denied is not None:
        return denied
    tr = turn.tr
    session, _ = await _session_and_table(turn)
    if session is None:
        return reply(turn, tr.gettext("Polls can be started while a session is under way."))
    buttons = [
        (Button("🗳 " + _short(local(t.question, tr.language)), TemplateButton(t.id).pack()),)
        for t in turn.ctx.assembly.polls
    ]
    buttons.append((Button(tr.gettext("✏️ Write a new poll"), KindButton("new").pack()),))
    return reply(turn, tr.gettext("Which poll do you want to start?"), buttons=tuple(buttons), state=IDLE)


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _audience_buttons(tr: Translator, key: str, table: int | None) -> Keyboard:
    buttons = [Button(tr.gettext("The whole session"), AudienceButton(key, "s").pack())]
    if table is not None:
        buttons.insert(
            0,
            Button(
                tr.gettext("My table ({table})").format(table=tr.number(table)),
                AudienceButton(key, "t").pack(),
            ),
        )
    return rows(*buttons, width=1)


async def pick_template(turn: Turn[ButtonPress], button: TemplateButton) -> StepResult:
    event, tr = turn.event, turn.tr
    denied = await refusal(turn, FACILITATOR)
    if denied is not None:
        return StepResult((AnswerButton(event.query_id), *denied.actions), denied.state)
    template = turn.ctx.assembly.poll(button.template)
    _, table = await _session_and_table(turn)
    if template is None:
        return StepResult(
            (AnswerButton(event.query_id, tr.gettext("This button is no longer valid.")),), turn.state
        )
    text = tr.gettext("Who should answer “{question}”?").format(
        question=local(template.question, tr.language)
    )
    return reply(turn, text, AnswerButton(event.query_id), buttons=_audience_buttons(tr, template.id, table))


async def compose_kind(turn: Turn[ButtonPress], button: KindButton) -> StepResult:
    """`pk:new` shows the kinds; `pk:<kind>` starts the short conversation that composes a poll."""
    event, tr, kind = turn.event, turn.tr, button.kind
    denied = await refusal(turn, FACILITATOR)
    if denied is not None:
        return StepResult((AnswerButton(event.query_id), *denied.actions), denied.state)
    ack = AnswerButton(event.query_id)
    if kind == "new":
        buttons = rows(
            *(Button(tr.gettext(name), KindButton(k).pack()) for k, name in KIND_NAMES.items()), width=1
        )
        return reply(turn, tr.gettext("What kind of poll?"), ack, buttons=buttons)
    if kind not in KIND_NAMES:
        return StepResult(
            (AnswerButton(event.query_id, tr.gettext("This button is no longer valid.")),), turn.state
        )
    text = tr.gettext("Type the question, in one message. Participants will see it as you write it.")
    return reply(turn, text, ack, state=ConversationState(FLOW, Step(Composing.QUESTION), {"kind": kind}))


async def compose_flow(turn: Turn[Event]) -> StepResult | None:
    """The composing conversation: the question, then (for kinds with options) one option per line."""
    event, tr = turn.event, turn.tr
    if not isinstance(event, Text):
        return None
    if await refusal(turn, FACILITATOR) is not None:
        return StepResult((), IDLE)
    data = dict(turn.state.data)
    text = event.text.strip()
    if turn.state.step == Step(Composing.QUESTION):
        if not text or len(text) > QUESTION_LIMIT:
            limit = tr.gettext("Please keep the question under {limit} characters.").format(
                limit=tr.number(QUESTION_LIMIT)
            )
            return reply(turn, limit)
        data["question"] = text
        if data["kind"] in WITH_OPTIONS:
            ask = tr.gettext("Now the options: one per line, between 2 and 10 options.")
            return reply(turn, ask, state=ConversationState(FLOW, Step(Composing.OPTIONS), data))
        return await _ask_audience(turn, data)
    options = [line.strip() for line in text.splitlines() if line.strip()]
    if not 2 <= len(options) <= 10 or any(len(option) > OPTION_LIMIT for option in options):
        again = tr.gettext(
            "Please give between 2 and 10 options, one per line, each under {limit} characters."
        )
        return reply(turn, again.format(limit=tr.number(OPTION_LIMIT)))
    data["options"] = options
    return await _ask_audience(turn, data)


def expects_lines(state: ConversationState) -> bool:
    """True while a poll being written waits for its options, one per line of a single message: a
    runtime that sends a message per line (a terminal) gathers the lines first."""
    return state.flow == FLOW and state.step == Step(Composing.OPTIONS)


async def _ask_audience(turn: Turn[Event], data: dict[str, Any]) -> StepResult:
    _, table = await _session_and_table(turn)
    text = turn.tr.gettext("Who should answer “{question}”?").format(question=data["question"])
    state = ConversationState(FLOW, Step(Composing.AUDIENCE), data)
    return reply(turn, text, buttons=_audience_buttons(turn.tr, "_", table), state=state)


def _composed(data: Any) -> PollSpec | None:
    if not isinstance(data, dict) or data.get("kind") not in KIND_NAMES or "question" not in data:
        return None
    return PollSpec(
        kind=data["kind"],
        question={"_": data["question"]},
        options=tuple({"_": option} for option in data.get("options", ())),
        composed=True,
    )


async def pick_audience(turn: Turn[ButtonPress], button: AudienceButton) -> StepResult:
    """Send the ballots and the live message."""
    event, tr, ctx = turn.event, turn.tr, turn.ctx
    denied = await refusal(turn, FACILITATOR)
    if denied is not None:
        return StepResult((AnswerButton(event.query_id), *denied.actions), denied.state)
    key, scope = button.poll, button.scope
    template = ctx.assembly.poll(key)
    spec = spec_of(template) if template else _composed(turn.state.data) if key == "_" else None
    session, table = await _session_and_table(turn)
    stale = AnswerButton(event.query_id, tr.gettext("This button is no longer valid."))
    if spec is None or scope not in ("t", "s") or (scope == "t" and table is None):
        return StepResult((stale,), turn.state)
    if session is None:
        return reply(
            turn,
            tr.gettext("Polls can be started while a session is under way."),
            AnswerButton(event.query_id),
        )
    people = set(await ctx.store.tables.checked_in(session.id))
    if scope == "t":
        seating = await ctx.store.tables.seating(session.id)
        people = {p for p in people if seating.get(p) == table}
    people -= await staff(turn) | {turn.participant.id}
    if not people:
        return reply(
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
    control = live_text(tr, poll, 0, len(people), None, minimum=ctx.assembly.tables.min_result)
    actions.append(
        SendMessage(turn.participant.chat_id, control, buttons=controls(tr, poll), tag=live_tag(poll))
    )
    return StepResult(tuple(actions), IDLE)


def install(router: Router) -> None:
    router.commands["poll"] = start_command
    router.button(TemplateButton, pick_template)
    router.button(KindButton, compose_kind)
    router.button(AudienceButton, pick_audience)
    router.flows[FLOW] = compose_flow
