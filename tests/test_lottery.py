"""The lottery on a simulated pool: quotas met, same seed same draw, infeasible refused, reserves promoted."""

from __future__ import annotations

import asyncio
import csv
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import FlowHarness, RunningBot
from sqlalchemy import func, select, update

from bot.adapters.clock import ManualClock
from bot.adapters.i18n import Catalogs
from bot.cli.main import main
from bot.emulator import Emulator
from bot.organiser.lottery.confirmations import expire_overdue
from bot.organiser.lottery.options import DrawError
from bot.organiser.lottery.selection import Outcome, run_selection
from bot.store.database import Database
from bot.store.models import (
    AnswerRow,
    ChanceRow,
    OutboxMessage,
    ParticipantRow,
    SeatRow,
    SelectionRow,
    utcnow,
)
from bot.store.participants import SqlStore, ensure_assembly
from flows.actions import SendMessage
from flows.assembly import Assembly
from flows.events import Command, Sender
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


async def _counting_ticks(work: Awaitable[Outcome]) -> tuple[Outcome, int]:
    """Await `work` while another task counts how often this event loop let it run."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        return await work, ticks
    finally:
        ticker.cancel()


async def _everyone_has_a_chance(db: Database, outcome: Outcome) -> None:
    """Everyone in the pool has their chance stored; the chances add up to the seats."""
    async with db.transaction() as session:
        rows = (await session.execute(select(ChanceRow.participant_id, ChanceRow.probability))).tuples()
        chances = {pid: probability or 0.0 for pid, probability in rows}
    assert len(chances) == outcome.pool
    assert all(0 < probability <= 1 for probability in chances.values())
    assert sum(chances.values()) == pytest.approx(len(outcome.draw.selected))
    low, _, high = outcome.report.spread()
    assert low == pytest.approx(min(chances.values()))
    assert high == pytest.approx(max(chances.values()))


@pytest.mark.both_backends
async def test_draw_meets_quotas_is_repeatable_and_promotes_reserves(
    db: Database, assembly: Assembly
) -> None:
    await _pool(db, assembly)
    translations = Catalogs(assembly.languages, assembly.zone)
    now = utcnow()
    lines: list[str] = []
    outcome, ticks = await _counting_ticks(
        run_selection(
            db,
            assembly,
            translations,
            seats=12,
            seed=4242,
            algorithm="maximin",
            reserves=10,
            now=now,
            progress=lines.append,
        )
    )
    # The solver ran in its worker process: its rounds came back as lines while this loop kept going.
    assert any(line.startswith("round ") for line in lines)
    assert ticks > len(lines) > 0
    drawn = set(outcome.draw.selected)
    assert len(drawn) == 12
    assert outcome.pool == POOL  # the incomplete registration is not in the pool
    await _everyone_has_a_chance(db, outcome)
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


async def test_same_seed_same_panel_and_no_silent_fallback(db: Database, assembly: Assembly) -> None:
    from bot.organiser.lottery.draw import draw  # noqa: PLC0415
    from bot.organiser.lottery.fair.profiles import quotas_of  # noqa: PLC0415
    from bot.organiser.lottery.selection import load_pool  # noqa: PLC0415

    await _pool(db, assembly, 80)
    reg = assembly.registration
    assert reg is not None
    async with db.transaction() as session:
        pool = await load_pool(session, assembly)
    quotas = quotas_of(reg, 8)
    first = draw(quotas, pool, 8, seed=77, algorithm="maximin", reserves=5)
    again = draw(quotas, list(reversed(pool)), 8, seed=77, algorithm="maximin", reserves=5)
    assert (first.selected, first.reserves) == (again.selected, again.reserves)
    assert first.input_hash == again.input_hash
    leximin = draw(quotas, pool, 8, seed=77, algorithm="leximin")
    assert leximin.algorithm == "leximin"
    assert min(leximin.chances.values()) == pytest.approx(min(first.chances.values()), abs=1e-6)
    library = draw(quotas, pool, 8, seed=77, algorithm="library-maximin")
    assert library.algorithm == "library-maximin"
    assert len(library.selected) == 8
    assert library.chances == {}
    with pytest.raises(DrawError, match="Gurobi"):  # the library's leximin is refused, not replaced
        draw(quotas, pool, 8, seed=77, algorithm="library-leximin")


async def test_infeasible_quotas_change_nothing(db: Database, assembly: Assembly) -> None:
    await _pool(db, assembly, 80)
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
            db,
            assembly,
            translations,
            seats=6,
            seed=77,
            algorithm="library-legacy",
            reserves=4,
            now=clock.now(),
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
    draw = ["select", "--assembly", assembly.id, "--algorithm", "library-legacy"]
    assert main([*draw, "--seats", "8", "--seed", "11", "--reserves", "5"]) == 0
    printed = capsys.readouterr().out
    assert (
        "8 drawn and 5 reserves from 60 complete registrations, algorithm library-legacy, seed 11" in printed
    )
    assert "library-legacy does not compute each person's chance" in printed
    assert main([*draw, "--seats", "55", "--seed", "12"]) == 1  # quotas cannot be met with 55 of 60
    error = capsys.readouterr().err
    assert "the draw was not made, nothing changed" in error
    assert "Traceback" not in error
    assert main(["confirmations", "expire", "--assembly", assembly.id]) == 0
    assert "0 overdue confirmation(s) closed" in capsys.readouterr().out


def test_select_prints_chances_writes_the_report_and_verifies_the_draw(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, assembly: Assembly, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)

    async def in_store(work: Callable[[Database], Awaitable[None]]) -> None:
        db = Database(url)
        await db.migrate()
        try:
            await work(db)
        finally:
            await db.dispose()

    asyncio.run(in_store(lambda db: _pool(db, assembly, size=60)))
    report = tmp_path / "report.csv"
    select_ = ["select", "--assembly", assembly.id]
    assert main([*select_, "--seats", "8", "--seed", "5", "--reserves", "4", "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "8 drawn and 4 reserves from 60 complete registrations, algorithm maximin, seed 5" in printed
    assert "Chance of being drawn: minimum" in printed
    assert "Lowest chances:" in printed
    text = report.read_text(encoding="utf-8")
    meta = dict(
        line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# ") and "quota" not in line
    )
    assert (meta["seed"], meta["algorithm"], meta["seats"], meta["pool"]) == ("5", "maximin", "8", "60")
    assert "sortition-algorithms" in meta["versions"]
    assert "highspy" in meta["versions"]
    assert len(meta["input_sha256"]) == 64
    reg = assembly.registration
    assert reg is not None
    assert sum(line.startswith("# quota: ") for line in text.splitlines()) == sum(
        len(q.values) for q in reg.features
    )
    rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    assert rows[0] == [*(q.id for q in reg.features), "people", "probability"]
    assert sum(int(row[-2]) for row in rows[1:]) == 60
    assert sum(int(row[-2]) * float(row[-1]) for row in rows[1:]) == pytest.approx(8)
    assert main(["lottery-report", "--assembly", assembly.id]) == 0
    assert capsys.readouterr().out == text

    assert main([*select_, "--verify"]) == 0
    assert "draw 1 verified: drawn again, the same panel and the same reserves" in capsys.readouterr().out

    async def swap_a_seat(db: Database) -> None:
        async with db.transaction() as session:
            drawn = await session.scalar(select(SeatRow.participant_id).where(SeatRow.role == "selected"))
            seated = select(SeatRow.participant_id)
            other = await session.scalar(select(ParticipantRow.id).where(ParticipantRow.id.not_in(seated)))
            await session.execute(
                update(SeatRow).where(SeatRow.participant_id == drawn).values(participant_id=other)
            )

    asyncio.run(in_store(swap_a_seat))
    assert main([*select_, "--verify"]) == 1
    assert "draw 1 NOT verified: a different panel" in capsys.readouterr().err


async def test_mydata_shows_the_persons_own_chance_in_their_language(
    flow: FlowHarness, db: Database, assembly: Assembly
) -> None:
    await _pool(db, assembly, size=60)
    translations = Catalogs(assembly.languages, assembly.zone)
    outcome = await run_selection(
        db, assembly, translations, seats=8, seed=9, algorithm="maximin", reserves=0, now=utcnow()
    )
    for user in (10_000, 10_001):
        async with db.transaction() as session:
            mine = select(ParticipantRow).where(ParticipantRow.telegram_user_id == user)
            person = await session.scalar(mine)
            assert person is not None
        tr = translations.for_language(person.language)
        actions = await flow.send(Command(Sender(user, user, "Kim", person.language), "mydata"))
        text = next(a.text for a in actions if isinstance(a, SendMessage))
        chance = tr.number(round(100 * outcome.draw.chances[person.id], 2))
        expected = tr.gettext("Your chance of being drawn in the lottery: {percent}%").format(percent=chance)
        assert expected in text
        if person.language != "en":
            assert "Your chance" not in text
