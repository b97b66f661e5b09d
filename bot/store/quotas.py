"""The definition's feature values and quotas mirrored into `quota_targets`, for the report views."""

from __future__ import annotations

import json

from sqlalchemy import String, cast, delete, func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AnswerCountRow, AnswerRow, ParticipantRow, QuotaTarget
from flows.assembly import Assembly


async def sync_quotas(session: AsyncSession, assembly: Assembly) -> int:
    """Replace the assembly's quota rows with the definition's; returns how many there are now."""
    targets = select(QuotaTarget.feature, QuotaTarget.answer).where(QuotaTarget.assembly_id == assembly.id)
    before = set((await session.execute(targets)).tuples())
    await session.execute(delete(QuotaTarget).where(QuotaTarget.assembly_id == assembly.id))
    registration = assembly.registration
    if registration is None:
        return 0
    seats = assembly.digest.seats if assembly.digest else None
    rows = []
    for question in registration.features:
        for value in question.values:
            quota = question.quotas.get(value)
            low: int | None = None
            high: int | None = None
            if seats is not None:
                low, high = quota.bounds(seats) if quota is not None else (0, seats)
            rows.append(
                QuotaTarget(
                    assembly_id=assembly.id,
                    feature=question.id,
                    value=value,
                    # The JSON text the answers table holds for this value, so views join portably.
                    answer=json.dumps(value),
                    min_seats=low,
                    max_seats=high,
                )
            )
    session.add_all(rows)
    await session.flush()
    await _count_answers(session, assembly.id, {(row.feature, row.answer) for row in rows} - before)
    return len(rows)


async def _count_answers(session: AsyncSession, assembly_id: str, targets: set[tuple[str, str]]) -> None:
    """Count the answers already given for `targets`, values new to the quotas: triggers count an
    answer only while its value is a target (migration 0012_report_counts)."""
    if not targets:
        return
    answer = cast(AnswerRow.value, String)
    await session.execute(
        delete(AnswerCountRow).where(
            AnswerCountRow.assembly_id == assembly_id,
            tuple_(AnswerCountRow.question_id, AnswerCountRow.answer).in_(targets),
        )
    )
    counted = (
        select(ParticipantRow.assembly_id, AnswerRow.question_id, answer, ParticipantRow.status, func.count())
        .join(ParticipantRow, ParticipantRow.id == AnswerRow.participant_id)
        .where(ParticipantRow.assembly_id == assembly_id, tuple_(AnswerRow.question_id, answer).in_(targets))
        .group_by(ParticipantRow.assembly_id, AnswerRow.question_id, answer, ParticipantRow.status)
    )
    columns = ("assembly_id", "question_id", "answer", "status", "participants")
    await session.execute(insert(AnswerCountRow).from_select(columns, counted))
