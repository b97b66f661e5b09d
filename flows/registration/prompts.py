"""What each registration step shows: the language choice, the privacy notice, each question, the summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flows import basics
from flows.actions import Action, Button, Keyboard, SendMessage, rows
from flows.engine import Step, Turn
from flows.events import Event
from flows.markers import N_
from flows.ports import Translator
from flows.questionnaire import Question, Registration
from flows.registration.steps import (
    CONSENT,
    COPY,
    EDIT,
    LANGUAGE,
    MULTI,
    SUMMARY,
    TOGGLE,
    Stage,
    StepButton,
    asking,
    noting,
    question_of,
    registration_of,
)

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


def _back(tr: Translator, step: Step) -> Button:
    return Button(tr.gettext("◀ Back"), StepButton.at(step, "back"))


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _language_prompt(turn: Turn[Event], tr: Translator) -> tuple[Action, ...]:
    assembly = turn.ctx.assembly
    text = tr.gettext("Registration for {assembly}. First, choose your language:").format(
        assembly=assembly.text(assembly.name, tr.language)
    )
    buttons = rows(
        *(
            Button(basics.native_name(turn, code), StepButton.at(LANGUAGE, code))
            for code in assembly.languages
        )
    )
    return (SendMessage(turn.participant.chat_id, text, buttons=buttons),)


def _consent_prompt(turn: Turn[Event], tr: Translator, reg: Registration) -> tuple[Action, ...]:
    notice = turn.ctx.assembly.text(reg.consent.notice, tr.language)
    ask = tr.gettext("Do you agree to this privacy notice (version {version})?").format(
        version=reg.consent.version
    )
    buttons = (
        (
            Button(tr.gettext("✅ I agree"), StepButton.at(CONSENT, "yes")),
            Button(tr.gettext("❌ I do not agree"), StepButton.at(CONSENT, "no")),
        ),
        (_back(tr, CONSENT),),
    )
    return (SendMessage(turn.participant.chat_id, f"{notice}\n\n{ask}", buttons=buttons),)


def choice_buttons(
    turn: Turn[Event], tr: Translator, question: Question, picked: Sequence[str], copy: int | None
) -> Keyboard:
    assembly, step = turn.ctx.assembly, asking(question)
    if question.kind == "yes_no":
        options = [("yes", tr.gettext("Yes")), ("no", tr.gettext("No"))]
    elif question.kind == "availability":
        options = [(day.isoformat(), tr.date(day, "full")) for day in question.dates]
    else:
        options = [(c.id, assembly.text(c.text, tr.language)) for c in question.choices]
    multi = question.kind in MULTI
    buttons = [
        Button(
            f"☑ {label}" if value in picked else label,
            StepButton.at(step, f"{TOGGLE}.{value}", copy) if multi else StepButton.at(step, value),
        )
        for value, label in options
    ]
    keyboard = list(rows(*buttons, width=1 if multi or question.kind == "availability" else 2))
    controls = [_back(tr, step)]
    if question.skippable and not multi:
        controls.append(Button(tr.gettext("Skip"), StepButton.at(step, "skip")))
    if multi:
        controls.append(Button(tr.gettext("Done ✓"), StepButton.at(step, "done", copy)))
    keyboard.append(tuple(controls))
    return tuple(keyboard)


def question_text(turn: Turn[Event], tr: Translator, reg: Registration, question: Question) -> str:
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
    turn: Turn[Event], tr: Translator, reg: Registration, question: Question, data: dict[str, Any]
) -> tuple[Action, ...]:
    chat, step = turn.participant.chat_id, asking(question)
    text = question_text(turn, tr, reg, question)
    if question.kind in ("text", "number"):
        controls = [_back(tr, step)]
        if question.optional:
            controls.append(Button(tr.gettext("Skip"), StepButton.at(step, "skip")))
        return (SendMessage(chat, text, buttons=(tuple(controls),)),)
    if question.kind == "phone":
        phone_controls = (_back(tr, step), Button(tr.gettext("Skip"), StepButton.at(step, "skip")))
        share = tr.gettext("📱 Share my phone number")
        return (
            SendMessage(chat, text, buttons=(phone_controls,)),
            SendMessage(chat, tr.gettext("The button is below the typing field."), contact_button=share),
        )
    keyboard = choice_buttons(turn, tr, question, data.get("picked", []), data.get(COPY))
    return (SendMessage(chat, text, buttons=keyboard),)


def _note_prompt(turn: Turn[Event], tr: Translator, question: Question) -> tuple[Action, ...]:
    step = noting(question)
    text = tr.gettext(
        "Is there anything else we should know to welcome you well? Type it (at most {limit} characters),"
        " or press Nothing to add."
    ).format(limit=question.max_length)
    buttons = ((_back(tr, step), Button(tr.gettext("Nothing to add"), StepButton.at(step, "none"))),)
    return (SendMessage(turn.participant.chat_id, text, buttons=buttons),)


def list_separator(tr: Translator) -> str:
    """Between the items of a list: Arabic writes its own comma."""
    return "، " if tr.language == "ar" else ", "


def answer_text(turn: Turn[Event], tr: Translator, question: Question, value: Any) -> str:
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
        days = [tr.date(date.fromisoformat(day), "long") for day in value]
        return list_separator(tr).join(days) or tr.gettext("none")
    if question.kind in ("multiple", "accessibility"):
        picked = value["needs"] if question.kind == "accessibility" else value
        labels = [assembly.text(c.text, tr.language) for c in question.choices if c.id in picked]
        text = list_separator(tr).join(labels) or tr.gettext("none")
        if question.kind == "accessibility" and value.get("note"):
            text += f" ({value['note']})"
        return text
    return str(value)


def _summary_prompt(
    turn: Turn[Event], tr: Translator, reg: Registration, answers: dict[str, Any]
) -> tuple[Action, ...]:
    lines = [tr.gettext("Please check your answers:"), ""]
    for number, question in enumerate(reg.questions, start=1):
        asked = shorten(turn.ctx.assembly.text(question.text, tr.language), SUMMARY_QUESTION)
        answer = shorten(answer_text(turn, tr, question, answers.get(question.id)), SUMMARY_ANSWER)
        lines.append(f"{number}. {asked}\n   → {answer}")
    lines += [
        "",
        tr.gettext("Press Confirm to complete your registration, or ✏️ and a number to change an answer."),
    ]
    edits = [
        Button(f"✏️ {n}", StepButton.at(SUMMARY, f"{EDIT}.{q.id}"))
        for n, q in enumerate(reg.questions, start=1)
    ]
    keyboard = (
        *rows(*edits, width=5),
        (_back(tr, SUMMARY), Button(tr.gettext("✅ Confirm"), StepButton.at(SUMMARY, "ok"))),
    )
    return (SendMessage(turn.participant.chat_id, shorten("\n".join(lines), MAX_TEXT), buttons=keyboard),)


async def prompt(turn: Turn[Event], tr: Translator, step: Step, data: dict[str, Any]) -> tuple[Action, ...]:
    """The message(s) that ask for `step`, in `tr`'s language."""
    reg = registration_of(turn)
    assert reg is not None
    if step == LANGUAGE:
        return _language_prompt(turn, tr)
    if step == CONSENT:
        return _consent_prompt(turn, tr, reg)
    if step == SUMMARY:
        answers = await turn.ctx.store.registrations.answers(turn.participant.id)
        return _summary_prompt(turn, tr, reg, answers)
    question = question_of(turn, step)
    assert question is not None
    if step.stage == Stage.NOTE:
        return _note_prompt(turn, tr, question)
    return _question_prompt(turn, tr, reg, question, data)
