"""Entering registration: /start with an invitation code or the open link, the Register button, /cancel."""

from __future__ import annotations

from flows import basics
from flows.actions import AnswerButton, Button, SendMessage
from flows.engine import IDLE, Router, StepResult, Turn
from flows.events import ButtonPress, Command, Event
from flows.markers import N_
from flows.ports import InvitationOutcome, Translator
from flows.questionnaire import Registration
from flows.registration.answers import begin, on_event, on_step_button, resume
from flows.registration.steps import BEGIN, FLOW, OPEN_PAYLOAD, StepButton, registration_of
from flows.status import AFTER_REGISTRATION, ParticipantStatus

INVITATION_PROBLEMS = {
    InvitationOutcome.UNKNOWN: N_(
        "I do not know this invitation code. Please check the link on your letter."
    ),
    InvitationOutcome.USED: N_("This invitation has already been used by someone else."),
    InvitationOutcome.EXPIRED: N_("This invitation has expired."),
}


def _register(tr: Translator) -> Button:
    return Button(tr.gettext("📝 Register"), StepButton(BEGIN, "go").pack())


def _way_forward(turn: Turn[Event], reg: Registration) -> SendMessage:
    tr, chat = turn.tr, turn.participant.chat_id
    if reg.open:
        text = tr.gettext("You can still register through the open registration:")
        return SendMessage(chat, text, buttons=((_register(tr),),))
    contact = turn.ctx.assembly.organiser_contact
    text = tr.gettext("Please contact the organisers: {contact}").format(contact=contact)
    return SendMessage(chat, text)


async def start_registration(turn: Turn[Event]) -> StepResult:
    """Begin, resume, or explain why not (already registered, invitation needed)."""
    reg = registration_of(turn)
    assert reg is not None
    tr, chat = turn.tr, turn.participant.chat_id
    if turn.state.flow == FLOW:
        return await resume(
            turn, (SendMessage(chat, tr.gettext("Welcome back! Let's continue where you left off.")),)
        )
    status = await turn.ctx.store.registrations.status(turn.participant.id)
    if status in AFTER_REGISTRATION:
        text = tr.gettext("You are already registered. Type /mydata to see what I keep about you.")
        return StepResult((SendMessage(chat, text),), turn.state)
    if reg.open or await turn.ctx.store.registrations.invited(turn.participant.id):
        return await begin(turn)
    text = tr.gettext("Registration is by invitation only: please open the link on your invitation letter.")
    return StepResult((SendMessage(chat, text), _way_forward(turn, reg)), turn.state)


async def start(turn: Turn[Command]) -> StepResult:
    """/start, /start <invitation code>, /start register: registration when there is one to do."""
    event, reg = turn.event, registration_of(turn)
    if reg is None:
        return await basics.start(turn)
    code = event.argument
    if turn.state.flow == FLOW or code == OPEN_PAYLOAD:
        return await start_registration(turn)
    if code:
        outcome = await turn.ctx.store.registrations.claim_invitation(
            code, turn.participant.id, turn.ctx.clock.now()
        )
        if outcome is InvitationOutcome.ACCEPTED:
            return await start_registration(turn)
        problem = SendMessage(turn.participant.chat_id, turn.tr.gettext(INVITATION_PROBLEMS[outcome]))
        return StepResult((problem, _way_forward(turn, reg)), turn.state)
    welcome = await basics.start(turn)
    status = await turn.ctx.store.registrations.status(turn.participant.id)
    if status in (ParticipantStatus.CONTACT, ParticipantStatus.REGISTERING) and (
        reg.open or await turn.ctx.store.registrations.invited(turn.participant.id)
    ):
        (message,) = welcome.actions
        assert isinstance(message, SendMessage)
        message = SendMessage(
            message.chat_id, message.text, buttons=((_register(turn.tr),), *message.buttons)
        )
        return StepResult((message,), welcome.state)
    return welcome


async def cancel(turn: Turn[Command]) -> StepResult:
    """/cancel while registering drops the answers given so far; elsewhere it is the usual /cancel."""
    if turn.state.flow != FLOW:
        return await basics.cancel(turn)
    await turn.ctx.store.registrations.clear_answers(turn.participant.id)
    await turn.ctx.store.registrations.set_status(
        turn.participant.id, ParticipantStatus.CONTACT, turn.ctx.clock.now()
    )
    text = turn.tr.gettext(
        "Registration cancelled: I have deleted the answers you gave. Type /start to begin again at any time."
    )
    return StepResult((SendMessage(turn.participant.chat_id, text, remove_keyboard=True),), IDLE)


async def on_button(turn: Turn[ButtonPress], button: StepButton) -> StepResult:
    """Every `rg:` button: the Register button enters registration, the others answer a step."""
    if turn.ctx.assembly.registration is None or button.step != BEGIN:
        return await on_step_button(turn, button)
    result = await start_registration(turn)
    return StepResult((AnswerButton(turn.event.query_id), *result.actions), result.state)


def install(router: Router) -> None:
    router.commands.update({"start": start, "cancel": cancel})
    router.button(StepButton, on_button)
    router.flows[FLOW] = on_event
