"""Everything the store holds about one person: what /mydata shows, and what /forget erases.

Both read the same list of places, so a new table that holds something personal is added here once
and is then both shown and erased. Anonymous facts stay for counts (an RSVP's yes or no, a check-in,
a rating, a ballot's choice, a seat in the draw); every text the person typed, every id Telegram gave
them, their name on a role, and copies of their texts in other people's messages go.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import audit
from bot.store.dashboard_access import forget_viewer
from bot.store.lottery import latest_chance
from bot.store.models import (
    AnswerRow,
    AssemblyRow,
    AttendanceRow,
    ConversationRow,
    FeedbackCommentRow,
    FeedbackRatingRow,
    InboundUpdate,
    InvitationRow,
    OutboxMessage,
    ParticipantRow,
    PollAnswerRow,
    PollRow,
    RoleInviteRow,
    RoleRow,
    RsvpRow,
    SeatRow,
    SessionRow,
    TablePin,
    TableRow,
)
from flows.status import ParticipantStatus

REDACTED = "…"
CHOICE_ID = re.compile(r"^[a-z0-9-]*[a-z-][a-z0-9-]*$")
"""A stored choice (`woman`, `18-24`): the definition's words, not the person's, so never redacted
(a phone number, all digits, is the person's)."""
SHORTEST = 3
"""Shorter texts are too common to look for in other people's messages."""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def personal_data(session: AsyncSession, participant_id: int) -> dict[str, Any]:
    """Everything stored about the person, as plain JSON-ready values."""
    row = await session.get_one(ParticipantRow, participant_id)
    answers = await session.execute(
        select(AnswerRow.question_id, AnswerRow.value).where(AnswerRow.participant_id == participant_id)
    )
    seat = (
        await session.execute(
            select(SeatRow)
            .where(SeatRow.participant_id == participant_id)
            .order_by(SeatRow.selection_id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    invited = await session.scalar(
        select(func.count()).select_from(InvitationRow).where(InvitationRow.participant_id == participant_id)
    )
    return {
        "telegram_user_id": row.telegram_user_id,
        "assembly": row.assembly_id,
        "language": row.language,
        "status": row.status,
        "first_contact": _iso(row.created_at),
        "consent_version": row.consent_version,
        "consented_at": _iso(row.consented_at),
        "registered_at": _iso(row.registered_at),
        "invited": bool(invited),
        "answers": dict(answers.tuples().all()),
        "selection_chance": await latest_chance(session, participant_id),
        "lottery": None
        if seat is None
        else {"draw": seat.selection_id, "role": seat.role, "deadline": _iso(seat.deadline)},
        **await _sessions_of(session, participant_id),
    }


async def _sessions_of(session: AsyncSession, participant_id: int) -> dict[str, Any]:
    """What the person did in sessions: RSVPs and reasons, check-ins, open poll answers, feedback,
    roles and table pins."""

    async def rows(query: Any) -> list[Any]:
        return list((await session.execute(query)).tuples())

    rsvps = await rows(
        select(SessionRow.key, RsvpRow.answer, RsvpRow.reason, RsvpRow.answered_at)
        .join(SessionRow, SessionRow.id == RsvpRow.session_id)
        .where(RsvpRow.participant_id == participant_id)
        .order_by(SessionRow.starts_at)
    )
    attended = await rows(
        select(SessionRow.key, AttendanceRow.checked_in_at, AttendanceRow.late)
        .join(SessionRow, SessionRow.id == AttendanceRow.session_id)
        .where(AttendanceRow.participant_id == participant_id)
        .order_by(SessionRow.starts_at)
    )
    polls = await rows(
        select(SessionRow.key, PollRow.id, PollAnswerRow.ballot, PollAnswerRow.answered_at)
        .join(PollRow, PollRow.id == PollAnswerRow.poll_id)
        .join(SessionRow, SessionRow.id == PollRow.session_id)
        .where(PollAnswerRow.participant_id == participant_id)
        .order_by(PollAnswerRow.answered_at)
    )
    ratings = await rows(
        select(SessionRow.key, FeedbackRatingRow.question, FeedbackRatingRow.value)
        .join(SessionRow, SessionRow.id == FeedbackRatingRow.session_id)
        .where(FeedbackRatingRow.participant_id == participant_id)
    )
    comments = await rows(
        select(SessionRow.key, FeedbackCommentRow.text)
        .join(SessionRow, SessionRow.id == FeedbackCommentRow.session_id)
        .where(FeedbackCommentRow.participant_id == participant_id)
    )
    roles = await rows(select(RoleRow.role, RoleRow.name).where(RoleRow.participant_id == participant_id))
    started = await rows(
        select(SessionRow.key, PollRow.spec)
        .join(SessionRow, SessionRow.id == PollRow.session_id)
        .where(PollRow.facilitator_id == participant_id)
        .order_by(PollRow.id)
    )
    pin = await session.get(TablePin, participant_id)
    return {
        "rsvps": [
            {"session": key, "answer": answer, "reason": reason, "answered_at": _iso(at)}
            for key, answer, reason, at in rsvps
        ],
        "check_ins": [{"session": key, "at": _iso(at), "late": late} for key, at, late in attended],
        "poll_answers": [
            {"session": key, "poll": poll, "answer": ballot, "answered_at": _iso(at)}
            for key, poll, ballot, at in polls
        ],
        "feedback": {
            "ratings": [{"session": key, "question": q, "value": v} for key, q, v in ratings],
            "comments": [{"session": key, "text": text} for key, text in comments],
        },
        "roles": [{"role": role, "name": name} for role, name in roles],
        "polls_written": [
            {"session": key, "question": spec["question"], "options": spec.get("options", [])}
            for key, spec in started
            if spec.get("composed")
        ],
        "table_pin": None if pin is None else pin.table_no,
    }


def _texts(value: Any) -> Iterator[str]:
    """Every string inside a stored JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _typed(data: dict[str, Any]) -> set[str]:
    """What the person wrote or is called, worth looking for in other people's messages."""
    found = set(_texts(data["answers"]))
    found |= {r["reason"] for r in data["rsvps"] if r["reason"]}
    found |= set(_texts([answer["answer"] for answer in data["poll_answers"]]))
    found |= {c["text"] for c in data["feedback"]["comments"]}
    found |= {r["name"] for r in data["roles"] if r["name"]}
    found |= set(_texts(data["polls_written"]))
    return {text for text in found if len(text) >= SHORTEST and not CHOICE_ID.match(text)}


def _redacted(value: Any, texts: set[str]) -> Any:
    if isinstance(value, str):
        for text in texts:
            value = value.replace(text, REDACTED)
        return value
    if isinstance(value, dict):
        return {key: _redacted(item, texts) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item, texts) for item in value]
    return value


async def _redact_copies(session: AsyncSession, assembly_id: str, texts: set[str]) -> None:
    """Other people's messages in the assembly that quote the person (results listing an open answer,
    a table notice naming a facilitator): the quote becomes an ellipsis, sent or not."""
    if not texts:
        return
    query = select(OutboxMessage).where(OutboxMessage.assembly_id == assembly_id)
    result = await session.stream_scalars(query.execution_options(yield_per=500))
    async for row in result:
        if any(text in quoted for quoted in _texts(row.payload) for text in texts):
            row.payload = _redacted(row.payload, texts)


def _scrubbed(ballot: dict[str, Any]) -> dict[str, Any] | None:
    """An open answer without what was typed: a block keeps its choice, a written answer goes."""
    if "t" in ballot:
        return None
    return {key: value for key, value in ballot.items() if key != "reason"}


async def _scrub_chat(session: AsyncSession, assembly_id: str, chat_id: int) -> None:
    """The update log and the outbox keep message texts and Telegram ids: scrub this chat's rows with
    the assembly's bot (the person's chats with other assemblies' bots are theirs to erase there).
    The update being handled right now is scrubbed too; the runner writes its reply separately."""
    bot = select(AssemblyRow.bot_id).where(AssemblyRow.id == assembly_id).scalar_subquery()
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.bot_id == bot, InboundUpdate.chat_id == chat_id)
        .values(event=None, chat_id=0, processed_at=func.coalesce(InboundUpdate.processed_at, func.now()))
    )
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.assembly_id == assembly_id, OutboxMessage.chat_id == chat_id
        )
    )


async def discard(session: AsyncSession, participant_id: int) -> None:
    """Drop a record that holds nothing but a Telegram id, row and all (nothing is left to count)."""
    row = await session.get_one(ParticipantRow, participant_id)
    await _scrub_chat(session, row.assembly_id, row.chat_id)
    await session.execute(delete(ConversationRow).where(ConversationRow.participant_id == participant_id))
    await session.delete(row)
    await session.flush()


async def erase(session: AsyncSession, participant_id: int, status: ParticipantStatus) -> None:
    """Remove everything personal; keep the row, anonymous, with `status`, for counts."""
    row = await session.get_one(ParticipantRow, participant_id)
    chat_id = row.chat_id
    texts = _typed(await personal_data(session, participant_id))
    mine = participant_id
    await audit.forget_actor(session, mine)
    for table in (AnswerRow, ConversationRow, FeedbackCommentRow, RoleRow, TablePin):
        await session.execute(delete(table).where(table.participant_id == mine))
    await forget_viewer(session, mine)
    await session.execute(update(RsvpRow).where(RsvpRow.participant_id == mine).values(reason=None))
    answered = select(PollAnswerRow).where(PollAnswerRow.participant_id == mine)
    for answer in (await session.execute(answered)).scalars():
        kept = _scrubbed(answer.ballot)
        if kept is None:
            await session.delete(answer)
        else:
            answer.ballot = kept
    await session.execute(update(TableRow).where(TableRow.facilitator_id == mine).values(facilitator_id=None))
    for poll in (await session.execute(select(PollRow).where(PollRow.facilitator_id == mine))).scalars():
        if poll.spec.get("composed"):  # the facilitator's own words, shown to nobody any more
            poll.spec = _redacted(poll.spec, texts)
        poll.facilitator_id = None
    await session.execute(update(RoleInviteRow).where(RoleInviteRow.used_by == mine).values(used_by=None))
    await session.execute(
        update(InvitationRow).where(InvitationRow.participant_id == mine).values(participant_id=None)
    )
    await _scrub_chat(session, row.assembly_id, chat_id)
    await session.flush()
    await _redact_copies(session, row.assembly_id, texts)
    row.telegram_user_id, row.chat_id = -participant_id, 0
    row.consent_version = row.consented_at = row.registered_at = row.blocked_at = None
    row.status = status.value
