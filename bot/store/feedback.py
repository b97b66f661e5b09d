"""Post-session evaluations in the store: the flows' `FeedbackStore` port."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import FeedbackCommentRow, FeedbackRatingRow
from bot.store.sessions import session_pk


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
