"""After the lottery: what the drawn, the reserves and the others are told, confirming a seat, and
offering a freed seat to the reserve who best matches the strata of the person who left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.actions import Action, AnswerButton, Button, EditMessage, SendMessage
from flows.assembly import Assembly
from flows.buttons import ButtonData
from flows.engine import IDLE_FLOW, Router, StepResult, Turn
from flows.events import ButtonPress, Event, Text
from flows.ports import Reachable, RegistrationStore, Reserve, Seat, Translations, Translator
from flows.status import ParticipantStatus
from flows.yes_no import typed_yes_no

CONFIRMED, DECLINED, EXPIRED = "confirmed", "declined", "expired"


@dataclass(frozen=True)
class SeatButton(ButtonData, prefix="cf"):
    """`cf:<selection>:yes|no`: take or decline the seat of one draw."""

    selection: int
    answer: str


def _name(tr: Translator, assembly: Assembly) -> str:
    return assembly.text(assembly.name, tr.language)


def _offer_text(tr: Translator, assembly: Assembly, deadline: datetime) -> str:
    return tr.gettext(
        "Good news: you have been drawn by lot for the {assembly}! Please confirm by {deadline} that you"
        " will take part. If you cannot, say so, and your seat goes to someone else."
    ).format(assembly=_name(tr, assembly), deadline=tr.datetime(deadline, "long"))


def seat_offer(
    tr: Translator, assembly: Assembly, chat_id: int, selection_id: int, deadline: datetime
) -> SendMessage:
    text = _offer_text(tr, assembly, deadline)
    buttons = (
        (
            Button(tr.gettext("✅ I will take part"), SeatButton(selection_id, "yes").pack()),
            Button(tr.gettext("❌ I cannot take part"), SeatButton(selection_id, "no").pack()),
        ),
    )
    return SendMessage(chat_id, text, buttons=buttons)


def reserve_notice(tr: Translator, assembly: Assembly, chat_id: int) -> SendMessage:
    text = tr.gettext(
        "Thank you for registering for the {assembly}. You were not drawn for now, but you are on the"
        " reserve list: if a seat frees up, I will write to you."
    ).format(assembly=_name(tr, assembly))
    return SendMessage(chat_id, text)


def not_selected_notice(tr: Translator, assembly: Assembly, chat_id: int) -> SendMessage:
    text = tr.gettext(
        "Thank you for registering for the {assembly}. The lottery did not draw you this time. Every"
        " registration made the draw fairer, and the assembly's recommendations will be public."
    ).format(assembly=_name(tr, assembly))
    return SendMessage(chat_id, text)


def expired_notice(tr: Translator, chat_id: int) -> SendMessage:
    text = tr.gettext(
        "The time to confirm your seat has passed, so it has been offered to someone else."
        " Thank you for your interest."
    )
    return SendMessage(chat_id, text)


def best_reserve(leaver: dict[str, object], reserves: list[Reserve]) -> Reserve | None:
    """The reserve sharing most strata with the person who left; the draw's order breaks ties."""
    if not reserves:
        return None

    def score(reserve: Reserve) -> tuple[int, int]:
        same = sum(1 for key, value in reserve.features.items() if leaver.get(key) == value)
        return same, -reserve.rank

    return max(reserves, key=score)


async def release_seat(
    store: RegistrationStore,
    assembly: Assembly,
    translations: Translations,
    *,
    participant_id: int,
    selection_id: int,
    now: datetime,
) -> Reachable | None:
    """Offer the seat `participant_id` left to the best-matching reserve, and ask them to confirm."""
    reg = assembly.registration
    assert reg is not None
    answers = await store.answers(participant_id)
    leaver = {q.id: answers.get(q.id) for q in reg.features}
    chosen = best_reserve(leaver, await store.reserves(selection_id, list(leaver)))
    if chosen is None:
        return None
    deadline = now + timedelta(days=reg.confirmation_days)
    reached = await store.offer_seat(chosen.participant_id, selection_id, now, deadline, participant_id)
    tr = translations.for_language(reached.language)
    await store.notify(reached.chat_id, [seat_offer(tr, assembly, reached.chat_id, selection_id, deadline)])
    return reached


async def leave_seat(turn: Turn[Event], outcome: str) -> None:
    """The sender gives up a seat they were offered or had confirmed; a reserve is asked in their place."""
    store, pid, now = turn.ctx.store.registrations, turn.participant.id, turn.ctx.clock.now()
    seat = await store.seat(pid)
    status = await store.status(pid)
    if seat is None or status not in (ParticipantStatus.SELECTED, ParticipantStatus.CONFIRMED):
        return
    await store.close_seat(pid, seat.selection_id, outcome, now)
    await store.set_status(pid, ParticipantStatus.DECLINED, now)
    await release_seat(
        store,
        turn.ctx.assembly,
        turn.ctx.translations,
        participant_id=pid,
        selection_id=seat.selection_id,
        now=now,
    )


async def on_button(turn: Turn[ButtonPress], button: SeatButton) -> StepResult:
    """Only for the draw the person is currently asked about, before its deadline."""
    event, answer = turn.event, button.answer
    seat = await turn.ctx.store.registrations.seat(turn.participant.id)
    status = await turn.ctx.store.registrations.status(turn.participant.id)
    if (
        seat is None
        or seat.selection_id != button.selection
        or status is not ParticipantStatus.SELECTED
        or answer not in ("yes", "no")
    ):
        notice = turn.tr.gettext("This question is closed: there is no seat waiting for your answer.")
        return StepResult((AnswerButton(event.query_id, notice),), turn.state)
    return await _answer(turn, seat, answer == "yes", event.message_id, AnswerButton(event.query_id))


async def typed_answer(turn: Turn[Event]) -> StepResult | None:
    """A typed yes or no from someone whose seat awaits their answer counts as the button."""
    if not isinstance(turn.event, Text):
        return None
    yes = typed_yes_no(turn.event.text, turn.ctx.assembly.languages)
    if yes is None:
        return None
    store, pid = turn.ctx.store.registrations, turn.participant.id
    seat = await store.seat(pid)
    if seat is None or await store.status(pid) is not ParticipantStatus.SELECTED:
        return None
    return await _answer(turn, seat, yes, None)


async def _answer(
    turn: Turn[Event], seat: Seat, take: bool, message_id: int | None, *first: Action
) -> StepResult:
    tr, chat = turn.tr, turn.participant.chat_id
    store, pid, now = turn.ctx.store.registrations, turn.participant.id, turn.ctx.clock.now()
    if seat.deadline is not None and now > seat.deadline:
        await leave_seat(turn, EXPIRED)
        outcome = "⌛ " + tr.gettext("Your answer came after the deadline.")
        edit = _answered(turn, message_id, seat.deadline, outcome)
        return StepResult((*first, *edit, expired_notice(tr, chat)), turn.state)
    if take:
        await store.close_seat(pid, seat.selection_id, CONFIRMED, now)
        await store.set_status(pid, ParticipantStatus.CONFIRMED, now)
        outcome = "✅ " + tr.gettext("You answered: I will take part.")
        text = tr.gettext("Thank you! Your seat is confirmed. I will remind you of each session.")
    else:
        await leave_seat(turn, DECLINED)
        outcome = "❌ " + tr.gettext("You answered: I cannot take part.")
        text = tr.gettext("Thank you for letting us know. Your seat will be offered to someone else.")
    edit = _answered(turn, message_id, seat.deadline, outcome)
    return StepResult((*first, *edit, SendMessage(chat, text)), turn.state)


def _answered(
    turn: Turn[Event], message_id: int | None, deadline: datetime | None, outcome: str
) -> tuple[EditMessage, ...]:
    """The offer as it was written, without its buttons, followed by the answer: the chat keeps what
    the person was told."""
    tr, assembly = turn.tr, turn.ctx.assembly
    if message_id is None:
        return ()
    offer = _name(tr, assembly) if deadline is None else _offer_text(tr, assembly, deadline)
    return (EditMessage(turn.participant.chat_id, message_id, f"{offer}\n\n{outcome}"),)


def install(router: Router) -> None:
    router.button(SeatButton, on_button)
    router.flows[IDLE_FLOW] = typed_answer
