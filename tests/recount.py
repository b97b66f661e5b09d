"""Figures recounted in Python from the raw rows: what the report views and the kept counts must equal."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from bot.store.database import Database
from bot.store.models import AnswerRow, ParticipantRow
from flows.assembly import Assembly
from flows.status import AFTER_REGISTRATION, ParticipantStatus


async def expected_strata(db: Database, assembly: Assembly) -> dict[tuple[str, str], tuple[int, int]]:
    """(registered, confirmed) per feature value."""
    async with db.reading() as session:
        query = select(AnswerRow.question_id, AnswerRow.value, ParticipantRow.status).join(
            ParticipantRow, ParticipantRow.id == AnswerRow.participant_id
        )
        rows = (await session.execute(query)).tuples().all()
    registered = Counter((q, v) for q, v, s in rows if s in AFTER_REGISTRATION)
    confirmed = Counter((q, v) for q, v, s in rows if s == ParticipantStatus.CONFIRMED)
    assert assembly.registration is not None
    return {
        (q.id, v): (registered[q.id, v], confirmed[q.id, v])
        for q in assembly.registration.features
        for v in q.values
    }
