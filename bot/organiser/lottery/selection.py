"""`assembly-bot select`: gather the pool, draw off the event loop, store the result and tell everyone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.organiser.lottery.draw import Candidate, Draw, draw
from bot.organiser.lottery.options import DrawError
from bot.store import outbox
from bot.store.database import Database
from bot.store.models import AnswerRow, ParticipantRow, SeatRow, SelectionRow
from flows.assembly import Assembly
from flows.confirmation import not_selected_notice, reserve_notice, seat_offer
from flows.ports import Translations
from flows.status import ParticipantStatus

_draws = asyncio.Lock()


@dataclass(frozen=True)
class Outcome:
    selection_id: int
    draw: Draw
    pool: int
    deadline: datetime


async def load_pool(session: AsyncSession, assembly: Assembly) -> list[Candidate]:
    """Complete registrations only: status `registered` and a valid value for every feature."""
    registration = assembly.registration
    assert registration is not None
    features = {q.id: set(q.values) for q in registration.features}
    people = select(ParticipantRow.id).where(
        ParticipantRow.assembly_id == assembly.id, ParticipantRow.status == ParticipantStatus.REGISTERED.value
    )
    rows = await session.execute(
        select(AnswerRow.participant_id, AnswerRow.question_id, AnswerRow.value).where(
            AnswerRow.participant_id.in_(people), AnswerRow.question_id.in_(list(features))
        )
    )
    values: dict[int, dict[str, str]] = {}
    for pid, question, value in rows.all():
        if value in features[question]:
            values.setdefault(pid, {})[question] = value
    complete = [pid for pid, found in values.items() if len(found) == len(features)]
    return [Candidate(pid, values[pid]) for pid in sorted(complete)]


async def run_selection(
    db: Database,
    assembly: Assembly,
    translations: Translations,
    *,
    seats: int,
    seed: int,
    algorithm: str,
    reserves: int,
    now: datetime,
) -> Outcome:
    """Draw and record; on any `DrawError` nothing in the store changes."""
    registration = assembly.registration
    if registration is None:
        raise DrawError("the assembly definition has no registration section")
    async with _draws:
        async with db.transaction() as session:
            pool = await load_pool(session, assembly)
        result = await asyncio.to_thread(
            draw, registration, pool, seats, seed=seed, algorithm=algorithm, reserves=reserves
        )
        deadline = now + timedelta(days=registration.confirmation_days)
        async with db.transaction() as session:
            row = SelectionRow(
                assembly_id=assembly.id,
                seats=seats,
                seed=result.seed,
                requested_algorithm=result.requested_algorithm,
                algorithm=result.algorithm,
                pool_size=len(pool),
                report="\n".join(filter(None, (result.note, result.report))),
                created_at=now,
            )
            session.add(row)
            await session.flush()
            await _record(
                session,
                assembly=assembly,
                translations=translations,
                selection_id=row.id,
                pool=pool,
                result=result,
                now=now,
                deadline=deadline,
            )
        return Outcome(row.id, result, len(pool), deadline)


async def _record(
    session: AsyncSession,
    *,
    assembly: Assembly,
    translations: Translations,
    selection_id: int,
    pool: list[Candidate],
    result: Draw,
    now: datetime,
    deadline: datetime,
) -> None:
    ranks = {pid: rank for rank, pid in enumerate(result.reserves, start=1)}
    chosen = set(result.selected)
    people = await session.execute(
        select(ParticipantRow).where(ParticipantRow.id.in_([c.participant_id for c in pool]))
    )
    for person in people.scalars():
        tr = translations.for_language(person.language)
        if person.id in chosen:
            session.add(
                SeatRow(
                    selection_id=selection_id,
                    participant_id=person.id,
                    role="selected",
                    offered_at=now,
                    deadline=deadline,
                )
            )
            person.status = ParticipantStatus.SELECTED.value
            message = seat_offer(tr, assembly, person.chat_id, selection_id, deadline)
        elif person.id in ranks:
            session.add(
                SeatRow(
                    selection_id=selection_id, participant_id=person.id, role="reserve", rank=ranks[person.id]
                )
            )
            person.status = ParticipantStatus.RESERVE.value
            message = reserve_notice(tr, assembly, person.chat_id)
        else:
            person.status = ParticipantStatus.NOT_SELECTED.value
            message = not_selected_notice(tr, assembly, person.chat_id)
        outbox.enqueue(session, person.chat_id, [message])
