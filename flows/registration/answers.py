"""Registration answers: typed text, shared contacts and button presses, and moving between steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows import basics
from flows.actions import Action, AnswerButton, EditMessage, SendMessage
from flows.engine import IDLE, ConversationState, Step, StepResult, Turn
from flows.events import ButtonPress, ContactShared, Event, Text
from flows.ports import Translator
from flows.questionnaire import Question, is_answered
from flows.registration.checks import multi_values, parse_number
from flows.registration.prompts import choice_buttons, prompt, question_text
from flows.registration.steps import (
    CONSENT,
    COPY,
    EDIT,
    FLOW,
    LANGUAGE,
    MULTI,
    SUMMARY,
    TOGGLE,
    Stage,
    StepButton,
    asking,
    current_step,
    noting,
    question_of,
    registration_of,
)
from flows.status import ParticipantStatus
from flows.yes_no import typed_yes_no


def _data(turn: Turn[Event]) -> dict[str, Any]:
    return dict(turn.state.data)


def _offered(question: Question) -> list[str]:
    """The values the question's buttons offer now (the definition may have changed since)."""
    if question.kind == "availability":
        return [day.isoformat() for day in question.dates]
    return list(question.values)


def _picked(question: Question, value: Any) -> list[str]:
    if value is None:
        return []
    if question.kind == "accessibility":
        picked = list(value["needs"])
    elif question.kind in ("multiple", "availability"):
        picked = list(value)
    else:
        return []
    return [item for item in picked if item in _offered(question)]


def still_valid(question: Question, value: Any) -> bool:
    """Whether a stored answer still completes `question` as the definition now stands: a choice
    removed or renamed since it was picked leaves the question to be answered again."""
    if value is None or question.kind not in ("choice", "multiple", "availability"):
        return is_answered(question, value)
    picked = [value] if question.kind == "choice" else list(value)
    return all(item in _offered(question) for item in picked) and bool(picked or question.optional)


def stranded(turn: Turn[Event]) -> bool:
    """The conversation stands at a question the definition no longer has."""
    step = current_step(turn)
    return step.stage in (Stage.QUESTION, Stage.NOTE) and question_of(turn, step) is None


async def _realign(turn: Turn[Event], lead: Sequence[Action] = ()) -> StepResult:
    """The question this person was at has been removed from the definition: keep every answer and
    go on with the first question still to answer (or the summary), saying why the question changed."""
    reg = registration_of(turn)
    assert reg is not None
    answers = await turn.ctx.store.registrations.answers(turn.participant.id)
    missing = [q for q in reg.questions if not still_valid(q, answers.get(q.id))]
    changed = turn.tr.gettext(
        "The questionnaire has changed since your last message. Your answers are kept; let us go on."
    )
    notice = SendMessage(turn.participant.chat_id, changed)
    return await _goto(turn, asking(missing[0]) if missing else SUMMARY, {}, (*lead, notice))


SHOWN = "shown"
"""The state's id of the message last used to tick a multiple-choice question."""


def _new_copy(data: dict[str, Any]) -> dict[str, Any]:
    """`data` for a question message about to be sent: the next copy number, no message known yet."""
    data.pop(SHOWN, None)
    data[COPY] = int(data.get(COPY) or 0) + 1
    return data


def _retire(turn: Turn[Event], question: Question, message_id: int | None) -> tuple[Action, ...]:
    """Take the buttons off an older copy of `question`, so only the newest one can be answered."""
    reg = registration_of(turn)
    if message_id is None or reg is None or question.kind not in MULTI:
        return ()
    text = question_text(turn, turn.tr, reg, question)
    return (EditMessage(turn.participant.chat_id, message_id, text),)


async def _goto(
    turn: Turn[Event],
    step: Step,
    data: dict[str, Any],
    lead: Sequence[Action] = (),
    tr: Translator | None = None,
) -> StepResult:
    tr = tr or turn.tr
    data = _new_copy({key: value for key, value in data.items() if key in ("editing", COPY)})
    if step.stage == Stage.QUESTION:
        question = question_of(turn, step)
        assert question is not None
        answers = await turn.ctx.store.registrations.answers(turn.participant.id)
        data["picked"] = _picked(question, answers.get(question.id))
    if step == SUMMARY:
        data.pop("editing", None)
    actions = (*lead, *await prompt(turn, tr, step, data))
    return StepResult(actions, ConversationState(FLOW, step, data))


def _leaving_phone(turn: Turn[Event], tr: Translator) -> tuple[Action, ...]:
    """Take the contact keyboard away once the phone question is behind us."""
    step = current_step(turn)
    question = question_of(turn, step) if step.stage == Stage.QUESTION else None
    if question is not None and question.kind == "phone":
        return (SendMessage(turn.participant.chat_id, tr.gettext("Noted."), remove_keyboard=True),)
    return ()


async def _after_answer(turn: Turn[Event], question: Question, lead: Sequence[Action] = ()) -> StepResult:
    reg = registration_of(turn)
    assert reg is not None
    data = _data(turn)
    lead = (*lead, *_leaving_phone(turn, turn.tr))
    if question.kind == "accessibility" and turn.state.step == asking(question):
        return await _goto(turn, noting(question), data, lead)
    if data.get("editing"):
        return await _goto(turn, SUMMARY, data, lead)
    index = reg.questions.index(question)
    if index + 1 < len(reg.questions):
        return await _goto(turn, asking(reg.questions[index + 1]), data, lead)
    return await _goto(turn, SUMMARY, data, lead)


async def _go_back(turn: Turn[Event], lead: Sequence[Action] = ()) -> StepResult:
    reg = registration_of(turn)
    assert reg is not None
    step, data = current_step(turn), _data(turn)
    lead = (*lead, *_leaving_phone(turn, turn.tr))
    if step == CONSENT:
        return await _goto(turn, LANGUAGE, data, lead)
    if step == SUMMARY:
        return await _goto(turn, asking(reg.questions[-1]), data, lead)
    question = question_of(turn, step)
    assert question is not None
    if step.stage == Stage.NOTE:
        return await _goto(turn, asking(question), data, lead)
    if data.get("editing"):
        return await _goto(turn, SUMMARY, data, lead)
    index = reg.questions.index(question)
    target = CONSENT if index == 0 else asking(reg.questions[index - 1])
    return await _goto(turn, target, data, lead)


async def begin(turn: Turn[Event], lead: Sequence[Action] = ()) -> StepResult:
    """Open (or reopen) the registration conversation at the language step."""
    await turn.ctx.store.registrations.set_status(
        turn.participant.id, ParticipantStatus.REGISTERING, turn.ctx.clock.now()
    )
    return await _goto(turn, LANGUAGE, {}, lead)


async def first_question(turn: Turn[Event], lead: Sequence[Action] = ()) -> StepResult:
    """Consent given: the questionnaire's first question."""
    reg = registration_of(turn)
    assert reg is not None
    return await _goto(turn, asking(reg.questions[0]), {}, lead)


async def resume(turn: Turn[Event], lead: Sequence[Action] = ()) -> StepResult:
    """Send the current step again; a multiple-choice question's copy last used loses its buttons."""
    if stranded(turn):
        return await _realign(turn, lead)
    step, data = current_step(turn), _data(turn)
    question = question_of(turn, step) if step.stage == Stage.QUESTION else None
    retired = () if question is None else _retire(turn, question, data.get(SHOWN))
    data = _new_copy(data)
    actions = (*lead, *retired, *await prompt(turn, turn.tr, step, data))
    return StepResult(actions, ConversationState(FLOW, step, data))


def _reask(turn: Turn[Event], text: str, *, with_prompt: Sequence[Action] = ()) -> StepResult:
    return StepResult((SendMessage(turn.participant.chat_id, text), *with_prompt), turn.state)


async def _save(turn: Turn[Event], question: Question, value: Any) -> None:
    await turn.ctx.store.registrations.save_answer(
        turn.participant.id, question.id, value, turn.ctx.clock.now()
    )


async def _on_text(turn: Turn[Event], text: str) -> StepResult:
    tr, step = turn.tr, current_step(turn)
    yes = typed_yes_no(text, turn.ctx.assembly.languages)
    if step == LANGUAGE:
        return _reask(turn, tr.gettext("Please choose a language with the buttons."))
    if step == CONSENT:
        if yes is not None:
            return await _on_consent(turn, "yes" if yes else "no")
        return _reask(turn, tr.gettext("Please answer with the buttons: “I agree” or “I do not agree”."))
    if step == SUMMARY:
        if yes:
            return await _confirm_summary(turn)
        return _reask(
            turn,
            tr.gettext("Please use the buttons under your answers: ✅ Confirm, or ✏️ to change an answer."),
        )
    question = question_of(turn, step)
    assert question is not None
    text = text.strip()
    if step.stage == Stage.NOTE:
        if len(text) > question.max_length:
            return _reask(turn, _too_long(tr, question.max_length, len(text)))
        answers = await turn.ctx.store.registrations.answers(turn.participant.id)
        value = dict(answers.get(question.id) or {"needs": []})
        value["note"] = text
        await _save(turn, question, value)
        return await _after_answer(turn, question)
    if question.kind == "text":
        problem = text_problem(tr, question, text)
        if problem:
            return _reask(turn, problem)
        await _save(turn, question, text)
        return await _after_answer(turn, question)
    if question.kind == "number":
        return await _on_number(turn, question, text)
    if question.kind == "yes_no" and yes is not None:
        await _save(turn, question, "yes" if yes else "no")
        return await _after_answer(turn, question)
    if question.kind == "phone":
        return _reask(
            turn,
            tr.gettext(
                "Please do not type your number: use the button “📱 Share my phone number” below,"
                " or press Skip."
            ),
        )
    return _reask(turn, tr.gettext("Please answer with the buttons under the question."))


def text_problem(tr: Translator, question: Question, text: str) -> str:
    """Why `text` (stripped) cannot answer a text question, in `tr`'s language; empty when it can."""
    if not text:
        return tr.gettext("Please type your answer as text.")
    if len(text) > question.max_length:
        return _too_long(tr, question.max_length, len(text))
    return ""


def _too_long(tr: Translator, limit: int, length: int) -> str:
    return tr.gettext("That is too long: at most {limit} characters, please (you wrote {length}).").format(
        limit=tr.number(limit), length=tr.number(length)
    )


async def _on_number(turn: Turn[Event], question: Question, text: str) -> StepResult:
    tr = turn.tr
    low, high = question.min or 0, question.max or 0
    value = parse_number(question, text)
    if value is None:
        expected = tr.gettext("Please type a whole number from {low} to {high}, in digits.").format(
            low=tr.number(low), high=tr.number(high)
        )
        return _reask(turn, expected)
    await _save(turn, question, value)
    return await _after_answer(turn, question)


async def _on_contact(turn: Turn[Event], event: ContactShared) -> StepResult | None:
    tr, step = turn.tr, current_step(turn)
    question = question_of(turn, step) if step.stage == Stage.QUESTION else None
    if question is None or question.kind != "phone":
        return None
    if not event.own:
        return _reask(
            turn,
            tr.gettext(
                "That is someone else's contact, so I have not kept it. Please share your own number"
                " with the button, or press Skip."
            ),
        )
    await _save(turn, question, event.phone_number)
    return await _after_answer(turn, question)


async def _on_question_button(turn: Turn[ButtonPress], question: Question, button: StepButton) -> StepResult:
    tr, data, value, message_id = turn.tr, _data(turn), button.value, turn.event.message_id
    if value == "skip" and question.skippable:
        await _save(turn, question, None)
        return await _after_answer(turn, question)
    if question.kind in ("choice", "yes_no") and value in question.values:
        await _save(turn, question, value)
        return await _after_answer(turn, question)
    allowed = multi_values(question)
    picked: list[str] = list(data.get("picked", []))
    choice = button.item(TOGGLE)
    if choice in allowed and question.kind in MULTI:
        picked = [p for p in picked if p != choice] if choice in picked else [*picked, choice]
        picked = [v for v in allowed if v in picked]
        data["picked"] = picked
        if message_id is None:  # the message is no longer reachable: a new copy shows the ticks
            data = _new_copy(data)
            return StepResult(
                await prompt(turn, tr, current_step(turn), data),
                ConversationState(FLOW, turn.state.step, data),
            )
        data[SHOWN] = message_id
        reg = registration_of(turn)
        assert reg is not None
        text = question_text(turn, tr, reg, question)
        keyboard = choice_buttons(turn, tr, question, picked, data.get(COPY))
        state = ConversationState(FLOW, turn.state.step, data)
        return StepResult((EditMessage(turn.participant.chat_id, message_id, text, keyboard),), state)
    if value == "done" and question.kind in MULTI:
        if not picked and question.kind != "accessibility" and not question.optional:
            return _reask(turn, tr.gettext("Please choose at least one answer, then press Done."))
        if question.kind == "accessibility":
            answers = await turn.ctx.store.registrations.answers(turn.participant.id)
            previous = answers.get(question.id) or {}
            await _save(turn, question, {"needs": picked, "note": previous.get("note", "")})
        else:
            await _save(turn, question, picked)
        return await _after_answer(turn, question)
    return _reask(turn, tr.gettext("This button is no longer valid."))


async def _on_summary_button(turn: Turn[Event], button: StepButton) -> StepResult:
    reg = registration_of(turn)
    assert reg is not None
    edited = reg.question(button.item(EDIT) or "")
    if edited is not None:
        return await _goto(turn, asking(edited), {"editing": True})
    if button.value != "ok":
        return _reask(turn, turn.tr.gettext("This button is no longer valid."))
    return await _confirm_summary(turn)


async def complete(turn: Turn[Event]) -> StepResult | None:
    """The summary confirmed: the registration is complete (status registered; None), unless an answer
    is still missing (then that question, asked again)."""
    reg = registration_of(turn)
    assert reg is not None
    answers = await turn.ctx.store.registrations.answers(turn.participant.id)
    missing = [q for q in reg.questions if not still_valid(q, answers.get(q.id))]
    if missing:
        notice = SendMessage(turn.participant.chat_id, turn.tr.gettext("One answer is still missing."))
        return await _goto(turn, asking(missing[0]), {"editing": True}, (notice,))
    await turn.ctx.store.registrations.set_status(
        turn.participant.id, ParticipantStatus.REGISTERED, turn.ctx.clock.now()
    )
    return None


async def _confirm_summary(turn: Turn[Event]) -> StepResult:
    """The summary confirmed (✅ or a typed yes): complete unless an answer is still missing."""
    missing = await complete(turn)
    if missing is not None:
        return missing
    done = turn.tr.gettext(
        "Thank you, your registration is complete! I will write to you after the lottery."
        " Type /mydata to see what I keep about you."
    )
    return StepResult((SendMessage(turn.participant.chat_id, done),), IDLE)


async def _on_consent(turn: Turn[Event], value: str) -> StepResult:
    reg, tr = registration_of(turn), turn.tr
    assert reg is not None
    now = turn.ctx.clock.now()
    if value == "yes":
        await turn.ctx.store.registrations.record_consent(turn.participant.id, reg.consent.version, now)
        return await first_question(turn)
    if value == "no":
        await turn.ctx.store.registrations.erase(turn.participant.id, ParticipantStatus.CONSENT_DECLINED)
        bye = tr.gettext(
            "Understood. I have kept nothing about you except the fact that you declined."
            " Thank you for your time, and all the best."
        )
        return StepResult(
            (SendMessage(turn.participant.chat_id, bye, remove_keyboard=True),), IDLE, erased=True
        )
    return _reask(turn, tr.gettext("This button is no longer valid."))


async def on_step_button(turn: Turn[ButtonPress], button: StepButton) -> StepResult:
    """A step's button: check that it belongs to the current step, then apply it."""
    event, step, value = turn.event, Step.decode(button.step), button.value
    ack = AnswerButton(event.query_id)
    if registration_of(turn) is None or turn.state.flow != FLOW:
        return await basics.stale_button(turn)
    if stranded(turn):
        return await _realign(turn, (ack,))
    if step is None or step != turn.state.step:
        notice = turn.tr.gettext("That button belongs to an earlier step. Please answer the latest question.")
        return await resume(turn, (AnswerButton(event.query_id, notice),))
    question = question_of(turn, step)
    copy = turn.state.data.get(COPY)
    ticked = step.stage == Stage.QUESTION and question is not None and question.kind in MULTI
    if ticked and value != "back" and button.copy != (None if copy is None else str(copy)):
        assert question is not None
        notice = turn.tr.gettext("This is an older copy of the question. Please use the newest one below.")
        return StepResult(
            (AnswerButton(event.query_id, notice), *_retire(turn, question, event.message_id)), turn.state
        )
    if value == "back" and step != LANGUAGE:
        result = await _go_back(turn)
    elif step == LANGUAGE:
        result = await _on_language(turn, value)
    elif step == CONSENT:
        result = await _on_consent(turn, value)
    elif step == SUMMARY:
        result = await _on_summary_button(turn, button)
    elif step.stage == Stage.NOTE and value == "none":
        assert question is not None
        result = await _after_answer(turn, question)
    elif step.stage == Stage.QUESTION and question is not None:
        result = await _on_question_button(turn, question, button)
    else:
        return await basics.stale_button(turn)
    return StepResult((ack, *result.actions), result.state, result.erased)


async def _on_language(turn: Turn[Event], code: str) -> StepResult:
    if code not in turn.ctx.assembly.languages:
        return _reask(turn, turn.tr.gettext("Please choose a language with the buttons."))
    await turn.ctx.store.set_language(turn.participant.id, code)
    return await _goto(turn, CONSENT, _data(turn), tr=turn.ctx.translations.for_language(code))


async def on_event(turn: Turn[Event]) -> StepResult | None:
    """Free text and shared contacts while registering; commands fall through to the router."""
    event = turn.event
    if registration_of(turn) is None:
        return None
    if isinstance(event, Text | ContactShared) and stranded(turn):
        return await _realign(turn)
    if isinstance(event, Text):
        return await _on_text(turn, event.text)
    if isinstance(event, ContactShared):
        return await _on_contact(turn, event)
    return None
