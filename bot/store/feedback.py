"""Post-session evaluations in the store: the flows' `FeedbackStore` port, and who is still to be asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import (
    AttendanceRow,
    FeedbackCommentRow,
    FeedbackRatingRow,
    FeedbackRequestRow,
    ParticipantRow,
    SessionRow,
)
from bot.store.sessions import as_participant, session_pk
from flows.ports import Participant


@dataclass(frozen=True)
class Unasked:
    """A participant checked in to a session who has not been asked to evaluate it yet."""

    session_id: int
    session_key: str
    participant: Participant


async def unasked(session: AsyncSession, session_ids: Sequence[int], limit: int) -> list[Unasked]:
    """Up to `limit` people checked in to these sessions, not yet asked and not blocking the bot."""
    if not session_ids:
        return []
    asked = exists().where(
        FeedbackRequestRow.session_id == AttendanceRow.session_id,
        FeedbackRequestRow.participant_id == AttendanceRow.participant_id,
    )
    query = (
        select(SessionRow.id, SessionRow.key, ParticipantRow)
        .join(AttendanceRow, AttendanceRow.session_id == SessionRow.id)
        .join(ParticipantRow, ParticipantRow.id == AttendanceRow.participant_id)
        .where(SessionRow.id.in_(list(session_ids)), ParticipantRow.blocked_at.is_(None), ~asked)
        .limit(limit)
    )
    return [
        Unasked(session_id, key, as_participant(row))
        for session_id, key, row in (await session.execute(query)).tuples()
    ]


def mark_asked(session: AsyncSession, session_id: int, participant_id: int) -> None:
    """Recorded with the invitation's outbox row, so a restart never asks twice."""
    session.add(FeedbackRequestRow(session_id=session_id, participant_id=participant_id))


class SqlFeedback:
    """Implements `flows.ports.FeedbackStore` on the caller's session; never commits."""

    def __init__(self, session: AsyncSession, assembly_id: str) -> None:
        self.session, self.assembly_id = session, assembly_id

    async def _id(self, key: str) -> int:
        return await session_pk(self.session, self.assembly_id, key)

    async def rate(self, session_id: str, participant_id: int, question: str, value: int) -> None:
        key = (await self._id(session_id), participant_id, question)
        row = await self.session.get(FeedbackRatingRow, key)
        if row is None:
            self.session.add(
                FeedbackRatingRow(
                    session_id=key[0], participant_id=participant_id, question=question, value=value
                )
            )
        else:
            row.value = value
        await self.session.flush()

    async def comment(self, session_id: str, participant_id: int, text: str, language: str | None) -> None:
        key = (await self._id(session_id), participant_id)
        row = await self.session.get(FeedbackCommentRow, key)
        if row is None:
            self.session.add(
                FeedbackCommentRow(
                    session_id=key[0], participant_id=participant_id, text=text, language=language
                )
            )
        else:
            row.text, row.language = text, language
        await self.session.flush()
