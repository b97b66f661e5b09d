"""/register_by_phone: an organiser registers someone without Telegram, in the organiser's own chat.

The organiser types the person's name and phone number and picks the language the person speaks,
reads the privacy notice to them (in that language) and records their consent given by phone; then
the participant's own questionnaire follows, run by the registration flow's own steps for the person
(same questions, checks, option ids and stored answers), shown in the organiser's language, and its
summary, to confirm or /cancel. The person is stored as a paper registrant is (`chat_id` 0, consent
medium `phone`), status `registering` until confirmed; /cancel discards them. Only organisers: the
pool is the lottery's input, which organisers answer for.

The name and phone number answer the definition's first `text` question and its `phone` question
(what the organisers' call list shows), asked first, so the questionnaire walked afterwards is the
rest. While under way the flow holds the chat: any command but /cancel, /help and /language is
answered with where the registration stands, so no other conversation starts in the middle of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from flows import basics
from flows.actions import Action, AnswerButton, Button, SendMessage, rows
from flows.buttons import ButtonData
from flows.engine import IDLE, Context, ConversationState, Router, Step, StepResult, Turn
from flows.events import ButtonPress, Command, ContactShared, Event, Text
from flows.ports import ORGANISER, Participant
from flows.questionnaire import Question, Registration
from flows.registration import answers
from flows.registration.checks import check_written
from flows.registration.steps import BY_PHONE, CONSENT, LANGUAGE, SUMMARY, StepButton
from flows.registration.steps import FLOW as REGISTRATION
from flows.roles import refusal
from flows.yes_no import typed_yes_no

FLOW = BY_PHONE
COMMAND = "register_by_phone"
PERSON, NAME, PHONE, SPEAKS = "person", "name", "phone", "speaks"
MINE = (PERSON, NAME, PHONE, SPEAKS)
"""What this flow keeps in the state beside the registration steps' own data."""
LET_THROUGH = ("help", "language")


class Stage(StrEnum):
    NAME = "pname"
    PHONE = "ptel"
    LANGUAGE = "plang"
    CONSENT = "pconsent"


ASK_NAME, ASK_PHONE, ASK_LANGUAGE, ASK_CONSENT = (Step(stage) for stage in Stage)


@dataclass(frozen=True)
class PhoneButton(ButtonData, prefix="ph"):
    """`ph:<step>:<value>`: the person's language, or their answer to the notice read to them."""

    step: str
    value: str


def _registration(turn: Turn[Event]) -> Registration:
    reg = turn.ctx.assembly.registration
    assert reg is not None
    return reg


def _name_question(reg: Registration) -> Question | None:
    return next((q for q in reg.questions if q.kind == "text"), None)


def _phone_question(reg: Registration) -> Question | None:
    return next((q for q in reg.questions if q.kind == "phone"), None)


def _data(turn: Turn[Event]) -> dict[str, Any]:
    return dict(turn.state.data)


def _for_person(turn: Turn[Event]) -> Turn[Event]:
    """The same turn as the registration flow sees it for the person: answers stored under the person,
    messages to the organiser's chat in the organiser's language, the questionnaire without the
    name and phone asked first."""
    reg = _registration(turn)
    asked = {q.id for q in (_name_question(reg), _phone_question(reg)) if q is not None}
    rest = reg.model_copy(update={"questions": [q for q in reg.questions if q.id not in asked]})
    assembly = turn.ctx.assembly.model_copy(update={"registration": rest})
    ctx = Context(replace(turn.ctx.kit, assembly=assembly), turn.ctx.store)
    staff = turn.participant
    person = Participant(int(turn.state.data[PERSON]), staff.user_id, staff.chat_id, staff.language)
    data = {key: value for key, value in turn.state.data.items() if key not in MINE}
    return Turn(ctx, turn.event, person, ConversationState(REGISTRATION, turn.state.step, data), turn.tr)


def _back_to_staff(turn: Turn[Event], result: StepResult) -> StepResult:
    """The registration flow's result in the organiser's chat: its steps kept under this flow."""
    mine = {key: value for key, value in turn.state.data.items() if key in MINE}
    state = ConversationState(FLOW, result.state.step, {**result.state.data, **mine})
    actions: Sequence[Action] = result.actions
    if state.step == SUMMARY:
        actions = (*actions, SendMessage(turn.participant.chat_id, _summary_note(turn)))
    return StepResult(tuple(actions), state)


def _summary_note(turn: Turn[Event]) -> str:
    tr, data = turn.tr, turn.state.data
    reg = _registration(turn)
    who = " · ".join(str(data[key]) for key in (NAME, PHONE) if data.get(key))
    speaks = tr.language_name(str(data[SPEAKS]))
    return tr.gettext(
        "{person} ({language}): consent given by phone to the privacy notice version {version}."
        " ✅ Confirm adds them to the lottery; /cancel discards everything."
    ).format(person=who, language=speaks, version=reg.consent.version)


def _say(turn: Turn[Event], text: str) -> StepResult:
    return StepResult((SendMessage(turn.participant.chat_id, text),), turn.state)


def _prompt(turn: Turn[Event], step: Step, data: dict[str, Any]) -> tuple[Action, ...]:
    """What asks one of this flow's own steps, in the organiser's language."""
    tr, chat, reg = turn.tr, turn.participant.chat_id, _registration(turn)
    name = str(data.get(NAME) or "")
    if step == ASK_NAME:
        question = _name_question(reg)
        assert question is not None
        text = tr.gettext(
            "Registering someone without Telegram, by phone. What is the person's name?"
            " (at most {limit} characters; /cancel discards everything at any time)"
        ).format(limit=tr.number(question.max_length))
        return (SendMessage(chat, text),)
    if step == ASK_PHONE:
        text = tr.gettext("What is the phone number of {name}? Type it, or share their contact.")
        return (SendMessage(chat, text.format(name=name or "…")),)
    if step == ASK_LANGUAGE:
        buttons = rows(
            *(
                Button(basics.native_name(turn, code), PhoneButton(step.encode(), code).pack())
                for code in turn.ctx.assembly.languages
            )
        )
        text = tr.gettext("Which language does {name} speak?").format(name=name or "…")
        return (SendMessage(chat, text, buttons=buttons),)
    notice = turn.ctx.assembly.text(reg.consent.notice, str(data[SPEAKS]))
    ask = tr.gettext("Read this privacy notice (version {version}) to {name}. Do they agree to it?").format(
        version=reg.consent.version, name=name or "…"
    )
    buttons = (
        (
            Button(tr.gettext("✅ They agree"), PhoneButton(step.encode(), "yes").pack()),
            Button(tr.gettext("❌ They do not agree"), PhoneButton(step.encode(), "no").pack()),
        ),
    )
    return (SendMessage(chat, f"{notice}\n\n{ask}", buttons=buttons),)


def _next_own_step(turn: Turn[Event], after: Step | None) -> Step:
    """This flow's steps in order, leaving out the name or phone when the definition asks neither."""
    reg = _registration(turn)
    order = [
        step
        for step, present in (
            (ASK_NAME, _name_question(reg) is not None),
            (ASK_PHONE, _phone_question(reg) is not None),
            (ASK_LANGUAGE, True),
            (ASK_CONSENT, True),
        )
        if present
    ]
    return order[0] if after is None else order[order.index(after) + 1]


def _goto(turn: Turn[Event], step: Step, data: dict[str, Any], *lead: Action) -> StepResult:
    return StepResult((*lead, *_prompt(turn, step, data)), ConversationState(FLOW, step, data))


async def start(turn: Turn[Command]) -> StepResult:
    """/register_by_phone: organisers only, and not in the middle of another conversation."""
    refused = await refusal(turn, ORGANISER)
    if refused is not None:
        return refused
    tr = turn.tr
    if turn.ctx.assembly.registration is None:
        return _say(turn, tr.gettext("This assembly has no registration, so there is nobody to register."))
    if turn.state.flow is not None:
        return _say(turn, tr.gettext("Please finish what you are doing first, or type /cancel."))
    return _goto(turn, _next_own_step(turn, None), {})


async def discard(turn: Turn[Event]) -> StepResult:
    """/cancel: the person, their consent and every answer given so far go."""
    person = turn.state.data.get(PERSON)
    if person is not None:
        await turn.ctx.store.registrations.drop_by_phone(int(person))
    text = turn.tr.gettext("Registration by phone cancelled: nothing about this person was kept.")
    return StepResult((SendMessage(turn.participant.chat_id, text, remove_keyboard=True),), IDLE)


async def resume(turn: Turn[Event], *lead: Action) -> StepResult:
    """Ask the current step again."""
    step = turn.state.step
    if step is not None and step.stage in tuple(Stage):
        return _goto(turn, step, _data(turn), *lead)
    return _back_to_staff(turn, await answers.resume(_for_person(turn), lead))


async def on_command(turn: Turn[Command]) -> StepResult:
    """Every command while a registration by phone is under way."""
    name = turn.event.name
    if name == "cancel":
        return await discard(turn)
    if name in LET_THROUGH:
        return await turn.ctx.kit.router.commands[name](turn)
    held = turn.tr.gettext(
        "You are registering someone by phone: finish with ✅ Confirm under the summary,"
        " or type /cancel to discard it."
    )
    return await resume(turn, SendMessage(turn.participant.chat_id, held))


async def _on_name(turn: Turn[Event], text: str) -> StepResult:
    question = _name_question(_registration(turn))
    assert question is not None
    problem = answers.text_problem(turn.tr, question, text)
    if problem:
        return _say(turn, problem)
    data = {**_data(turn), NAME: text}
    return _goto(turn, _next_own_step(turn, ASK_NAME), data)


async def _on_phone(turn: Turn[Event], number: str) -> StepResult:
    question = _phone_question(_registration(turn))
    assert question is not None
    checked = check_written(question, number)
    if checked.problem or checked.value is None:
        return _say(
            turn,
            turn.tr.gettext(
                "That does not look like a phone number. Please type it with its digits,"
                " for example +32 470 12 34 56."
            ),
        )
    data = {**_data(turn), PHONE: checked.value}
    return _goto(turn, _next_own_step(turn, ASK_PHONE), data)


async def _on_consent(turn: Turn[Event], agreed: bool, *lead: Action) -> StepResult:
    tr, data = turn.tr, _data(turn)
    name = str(data.get(NAME) or "…")
    if not agreed:
        text = tr.gettext("Understood: nothing about {name} was kept. Without consent they cannot take part.")
        return StepResult((*lead, SendMessage(turn.participant.chat_id, text.format(name=name))), IDLE)
    reg, store, now = _registration(turn), turn.ctx.store.registrations, turn.ctx.clock.now()
    person = await store.open_by_phone(str(data[SPEAKS]), reg.consent.version, now)
    for question, key in ((_name_question(reg), NAME), (_phone_question(reg), PHONE)):
        if question is not None:
            await store.save_answer(person, question.id, data.get(key), now)
    turn = replace(turn, state=ConversationState(FLOW, turn.state.step, {**data, PERSON: person}))
    return _back_to_staff(turn, await answers.first_question(_for_person(turn), lead))


async def _confirm(turn: Turn[Event], *lead: Action) -> StepResult:
    """The summary confirmed: the person is registered and the organiser who took it audited."""
    person = _for_person(turn)
    missing = await answers.complete(person)
    if missing is not None:
        return _back_to_staff(turn, replace(missing, actions=(*lead, *missing.actions)))
    now = turn.ctx.clock.now()
    await turn.ctx.store.registrations.registered_by_phone(person.participant.id, turn.participant.id, now)
    text = turn.tr.gettext(
        "{name} is registered (participant {id}) and takes part in the next draw. If drawn, they are on"
        " the call list for the organisers to phone."
    ).format(name=turn.state.data.get(NAME) or "…", id=person.participant.id)
    return StepResult((*lead, SendMessage(turn.participant.chat_id, text)), IDLE)


async def on_event(turn: Turn[Event]) -> StepResult | None:
    """Typed text and shared contacts during a registration by phone."""
    event, step = turn.event, turn.state.step
    if turn.ctx.assembly.registration is None:
        return None
    if isinstance(event, ContactShared):
        return await _on_phone(turn, event.phone_number) if step == ASK_PHONE else None
    if not isinstance(event, Text):
        return None
    text = event.text.strip()
    if step == ASK_NAME:
        return await _on_name(turn, text)
    if step == ASK_PHONE:
        return await _on_phone(turn, text)
    if step == ASK_LANGUAGE:
        return _say(turn, turn.tr.gettext("Please choose a language with the buttons."))
    if step == ASK_CONSENT:
        yes = typed_yes_no(text, turn.ctx.assembly.languages)
        if yes is not None:
            return await _on_consent(turn, yes)
        return _say(
            turn, turn.tr.gettext("Please answer with the buttons: “They agree” or “They do not agree”.")
        )
    if step == SUMMARY and typed_yes_no(text, turn.ctx.assembly.languages):
        return await _confirm(turn)
    result = await answers.on_event(_for_person(turn))
    return None if result is None else _back_to_staff(turn, result)


async def on_own_button(turn: Turn[ButtonPress], button: PhoneButton) -> StepResult:
    """The person's language, or the notice's answer."""
    ack = AnswerButton(turn.event.query_id)
    step = Step.decode(button.step)
    if turn.state.flow != FLOW or step != turn.state.step:
        return await basics.stale_button(turn)
    if step == ASK_LANGUAGE and button.value in turn.ctx.assembly.languages:
        data = {**_data(turn), SPEAKS: button.value}
        return _goto(turn, _next_own_step(turn, ASK_LANGUAGE), data, ack)
    if step == ASK_CONSENT and button.value in ("yes", "no"):
        return await _on_consent(turn, button.value == "yes", ack)
    return await basics.stale_button(turn)


async def on_step_button(turn: Turn[ButtonPress], button: StepButton) -> StepResult | None:
    """The registration steps' buttons (`rg:`) while registering someone by phone; others' are not ours."""
    if turn.state.flow != FLOW:
        return None
    if turn.state.step == SUMMARY and button.step == SUMMARY.encode() and button.value == "ok":
        return await _confirm(turn, AnswerButton(turn.event.query_id))
    result = await answers.on_step_button(_for_person(turn).about(turn.event), button)
    if result.state.step in (LANGUAGE, CONSENT):  # back from the first question: consent is taken
        return await resume(turn, AnswerButton(turn.event.query_id))
    return _back_to_staff(turn, result)


def install(router: Router) -> None:
    """Before the registration flow's own, so that `rg:` presses in this flow come here first."""
    router.commands[COMMAND] = start
    router.holds[FLOW] = on_command
    router.flows[FLOW] = on_event
    router.button(PhoneButton, on_own_button)
    router.button(StepButton, on_step_button)
