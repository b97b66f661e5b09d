"""The per-answer counts `report_strata` reads stay equal to a recount of the rows: as people register
and change status, concurrently, and after /forget, retention and deleted records."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from conftest import mirror_sessions
from sqlalchemy import delete, select, text, update

from bot.jobs.retention import erase_past_retention
from bot.store.database import Database
from bot.store.models import AnswerCountRow, AnswerRow, ParticipantRow
from bot.store.participants import SqlStore, ensure_assembly
from bot.store.quotas import sync_quotas
from flows.assembly import Assembly
from flows.status import AFTER_REGISTRATION, ParticipantStatus

pytestmark = pytest.mark.both_backends

T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
LATER = (ParticipantStatus.SELECTED, ParticipantStatus.CONFIRMED, ParticipantStatus.RESERVE)


async def _counted(db: Database) -> dict[tuple[str, str, str], int]:
    """The kept counts, leaving out those back at zero."""
    async with db.reading() as session:
        rows = await session.execute(
            select(
                AnswerCountRow.question_id,
                AnswerCountRow.answer,
                AnswerCountRow.status,
                AnswerCountRow.participants,
            )
        )
        return {(q, a, s): n for q, a, s, n in rows.tuples() if n}


async def _recounted(db: Database) -> dict[tuple[str, str, str], int]:
    """The same counts made from the answers and their participants' statuses."""
    async with db.reading() as session:
        rows = await session.execute(
            select(AnswerRow.question_id, text("CAST(answers.value AS TEXT)"), ParticipantRow.status).join(
                ParticipantRow, ParticipantRow.id == AnswerRow.participant_id
            )
        )
        return dict(Counter(rows.tuples()))


async def _strata(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    async with db.reading() as session:
        rows = await session.execute(text("SELECT feature, value, registered, confirmed FROM report_strata"))
        return {(f, v): (int(r), int(c)) for f, v, r, c in rows.tuples()}


async def _expected_strata(db: Database, assembly: Assembly) -> dict[tuple[str, str], tuple[int, int]]:
    async with db.reading() as session:
        rows = (
            await session.execute(
                select(AnswerRow.question_id, AnswerRow.value, ParticipantRow.status).join(
                    ParticipantRow, ParticipantRow.id == AnswerRow.participant_id
                )
            )
        ).tuples()
        listed = list(rows)
    registered = Counter((q, v) for q, v, s in listed if s in AFTER_REGISTRATION)
    confirmed = Counter((q, v) for q, v, s in listed if s == ParticipantStatus.CONFIRMED)
    assert assembly.registration is not None
    return {
        (q.id, v): (registered[q.id, v], confirmed[q.id, v])
        for q in assembly.registration.features
        for v in q.values
    }


async def _register(db: Database, assembly: Assembly, user_id: int, rng: random.Random) -> int:
    """One person through the questionnaire, in the transactions the conversation uses: one per answer."""
    async with db.transaction() as session:
        person = await SqlStore(session, assembly.id).add_participant(user_id, user_id, "fr")
    assert assembly.registration is not None
    for question in assembly.registration.features:
        async with db.transaction() as session:
            await SqlStore(session, assembly.id).registrations.save_answer(
                person.id, question.id, rng.choice(question.values), T0
            )
    async with db.transaction() as session:
        await SqlStore(session, assembly.id).registrations.set_status(
            person.id, ParticipantStatus.REGISTERED, T0
        )
    return person.id


async def _set_status(db: Database, assembly: Assembly, person: int, status: ParticipantStatus) -> None:
    async with db.transaction() as session:
        await SqlStore(session, assembly.id).registrations.set_status(person, status, T0)


async def _prepared(db: Database, assembly: Assembly) -> None:
    await mirror_sessions(db, assembly, T0 - timedelta(days=400))
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        await sync_quotas(session, assembly)


async def test_counts_follow_registrations_status_changes_and_concurrent_writers(
    db: Database, assembly: Assembly
) -> None:
    await _prepared(db, assembly)
    rng = random.Random(7)
    people = await asyncio.gather(*(_register(db, assembly, 30_000 + n, rng) for n in range(24)))
    # Statuses change while others register and while the same people change an answer.
    assert assembly.registration is not None
    age = assembly.registration.features[0]

    async def change_answer(person: int) -> None:
        async with db.transaction() as session:
            await SqlStore(session, assembly.id).registrations.save_answer(
                person, age.id, rng.choice(age.values), T0
            )

    await asyncio.gather(
        *(_set_status(db, assembly, person, LATER[n % 3]) for n, person in enumerate(people)),
        *(change_answer(person) for person in people[::2]),
        *(_register(db, assembly, 31_000 + n, rng) for n in range(12)),
    )
    assert await _counted(db) == await _recounted(db)
    strata = await _strata(db)
    assert strata == await _expected_strata(db, assembly)
    assert sum(registered for (feature, _), (registered, _) in strata.items() if feature == age.id) == 36


async def test_counts_stay_exact_after_forget_retention_and_deleted_records(
    db: Database, assembly: Assembly
) -> None:
    await _prepared(db, assembly)
    rng = random.Random(8)
    people = [await _register(db, assembly, 40_000 + n, rng) for n in range(9)]
    for person in people[:6]:
        await _set_status(db, assembly, person, ParticipantStatus.CONFIRMED)
    async with db.transaction() as session:  # /forget
        await SqlStore(session, assembly.id).registrations.erase(people[0], ParticipantStatus.CONFIRMED)
    assert await _counted(db) == await _recounted(db)
    async with db.transaction() as session:  # a record deleted whole: its answers go by cascade
        await session.execute(delete(ParticipantRow).where(ParticipantRow.id == people[1]))
    async with db.transaction() as session:  # by hand at the SQL prompt, several rows at once
        await session.execute(
            update(ParticipantRow).where(ParticipantRow.id.in_(people[2:5])).values(status="declined")
        )
    assert await _counted(db) == await _recounted(db)
    assert await _strata(db) == await _expected_strata(db, assembly)

    due = assembly.erasure_due()
    assert due is not None
    assert (await erase_past_retention(db, assembly, due)).people == 7
    assert await _counted(db) == await _recounted(db) == {}
    assert set((await _strata(db)).values()) == {(0, 0)}
