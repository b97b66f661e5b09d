"""A participant's own data: /mydata shows it (also as a JSON file), /forget erases it once confirmed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flows.actions import Action, AnswerButton, Button, SendDocument, SendMessage
from flows.buttons import ButtonData
from flows.confirmation import DECLINED, leave_seat
from flows.engine import IDLE, ConversationState, Router, Step, StepResult, Turn
from flows.events import ButtonPress, Command, Event, Text
from flows.markers import N_
from flows.ports import FACILITATOR, ORGANISER
from flows.registration.prompts import answer_text
from flows.status import ParticipantStatus
from flows.yes_no import typed_yes_no

FLOW = "forget"
MAX_TEXT = 4000


@dataclass(frozen=True)
class ForgetButton(ButtonData, prefix="fg"):
    """`fg:yes` erases, `fg:no` keeps everything."""

    answer: str


STATUS_LABELS = {
    ParticipantStatus.CONTACT: N_("in contact, not registered"),
    ParticipantStatus.REGISTERING: N_("registration under way"),
    ParticipantStatus.REGISTERED: N_("registered for the lottery"),
    ParticipantStatus.CONSENT_DECLINED: N_("declined the privacy notice"),
    ParticipantStatus.SELECTED: N_("drawn, confirmation awaited"),
    ParticipantStatus.CONFIRMED: N_("drawn and confirmed"),
    ParticipantStatus.DECLINED: N_("seat declined"),
    ParticipantStatus.RESERVE: N_("on the reserve list"),
    ParticipantStatus.NOT_SELECTED: N_("not drawn"),
    ParticipantStatus.WITHDRAWN: N_("withdrawn"),
    ParticipantStatus.FORGOTTEN: N_("erased"),
}


def _lines(turn: Turn[Event], data: dict[str, Any]) -> list[str]:
    tr, assembly = turn.tr, turn.ctx.assembly
    lines = [
        tr.gettext("This is what I keep about you:"),
        tr.gettext("Language: {language}").format(language=tr.language_name(data["language"])),
        tr.gettext("Status: {status}").format(
            status=tr.gettext(STATUS_LABELS[ParticipantStatus(data["status"])])
        ),
    ]
    if data.get("consent_version"):
        lines.append(
            tr.gettext("Privacy notice accepted: version {version}").format(version=data["consent_version"])
        )
    chance = data.get("selection_chance")
    if chance is not None:
        lines.append(
            tr.gettext("Your chance of being drawn in the lottery: {percent}%").format(
                percent=tr.number(round(100 * chance, 2))
            )
        )
    reg = assembly.registration
    answers: dict[str, Any] = data.get("answers", {})
    if reg is not None and answers:
        lines.append("")
        for question in reg.questions:
            if question.id in answers:
                asked = assembly.text(question.text, tr.language)
                lines.append(f"• {asked}\n  → {answer_text(turn, tr, question, answers[question.id])}")
    lines += _session_lines(turn, data)
    lines += ["", tr.gettext("The attached file holds the same data. Type /forget to erase it.")]
    return lines


ROLE_LABELS = {FACILITATOR: N_("facilitator"), ORGANISER: N_("organiser")}


def _session_lines(turn: Turn[Event], data: dict[str, Any]) -> list[str]:
    """What the person did during the assembly, each text they typed in full, the rest counted."""
    tr, assembly = turn.tr, turn.ctx.assembly

    def title(key: str) -> str:
        session = assembly.session(key)
        return assembly.text(session.title, tr.language) if session else key

    lines: list[str] = []
    for rsvp in data.get("rsvps", ()):
        if rsvp["reason"]:
            lines.append(
                tr.gettext("Your reason for not coming to {session}: {reason}").format(
                    session=title(rsvp["session"]), reason=rsvp["reason"]
                )
            )
    for answer in data.get("poll_answers", ()):
        ballot = answer["answer"]
        if "t" in ballot:
            lines.append(tr.gettext("Your answer to a poll: {answer}").format(answer=ballot["t"]))
        elif ballot.get("reason"):
            lines.append(
                tr.gettext("Your reason for blocking a proposal: {reason}").format(reason=ballot["reason"])
            )
    feedback = data.get("feedback", {})
    for comment in feedback.get("comments", ()):
        lines.append(
            tr.gettext("Your comment on {session}: {comment}").format(
                session=title(comment["session"]), comment=comment["text"]
            )
        )
    for role in data.get("roles", ()):
        label = tr.gettext(ROLE_LABELS[role["role"]]) if role["role"] in ROLE_LABELS else role["role"]
        lines.append(tr.gettext("Role: {role}, shown as {name}").format(role=label, name=role["name"] or "–"))
    for poll in data.get("polls_written", ()):
        question = poll["question"].get("_", "")
        options = ", ".join(option.get("_", "") for option in poll["options"])
        written = f"{question} ({options})" if options else question
        lines.append(tr.gettext("A poll you wrote: {poll}").format(poll=written))
    if data.get("table_pin") is not None:
        lines.append(
            tr.gettext("Kept at table {table} in every session").format(table=tr.number(data["table_pin"]))
        )
    rsvps, check_ins = len(data.get("rsvps", ())), len(data.get("check_ins", ()))
    polls, ratings = len(data.get("poll_answers", ())), len(feedback.get("ratings", ()))
    if rsvps or check_ins or polls or ratings:
        counted = tr.gettext(
            "Answers about sessions: {rsvps}; check-ins: {check_ins}; poll answers: {polls}; ratings: "
            "{ratings}"
        )
        lines.append(
            counted.format(
                rsvps=tr.number(rsvps),
                check_ins=tr.number(check_ins),
                polls=tr.number(polls),
                ratings=tr.number(ratings),
            )
        )
    return ["", *lines] if lines else []


def _bare(data: dict[str, Any]) -> bool:
    """A record that holds nothing but the Telegram id this very message brought (first contact, or
    the first message after /forget)."""
    empty = ("answers", "rsvps", "check_ins", "poll_answers", "roles", "polls_written")
    return (
        data["status"] == ParticipantStatus.CONTACT.value
        and not data.get("consent_version")
        and not data.get("invited")
        and data.get("lottery") is None
        and data.get("table_pin") is None
        and not any(data.get(key) for key in empty)
        and not any(data.get("feedback", {}).values())
    )


async def mydata(turn: Turn[Command]) -> StepResult:
    """Everything stored about the person; to someone of whom nothing is stored, that nothing is, and
    the record this message created is dropped at once rather than kept."""
    store = turn.ctx.store.registrations
    data = await store.personal_data(turn.participant.id)
    if turn.state.flow is None and _bare(data):
        await store.discard(turn.participant.id)
        nothing = turn.tr.gettext("I keep nothing about you.")
        return StepResult((SendMessage(turn.participant.chat_id, nothing),), IDLE, True)
    text = "\n".join(_lines(turn, data))
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    document = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()
    chat = turn.participant.chat_id
    caption = turn.tr.gettext("Your data, as stored")
    return StepResult(
        (SendMessage(chat, text), SendDocument(chat, document, "my-data.json", caption)), turn.state
    )


async def forget(turn: Turn[Command]) -> StepResult:
    tr = turn.tr
    text = tr.gettext(
        "Do you want me to erase everything I keep about you? Your answers, your registration and your"
        " place in the assembly will be gone; only anonymous counts remain. This cannot be undone."
    )
    buttons = (
        (
            Button(tr.gettext("🗑 Yes, erase my data"), ForgetButton("yes").pack()),
            Button(tr.gettext("No, keep it"), ForgetButton("no").pack()),
        ),
    )
    was = turn.state
    previous = {"flow": was.flow, "step": was.step.encode() if was.step else None, "data": dict(was.data)}
    state = ConversationState(FLOW, Step("confirm"), {"previous": previous})
    return StepResult((SendMessage(turn.participant.chat_id, text, buttons=buttons),), state)


async def on_button(turn: Turn[ButtonPress], button: ForgetButton) -> StepResult:
    event, tr = turn.event, turn.tr
    if turn.state.flow != FLOW:
        notice = tr.gettext("This button is no longer valid.")
        return StepResult((AnswerButton(event.query_id, notice),), turn.state)
    return await _decide(turn, button.answer == "yes", AnswerButton(event.query_id))


async def typed_answer(turn: Turn[Event]) -> StepResult | None:
    """A typed yes or no at the confirmation, in any of the assembly's languages, counts as the button."""
    if not isinstance(turn.event, Text):
        return None
    yes = typed_yes_no(turn.event.text, turn.ctx.assembly.languages)
    return None if yes is None else await _decide(turn, yes)


async def _decide(turn: Turn[Event], erase: bool, *first: Action) -> StepResult:
    """Erase everything, or go back to where the conversation was before /forget."""
    tr, chat = turn.tr, turn.participant.chat_id
    if erase:
        await leave_seat(turn, DECLINED)
        await turn.ctx.store.registrations.erase(turn.participant.id, ParticipantStatus.FORGOTTEN)
        done = tr.gettext("Done: I have erased your data. Goodbye, and thank you.")
        return StepResult((*first, SendMessage(chat, done, remove_keyboard=True)), IDLE, True)
    previous = turn.state.data.get("previous") or {}
    state = ConversationState(
        previous.get("flow"), Step.decode(previous.get("step")), previous.get("data") or {}
    )
    kept = tr.gettext("Nothing was erased.")
    return StepResult((*first, SendMessage(chat, kept)), state)


def install(router: Router) -> None:
    router.commands.update({"mydata": mydata, "forget": forget})
    router.button(ForgetButton, on_button)
    router.flows[FLOW] = typed_answer
