"""The lottery on a simulated pool: quotas met, same seed same draw, infeasible refused, reserves promoted."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import RunningBot
from sqlalchemy import func, select

from bot.adapters.clock import ManualClock
from bot.adapters.i18n import Catalogs
from bot.cli.main import main
from bot.emulator import Emulator
from bot.organiser.lottery.confirmations import expire_overdue
from bot.organiser.lottery.options import DrawError
from bot.organiser.lottery.selection import run_selection
from bot.store.database import Database
from bot.store.models import AnswerRow, OutboxMessage, ParticipantRow, SeatRow, SelectionRow, utcnow
from bot.store.participants import SqlStore, ensure_assembly
from flows.assembly import Assembly
from flows.status import ParticipantStatus

POOL = 150  # the solver's time grows with the pool; what is checked does not depend on its size


async def _pool(db: Database, assembly: Assembly, size: int = POOL) -> None:
    rng = random.Random(3)
    reg = assembly.registration
    assert reg is not None
    now = utcnow()
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        store = SqlStore(session, assembly.id)
        for n in range(size):
            person = await store.add_participant(10_000 + n, 10_000 + n, rng.choice(assembly.languages))
            for question in reg.features:
                await store.registrations.save_answer(
                    person.id, question.id, rng.choice(question.values), now
                )
            await store.registrations.set_status(person.id, ParticipantStatus.REGISTERED, now)
        incomplete = await store.add_participant(99_999, 99_999, "fr")
        await store.registrations.set_status(incomplete.id, ParticipantStatus.REGISTERED, now)


async def _statuses(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(ParticipantRow.status, func.count()).group_by(ParticipantRow.status)
        )
        return dict(rows.all())


@pytest.mark.both_backends
async def test_draw_meets_quotas_is_repeatable_and_promotes_reserves(
    db: Database, assembly: Assembly
) -> None:
    await _pool(db, assembly)
    translations = Catalogs(assembly.languages, assembly.zone)
    now = utcnow()
    outcome = await run_selection(
        db, assembly, translations, seats=12, seed=4242, algorithm="maximin", reserves=10, now=now
    )
    drawn = set(outcome.draw.selected)
    assert len(drawn) == 12
    assert outcome.pool == POOL  # the incomplete registration is not in the pool
    reg = assembly.registration
    assert reg is not None
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(AnswerRow.question_id, AnswerRow.value).where(AnswerRow.participant_id.in_(drawn))
            )
        ).all()
    for question in reg.features:
        for value, quota in question.quotas.items():
            low, high = quota.bounds(12)
            count = sum(1 for q, v in rows if q == question.id and v == value)
            assert low <= count <= high, (question.id, value, count)
    assert await _statuses(db) == {"selected": 12, "reserve": 10, "not_selected": POOL - 22, "registered": 1}
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == POOL

    # A decline frees the seat for the reserve sharing most strata.
    leaver = min(drawn)
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        selection_id = await session.scalar(select(SelectionRow.id))
        assert selection_id is not None
        reserves = await store.registrations.reserves(selection_id, [q.id for q in reg.features])
        await store.registrations.close_seat(leaver, selection_id, "declined", now)
        await store.registrations.set_status(leaver, ParticipantStatus.DECLINED, now)
        from flows.confirmation import best_reserve, release_seat  # noqa: PLC0415

        mine = {
            q: v
            for q, v in (
                await session.execute(
                    select(AnswerRow.question_id, AnswerRow.value).where(AnswerRow.participant_id == leaver)
                )
            ).all()
        }
        expected = best_reserve(mine, reserves)
        reached = await release_seat(
            store.registrations,
            assembly,
            translations,
            participant_id=leaver,
            selection_id=selection_id,
            now=now,
        )
    assert reached is not None
    assert expected is not None
    assert reached.participant_id == expected.participant_id
    assert sum(1 for k, v in expected.features.items() if mine[k] == v) >= max(
        sum(1 for k, v in r.features.items() if mine[k] == v) for r in reserves
    )
    # A missed deadline does the same, once.
    later = now + timedelta(days=reg.confirmation_days, hours=1)
    async with db.transaction() as session:
        assert await expire_overdue(session, assembly, later, translations) == 12
    async with db.transaction() as session:
        assert await expire_overdue(session, assembly, later, translations) == 0
    statuses = await _statuses(db)
    assert statuses["selected"] == 9  # the 9 reserves left after the decline, asked in their turn
    assert statuses["declined"] == 13  # the one who declined and the 12 who let the deadline pass
    async with db.transaction() as session:
        promoted = await session.scalar(
            select(func.count())
            .select_from(SeatRow)
            .where(SeatRow.role == "reserve", SeatRow.offered_at.is_not(None))
        )
    assert promoted == 10


async def test_maximin_is_repeatable_and_infeasible_quotas_change_nothing(
    db: Database, assembly: Assembly
) -> None:
    from bot.organiser.lottery.draw import draw  # noqa: PLC0415
    from bot.organiser.lottery.selection import load_pool  # noqa: PLC0415

    await _pool(db, assembly, 80)
    reg = assembly.registration
    assert reg is not None
    async with db.transaction() as session:
        pool = await load_pool(session, assembly)
    first = draw(reg, pool, 8, seed=77, algorithm="leximin")
    second = draw(reg, pool, 8, seed=77, algorithm="maximin")
    assert first.selected == second.selected
    assert first.algorithm == "maximin"
    assert "Gurobi" in first.note
    before = await _statuses(db)
    # 60 of 80 with at most 3 "other" genders, when about a third of the pool is "other": impossible.
    with pytest.raises(DrawError) as refused:
        await run_selection(
            db,
            assembly,
            Catalogs(assembly.languages, assembly.zone),
            seats=60,
            seed=5,
            algorithm="maximin",
            reserves=0,
            now=utcnow(),
        )
    assert "gender" in str(refused.value)
    assert await _statuses(db) == before


async def test_the_running_bot_closes_missed_deadlines_on_its_own(
    assembly: Assembly, emulator: Emulator, sqlite_url: str
) -> None:
    """The scheduler's deadline job: no organiser command, the reserves are asked by the bot itself."""
    clock = ManualClock(utcnow())
    bot = RunningBot(assembly, emulator, sqlite_url, "aiogram", clock)
    await bot.start()
    try:
        assert bot.app is not None
        db = bot.app.db
        await _pool(db, assembly, size=40)
        reg = assembly.registration
        assert reg is not None
        translations = Catalogs(assembly.languages, assembly.zone)
        await run_selection(
            db, assembly, translations, seats=6, seed=77, algorithm="legacy", reserves=4, now=clock.now()
        )
        assert (await _statuses(db))["selected"] == 6
        clock.advance(timedelta(days=reg.confirmation_days, hours=1))
        async with asyncio.timeout(20):
            while (await _statuses(db)).get("declined") != 6:  # noqa: ASYNC110 (the bot's own job)
                await asyncio.sleep(0.1)
        statuses = await _statuses(db)
        assert statuses["selected"] == 4  # the four reserves, now asked to confirm
    finally:
        await bot.stop()


def test_select_and_expire_commands(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, assembly: Assembly, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)

    async def populate() -> None:
        db = Database(url)
        await db.migrate()
        try:
            await _pool(db, assembly, size=60)
        finally:
            await db.dispose()

    asyncio.run(populate())
    draw = ["select", "--assembly", assembly.id, "--algorithm", "legacy"]
    assert main([*draw, "--seats", "8", "--seed", "11", "--reserves", "5"]) == 0
    printed = capsys.readouterr().out
    assert "8 drawn and 5 reserves from 60 complete registrations, algorithm legacy, seed 11" in printed
    assert main([*draw, "--seats", "55", "--seed", "12"]) == 1  # quotas cannot be met with 55 of 60
    error = capsys.readouterr().err
    assert "the draw was not made, nothing changed" in error
    assert "Traceback" not in error
    assert main(["confirmations", "expire", "--assembly", assembly.id]) == 0
    assert "0 overdue confirmation(s) closed" in capsys.readouterr().out
