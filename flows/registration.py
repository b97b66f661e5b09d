"""The registration conversation: language, privacy consent, the questionnaire, a summary to confirm.

Every step is a token kept in the conversation state ("lang", "consent", "q.<id>", "n.<id>", "sum");
buttons carry the token of the step that sent them (`rg:<token>:<value>`), so a button from an
earlier step is refused instead of being applied to the current question. Answers are stored per
question as they come, so leaving, coming back or a restart continues exactly where it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flows import basics
from flows.actions import Action, AnswerButton, Button, EditMessage, Keyboard, SendMessage, rows
from flows.engine import IDLE, ConversationState, Router, StepResult, Turn
from flows.events import ButtonPress, Command, ContactShared, Text
from flows.markers import N_
from flows.ports import Translator
from flows.questionnaire import Question, Registration, is_answered
from flows.registry import InvitationOutcome, registry
from flows.status import AFTER_REGISTRATION, ParticipantStatus

FLOW = "registration"
PREFIX = "rg"
OPEN_PAYLOAD = "register"
"""The open-registration deep link is `https://t.me/<bot>?start=register`."""

SUMMARY_QUESTION = 80
SUMMARY_ANSWER = 300
MAX_TEXT = 4000

HINTS = {
    "choice": N_("Choose one answer."),
    "multiple": N_("Choose every answer that applies, then press Done."),
    "yes_no": N_("Answer yes or no."),
    "availability": N_("Choose every date on which you can attend, then press Done."),
    "accessibility": N_("Choose any support you would need, then press Done. You can add details next."),
}


def _registration(turn: Turn) -> Registration | None:
    return turn.ctx.assembly.registration


def _data(turn: Turn) -> dict[str, Any]:
    return dict(turn.state.data)


def _back(tr: Translator, token: str) -> Button:
    return Button(tr.gettext("◀ Back"), f"{PREFIX}:{token}:back")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- rendering ------------------------------------------------------------------------------------


def _language_prompt(turn: Turn, tr: Translator) -> tuple[Action, ...]:
    assembly = turn.ctx.assembly
    text = tr.gettext("Registration for {assembly}. First, choose your language:").format(
        assembly=assembly.text(assembly.name, tr.language)
    )
    buttons = rows(
        *(Button(basics.native_name(turn, code), f"{PREFIX}:lang:{code}") for code in assembly.languages)
    )
    return (SendMessage(turn.participant.chat_id, text, buttons=buttons),)


def _consent_prompt(turn: Turn, tr: Translator, reg: Registration) -> tuple[Action, ...]:
    notice = turn.ctx.assembly.text(reg.consent.notice, tr.language)
    ask = tr.gettext("Do you agree to this privacy notice (version {version})?").format(
        version=reg.consent.version
    )
    buttons = (
        (
            Button(tr.gettext("✅ I agree"), f"{PREFIX}:consent:yes"),
            Button(tr.gettext("❌ I do not agree"), f"{PREFIX}:consent:no"),
        ),
        (_back(tr, "consent"),),
    )
    return (SendMessage(turn.participant.chat_id, f"{notice}\n\n{ask}", buttons=buttons),)


def _choice_buttons(
    turn: Turn, tr: Translator, question: Question, picked: Sequence[str], token: str
) -> Keyboard:
    assembly = turn.ctx.assembly
    if question.kind == "yes_no":
        options = [("yes", tr.gettext("Yes")), ("no", tr.gettext("No"))]
    elif question.kind == "availability":
        options = [(day.isoformat(), tr.date(day, "full")) for day in question.dates]
    else:
        options = [(c.id, assembly.text(c.text, tr.language)) for c in question.choices]
    multi = question.kind in ("multiple", "availability", "accessibility")
    buttons = [
        Button(f"☑ {label}" if value in picked else label, f"{PREFIX}:{token}:{'t.' if multi else ''}{value}")
        for value, label in options
    ]
    keyboard = list(rows(*buttons, width=1 if multi or question.kind == "availability" else 2))
    controls = [_back(tr, token)]
    if question.skippable and not multi:
        controls.append(Button(tr.gettext("Skip"), f"{PREFIX}:{token}:skip"))
    if multi:
        controls.append(Button(tr.gettext("Done ✓"), f"{PREFIX}:{token}:done"))
    keyboard.append(tuple(controls))
    return tuple(keyboard)


def _question_text(turn: Turn, tr: Translator, reg: Registration, question: Question) -> str:
    number = reg.questions.index(question) + 1
    header = tr.gettext("Question {number} of {total}").format(number=number, total=len(reg.questions))
    text = turn.ctx.assembly.text(question.text, tr.language)
    if question.kind == "text":
        hint = tr.gettext("Type your answer (at most {limit} characters).").format(limit=question.max_length)
    elif question.kind == "number":
        hint = tr.gettext("Type a number from {low} to {high}.").format(
            low=tr.number(question.min or 0), high=tr.number(question.max or 0)
        )
    elif question.kind == "phone":
        hint = tr.gettext(
            "Use the button “📱 Share my phone number” below, or press Skip: this question is optional."
        )
    else:
        hint = tr.gettext(HINTS[question.kind])
    if question.optional and question.kind != "phone":
        hint += " " + tr.gettext("This question is optional.")
    return f"{header}\n\n{text}\n\n{hint}"


def _question_prompt(
    turn: Turn, tr: Translator, reg: Registration, question: Question, picked: Sequence[str]
) -> tuple[Action, ...]:
    chat, token = turn.participant.chat_id, f"q.{question.id}"
    text = _question_text(turn, tr, reg, question)
    if question.kind in ("text", "number"):
        controls = [_back(tr, token)]
        if question.optional:
            controls.append(Button(tr.gettext("Skip"), f"{PREFIX}:{token}:skip"))
        return (SendMessage(chat, text, buttons=(tuple(controls),)),)
    if question.kind == "phone":
        phone_controls = (_back(tr, token), Button(tr.gettext("Skip"), f"{PREFIX}:{token}:skip"))
        share = tr.gettext("📱 Share my phone number")
        return (
            SendMessage(chat, text, buttons=(phone_controls,)),
            SendMessage(chat, tr.gettext("The button is below the typing field."), contact_button=share),
        )
    return (SendMessage(chat, text, buttons=_choice_buttons(turn, tr, question, picked, token)),)


def _note_prompt(turn: Turn, tr: Translator, question: Question) -> tuple[Action, ...]:
    token = f"n.{question.id}"
    text = tr.gettext(
        "Is there anything else we should know to welcome you well? Type it (at most {limit} characters),"
        " or press Nothing to add."
    ).format(limit=question.max_length)
    buttons = ((_back(tr, token), Button(tr.gettext("Nothing to add"), f"{PREFIX}:{token}:none")),)
    return (SendMessage(turn.participant.chat_id, text, buttons=buttons),)


def answer_text(turn: Turn, tr: Translator, question: Question, value: Any) -> str:
    """An answer as the participant reads it in the summary and in /mydata."""
    assembly = turn.ctx.assembly
    if value is None:
        return tr.gettext("not given")
    if question.kind == "number":
        return tr.number(value)
    if question.kind == "yes_no":
        return tr.gettext("Yes") if value == "yes" else tr.gettext("No")
    if question.kind == "choice":
        choice = question.choice(value)
        return assembly.text(choice.text, tr.language) if choice else str(value)
    if question.kind == "availability":
        days = [tr.date(date.fromisoformat(day), "medium") for day in value]
        return ", ".join(days) or tr.gettext("none")
    if question.kind in ("multiple", "accessibility"):
        picked = value["needs"] if question.kind == "accessibility" else value
        labels = [assembly.text(c.text, tr.language) for c in question.choices if c.id in picked]
        text = ", ".join(labels) or tr.gettext("none")
        if question.kind == "accessibility" and value.get("note"):
            text += f" ({value['note']})"
        return text
    return str(value)


def _summary_prompt(
    turn: Turn, tr: Translator, reg: Registration, answers: dict[str, Any]
) -> tuple[Action, ...]:
    lines = [tr.gettext("Please check your answers:"), ""]
    for number, question in enumerate(reg.questions, start=1):
        asked = _shorten(turn.ctx.assembly.text(question.text, tr.language), SUMMARY_QUESTION)
        answer = _shorten(answer_text(turn, tr, question, answers.get(question.id)), SUMMARY_ANSWER)
        lines.append(f"{number}. {asked}\n   → {answer}")
    lines += [
        "",
        tr.gettext("Press Confirm to complete your registration, or ✏️ and a number to change an answer."),
    ]
    edits = [Button(f"✏️ {n}", f"{PREFIX}:sum:e.{q.id}") for n, q in enumerate(reg.questions, start=1)]
    keyboard = (
        *rows(*edits, width=5),
        (_back(tr, "sum"), Button(tr.gettext("✅ Confirm"), f"{PREFIX}:sum:ok")),
    )
    return (SendMessage(turn.participant.chat_id, _shorten("\n".join(lines), MAX_TEXT), buttons=keyboard),)


async def _prompt(turn: Turn, tr: Translator, step: str, data: dict[str, Any]) -> tuple[Action, ...]:
    reg = _registration(turn)
    assert reg is not None
    if step == "lang":
        return _language_prompt(turn, tr)
    if step == "consent":
        return _consent_prompt(turn, tr, reg)
    answers = await registry(turn).answers(turn.participant.id)
    if step == "sum":
        return _summary_prompt(turn, tr, reg, answers)
    question = reg.question(step[2:])
    assert question is not None
    if step.startswith("n."):
        return _note_prompt(turn, tr, question)
    return _question_prompt(turn, tr, reg, question, data.get("picked", []))


# -- moving between steps -------------------------------------------------------------------------


def _picked(question: Question, value: Any) -> list[str]:
    if value is None:
        return []
    if question.kind == "accessibility":
        return list(value["needs"])
    return list(value) if question.kind in ("multiple", "availability") else []


async def _goto(
    turn: Turn, step: str, data: dict[str, Any], lead: Sequence[Action] = (), tr: Translator | None = None
) -> StepResult:
    tr = tr or turn.tr
    reg = _registration(turn)
    assert reg is not None
    data = {key: value for key, value in data.items() if key == "editing"}
    if step.startswith("q."):
        question = reg.question(step[2:])
        assert question is not None
        answers = await registry(turn).answers(turn.participant.id)
        data["picked"] = _picked(question, answers.get(question.id))
    if step == "sum":
        data.pop("editing", None)
    actions = (*lead, *await _prompt(turn, tr, step, data))
    return StepResult(actions, ConversationState(FLOW, step, data))


def _leaving_phone(turn: Turn, tr: Translator) -> tuple[Action, ...]:
    """Take the contact keyboard away once the phone question is behind us."""
    if turn.state.step and turn.state.step.startswith("q."):
        reg = _registration(turn)
        question = reg.question(turn.state.step[2:]) if reg else None
        if question is not None and question.kind == "phone":
            return (SendMessage(turn.participant.chat_id, tr.gettext("Noted."), remove_keyboard=True),)
    return ()


async def _after_answer(turn: Turn, question: Question, lead: Sequence[Action] = ()) -> StepResult:
    reg = _registration(turn)
    assert reg is not None
    data = _data(turn)
    lead = (*lead, *_leaving_phone(turn, turn.tr))
    if question.kind == "accessibility" and turn.state.step == f"q.{question.id}":
        return await _goto(turn, f"n.{question.id}", data, lead)
    if data.get("editing"):
        return await _goto(turn, "sum", data, lead)
    index = reg.questions.index(question)
    if index + 1 < len(reg.questions):
        return await _goto(turn, f"q.{reg.questions[index + 1].id}", data, lead)
    return await _goto(turn, "sum", data, lead)


async def _go_back(turn: Turn, lead: Sequence[Action] = ()) -> StepResult:
    reg = _registration(turn)
    assert reg is not None
    step, data = turn.state.step or "lang", _data(turn)
    lead = (*lead, *_leaving_phone(turn, turn.tr))
    if step == "consent":
        return await _goto(turn, "lang", data, lead)
    if step == "sum":
        return await _goto(turn, f"q.{reg.questions[-1].id}", data, lead)
    if step.startswith("n."):
        return await _goto(turn, f"q.{step[2:]}", data, lead)
    if data.get("editing"):
        return await _goto(turn, "sum", data, lead)
    question = reg.question(step[2:])
    assert question is not None
    index = reg.questions.index(question)
    target = "consent" if index == 0 else f"q.{reg.questions[index - 1].id}"
    return await _goto(turn, target, data, lead)


async def begin(turn: Turn, lead: Sequence[Action] = ()) -> StepResult:
    """Open (or reopen) the registration conversation at the language step."""
    await registry(turn).set_status(turn.participant.id, ParticipantStatus.REGISTERING, turn.ctx.clock.now())
    return await _goto(turn, "lang", {}, lead)


async def resume(turn: Turn, lead: Sequence[Action] = ()) -> StepResult:
    step = turn.state.step or "lang"
    actions = (*lead, *await _prompt(turn, turn.tr, step, _data(turn)))
    return StepResult(actions, turn.state)


# -- answers --------------------------------------------------------------------------------------


def _reask(turn: Turn, text: str, *, with_prompt: Sequence[Action] = ()) -> StepResult:
    return StepResult((SendMessage(turn.participant.chat_id, text), *with_prompt), turn.state)


async def _save(turn: Turn, question: Question, value: Any) -> None:
    await registry(turn).save_answer(turn.participant.id, question.id, value, turn.ctx.clock.now())


async def _on_text(turn: Turn, text: str) -> StepResult:
    reg, tr, step = _registration(turn), turn.tr, turn.state.step or "lang"
    assert reg is not None
    if step == "lang":
        return _reask(turn, tr.gettext("Please choose a language with the buttons."))
    if step == "consent":
        return _reask(turn, tr.gettext("Please answer with the buttons: “I agree” or “I do not agree”."))
    if step == "sum":
        return _reask(
            turn,
            tr.gettext("Please use the buttons under your answers: ✅ Confirm, or ✏️ to change an answer."),
        )
    question = reg.question(step[2:])
    assert question is not None
    text = text.strip()
    if step.startswith("n."):
        if len(text) > question.max_length:
            return _reask(turn, _too_long(tr, question.max_length, len(text)))
        answers = await registry(turn).answers(turn.participant.id)
        value = dict(answers.get(question.id) or {"needs": []})
        value["note"] = text
        await _save(turn, question, value)
        return await _after_answer(turn, question)
    if question.kind == "text":
        if not text:
            return _reask(turn, tr.gettext("Please type your answer as text."))
        if len(text) > question.max_length:
            return _reask(turn, _too_long(tr, question.max_length, len(text)))
        await _save(turn, question, text)
        return await _after_answer(turn, question)
    if question.kind == "number":
        return await _on_number(turn, question, text)
    if question.kind == "phone":
        return _reask(
            turn,
            tr.gettext(
                "Please do not type your number: use the button “📱 Share my phone number” below,"
                " or press Skip."
            ),
        )
    return _reask(turn, tr.gettext("Please answer with the buttons under the question."))


def _too_long(tr: Translator, limit: int, length: int) -> str:
    return tr.gettext("That is too long: at most {limit} characters, please (you wrote {length}).").format(
        limit=tr.number(limit), length=tr.number(length)
    )


async def _on_number(turn: Turn, question: Question, text: str) -> StepResult:
    tr = turn.tr
    low, high = question.min or 0, question.max or 0
    try:
        value = int(text.replace(" ", ""))  # int() also reads Arabic-Indic digits such as ٣٤
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        expected = tr.gettext("Please type a whole number from {low} to {high}, in digits.").format(
            low=tr.number(low), high=tr.number(high)
        )
        return _reask(turn, expected)
    await _save(turn, question, value)
    return await _after_answer(turn, question)


async def _on_contact(turn: Turn, event: ContactShared) -> StepResult | None:
    reg, tr, step = _registration(turn), turn.tr, turn.state.step or ""
    question = reg.question(step[2:]) if reg and step.startswith("q.") else None
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


async def _on_question_button(
    turn: Turn, question: Question, value: str, message_id: int | None
) -> StepResult:
    tr, data = turn.tr, _data(turn)
    if value == "skip" and question.skippable:
        await _save(turn, question, None)
        return await _after_answer(turn, question)
    if question.kind in ("choice", "yes_no") and value in question.values:
        await _save(turn, question, value)
        return await _after_answer(turn, question)
    multi_values = (
        [day.isoformat() for day in question.dates]
        if question.kind == "availability"
        else list(question.values)
    )
    picked: list[str] = list(data.get("picked", []))
    if (
        value.startswith("t.")
        and value[2:] in multi_values
        and question.kind
        in (
            "multiple",
            "availability",
            "accessibility",
        )
    ):
        choice = value[2:]
        picked = [p for p in picked if p != choice] if choice in picked else [*picked, choice]
        picked = [v for v in multi_values if v in picked]
        data["picked"] = picked
        state = ConversationState(FLOW, turn.state.step, data)
        if message_id is None:
            return StepResult(await _prompt(turn, tr, turn.state.step or "", data), state)
        reg = _registration(turn)
        assert reg is not None
        text = _question_text(turn, tr, reg, question)
        keyboard = _choice_buttons(turn, tr, question, picked, f"q.{question.id}")
        return StepResult((EditMessage(turn.participant.chat_id, message_id, text, keyboard),), state)
    if value == "done" and question.kind in ("multiple", "availability", "accessibility"):
        if not picked and question.kind != "accessibility" and not question.optional:
            return _reask(turn, tr.gettext("Please choose at least one answer, then press Done."))
        if question.kind == "accessibility":
            answers = await registry(turn).answers(turn.participant.id)
            previous = answers.get(question.id) or {}
            await _save(turn, question, {"needs": picked, "note": previous.get("note", "")})
        else:
            await _save(turn, question, picked)
        return await _after_answer(turn, question)
    return _reask(turn, tr.gettext("This button is no longer valid."))


async def _on_summary_button(turn: Turn, value: str) -> StepResult:
    reg = _registration(turn)
    assert reg is not None
    if value.startswith("e.") and reg.question(value[2:]) is not None:
        return await _goto(turn, f"q.{value[2:]}", {"editing": True})
    if value != "ok":
        return _reask(turn, turn.tr.gettext("This button is no longer valid."))
    answers = await registry(turn).answers(turn.participant.id)
    missing = [q for q in reg.questions if not is_answered(q, answers.get(q.id))]
    if missing:
        notice = SendMessage(turn.participant.chat_id, turn.tr.gettext("One answer is still missing."))
        return await _goto(turn, f"q.{missing[0].id}", {"editing": True}, (notice,))
    await registry(turn).set_status(turn.participant.id, ParticipantStatus.REGISTERED, turn.ctx.clock.now())
    done = turn.tr.gettext(
        "Thank you, your registration is complete! I will write to you after the lottery."
        " Type /mydata to see what I keep about you."
    )
    return StepResult((SendMessage(turn.participant.chat_id, done),), IDLE)


async def _on_consent(turn: Turn, value: str) -> StepResult:
    reg, tr = _registration(turn), turn.tr
    assert reg is not None
    now = turn.ctx.clock.now()
    if value == "yes":
        await registry(turn).record_consent(turn.participant.id, reg.consent.version, now)
        return await _goto(turn, f"q.{reg.questions[0].id}", {})
    if value == "no":
        await registry(turn).erase(turn.participant.id, ParticipantStatus.CONSENT_DECLINED)
        bye = tr.gettext(
            "Understood. I have kept nothing about you except the fact that you declined."
            " Thank you for your time, and all the best."
        )
        return StepResult(
            (SendMessage(turn.participant.chat_id, bye, remove_keyboard=True),), IDLE, erased=True
        )
    return _reask(turn, tr.gettext("This button is no longer valid."))


async def on_button(turn: Turn) -> StepResult:
    """Every `rg:` button: check that it belongs to the current step, then apply it."""
    event = turn.event
    assert isinstance(event, ButtonPress)
    reg = _registration(turn)
    _, token, value = ([*event.data.split(":", 2), "", ""])[:3]
    ack = AnswerButton(event.query_id)
    if reg is None:
        return await basics.stale_button(turn)
    if token == "begin":
        result = await _start_registration(turn)
        return StepResult((ack, *result.actions), result.state)
    if turn.state.flow != FLOW or token != turn.state.step:
        if turn.state.flow != FLOW:
            return await basics.stale_button(turn)
        notice = turn.tr.gettext("That button belongs to an earlier step. Please answer the latest question.")
        return await resume(turn, (AnswerButton(event.query_id, notice),))
    if value == "back" and token != "lang":
        result = await _go_back(turn)
    elif token == "lang":
        result = await _on_language(turn, value)
    elif token == "consent":
        result = await _on_consent(turn, value)
    elif token == "sum":
        result = await _on_summary_button(turn, value)
    elif token.startswith("n.") and value == "none":
        question = reg.question(token[2:])
        assert question is not None
        result = await _after_answer(turn, question)
    else:
        question = reg.question(token[2:])
        if question is None or not token.startswith("q."):
            return await basics.stale_button(turn)
        result = await _on_question_button(turn, question, value, event.message_id)
    return StepResult((ack, *result.actions), result.state, result.erased)


async def _on_language(turn: Turn, code: str) -> StepResult:
    if code not in turn.ctx.assembly.languages:
        return _reask(turn, turn.tr.gettext("Please choose a language with the buttons."))
    await turn.ctx.store.set_language(turn.participant.id, code)
    return await _goto(turn, "consent", _data(turn), tr=turn.ctx.translations.for_language(code))


async def on_event(turn: Turn) -> StepResult | None:
    """Free text and shared contacts while registering; commands fall through to the router."""
    event = turn.event
    if _registration(turn) is None:
        return None
    if isinstance(event, Text):
        return await _on_text(turn, event.text)
    if isinstance(event, ContactShared):
        return await _on_contact(turn, event)
    return None


# -- entry: /start, invitations, /cancel ----------------------------------------------------------

INVITATION_PROBLEMS = {
    InvitationOutcome.UNKNOWN: N_(
        "I do not know this invitation code. Please check the link on your letter."
    ),
    InvitationOutcome.USED: N_("This invitation has already been used by someone else."),
    InvitationOutcome.EXPIRED: N_("This invitation has expired."),
}


def _way_forward(turn: Turn, reg: Registration) -> SendMessage:
    tr, chat = turn.tr, turn.participant.chat_id
    if reg.open:
        text = tr.gettext("You can still register through the open registration:")
        return SendMessage(chat, text, buttons=((Button(tr.gettext("📝 Register"), f"{PREFIX}:begin:go"),),))
    contact = turn.ctx.assembly.organiser_contact
    text = tr.gettext("Please contact the organisers: {contact}").format(contact=contact)
    return SendMessage(chat, text)


async def _start_registration(turn: Turn) -> StepResult:
    """Begin, resume, or explain why not (already registered, invitation needed)."""
    reg = _registration(turn)
    assert reg is not None
    tr, chat = turn.tr, turn.participant.chat_id
    if turn.state.flow == FLOW:
        return await resume(
            turn, (SendMessage(chat, tr.gettext("Welcome back! Let's continue where you left off.")),)
        )
    status = await registry(turn).status(turn.participant.id)
    if status in AFTER_REGISTRATION:
        text = tr.gettext("You are already registered. Type /mydata to see what I keep about you.")
        return StepResult((SendMessage(chat, text),), turn.state)
    if reg.open or await registry(turn).invited(turn.participant.id):
        return await begin(turn)
    text = tr.gettext("Registration is by invitation only: please open the link on your invitation letter.")
    return StepResult((SendMessage(chat, text), _way_forward(turn, reg)), turn.state)


async def start(turn: Turn) -> StepResult:
    """/start, /start <invitation code>, /start register: registration when there is one to do."""
    event, reg = turn.event, _registration(turn)
    assert isinstance(event, Command)
    if reg is None:
        return await basics.start(turn)
    code = event.argument
    if turn.state.flow == FLOW or code == OPEN_PAYLOAD:
        return await _start_registration(turn)
    if code:
        outcome = await registry(turn).claim_invitation(code, turn.participant.id, turn.ctx.clock.now())
        if outcome is InvitationOutcome.ACCEPTED:
            return await _start_registration(turn)
        problem = SendMessage(turn.participant.chat_id, turn.tr.gettext(INVITATION_PROBLEMS[outcome]))
        return StepResult((problem, _way_forward(turn, reg)), turn.state)
    welcome = await basics.start(turn)
    status = await registry(turn).status(turn.participant.id)
    if status in (ParticipantStatus.CONTACT, ParticipantStatus.REGISTERING) and (
        reg.open or await registry(turn).invited(turn.participant.id)
    ):
        (message,) = welcome.actions
        assert isinstance(message, SendMessage)
        register = (Button(turn.tr.gettext("📝 Register"), f"{PREFIX}:begin:go"),)
        message = SendMessage(message.chat_id, message.text, buttons=(register, *message.buttons))
        return StepResult((message,), welcome.state)
    return welcome


async def cancel(turn: Turn) -> StepResult:
    """/cancel while registering drops the answers given so far; elsewhere it is the usual /cancel."""
    if turn.state.flow != FLOW:
        return await basics.cancel(turn)
    await registry(turn).clear_answers(turn.participant.id)
    await registry(turn).set_status(turn.participant.id, ParticipantStatus.CONTACT, turn.ctx.clock.now())
    text = turn.tr.gettext(
        "Registration cancelled: I have deleted the answers you gave. Type /start to begin again at any time."
    )
    return StepResult((SendMessage(turn.participant.chat_id, text, remove_keyboard=True),), IDLE)


def install(router: Router) -> None:
    router.commands.update({"start": start, "cancel": cancel})
    router.buttons[PREFIX] = on_button
    router.flows[FLOW] = on_event
