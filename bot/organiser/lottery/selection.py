"""`assembly-bot select`: gather the pool, draw in a worker process, store the result and tell everyone;
and `select --verify`: draw a recorded draw again and compare."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.metrics import timed_draw
from bot.organiser.lottery.draw import Candidate, Draw, input_hash
from bot.organiser.lottery.fair.generation import Progress
from bot.organiser.lottery.fair.profiles import group, quotas_of
from bot.organiser.lottery.options import DrawError
from bot.organiser.lottery.transparency import Report, transparency_of
from bot.organiser.lottery.worker import draw_in_worker
from bot.store import audit, lottery
from bot.store.database import Database, Session
from bot.store.participants import SqlStore
from flows.assembly import Assembly
from flows.confirmation import not_selected_notice, reserve_notice, seat_offer
from flows.ports import Translations
from flows.questionnaire import Registration
from flows.status import ParticipantStatus

_draws = asyncio.Lock()


@dataclass(frozen=True)
class Outcome:
    selection_id: int
    draw: Draw
    pool: int
    deadline: datetime
    report: Report


async def load_pool(
    session: Session, assembly: Assembly, participants: list[int] | None = None
) -> list[Candidate]:
    """Complete registrations only: status `registered` (or the given participants, whatever their
    status) and a valid value for every feature."""
    registration = _registration(assembly)
    features = {q.id: set(q.values) for q in registration.features}
    answers = await lottery.pool_answers(session, assembly.id, list(features), participants)
    values = {
        pid: {question: value for question, value in given.items() if value in features[question]}
        for pid, given in answers.items()
    }
    complete = [pid for pid, found in values.items() if len(found) == len(features)]
    return [Candidate(pid, values[pid]) for pid in sorted(complete)]


def _registration(assembly: Assembly) -> Registration:
    if assembly.registration is None:
        raise DrawError("the assembly definition has no registration section")
    return assembly.registration


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
    progress: Progress | None = None,
) -> Outcome:
    """Draw and record; on any `DrawError` nothing in the store changes."""
    registration = _registration(assembly)
    async with _draws:
        async with db.transaction() as session:
            pool = await load_pool(session, assembly)
        with timed_draw():
            result = await draw_in_worker(
                quotas_of(registration, seats),
                pool,
                seats,
                seed=seed,
                algorithm=algorithm,
                reserves=reserves,
                progress=progress,
            )
        deadline = now + timedelta(days=registration.confirmation_days)
        record = lottery.DrawRecord(
            seats=seats,
            seed=result.seed,
            requested_algorithm=result.algorithm,
            algorithm=result.algorithm,
            pool_size=len(pool),
            report=result.report,
            input_hash=result.input_hash,
            versions=result.versions,
            gap=result.gap,
            transparency=transparency_of(result),
        )
        async with db.transaction() as session:
            selection_id = await lottery.record_draw(session, assembly.id, record, now)
            lottery.record_chances(
                session, selection_id, {c.participant_id: result.chances.get(c.participant_id) for c in pool}
            )
            await audit.record(
                session,
                assembly.id,
                "lottery",
                actor=audit.operator(),
                now=now,
                draw=selection_id,
                seats=seats,
                reserves=reserves,
                seed=result.seed,
                algorithm=result.algorithm,
                libraries=result.versions,
                input_sha256=result.input_hash,
                pool=len(pool),
            )
            await _record(
                session,
                assembly=assembly,
                translations=translations,
                selection_id=selection_id,
                pool=pool,
                result=result,
                now=now,
                deadline=deadline,
            )
            stored = await lottery.find_draw(session, assembly.id, selection_id)
            assert stored is not None
            report = Report.of(stored)
        return Outcome(selection_id, result, len(pool), deadline, report)


async def _record(
    session: Session,
    *,
    assembly: Assembly,
    translations: Translations,
    selection_id: int,
    pool: list[Candidate],
    result: Draw,
    now: datetime,
    deadline: datetime,
) -> None:
    """Seat the drawn, rank the reserves, and tell everyone in the pool what the draw means for them."""
    ranks = {pid: rank for rank, pid in enumerate(result.reserves, start=1)}
    chosen = set(result.selected)
    store = SqlStore(session, assembly.id)
    for person in await store.participants([c.participant_id for c in pool]):
        tr = translations.for_language(person.language)
        if person.id in chosen:
            lottery.offer_seat(session, selection_id, person.id, now, deadline)
            status = ParticipantStatus.SELECTED
            message = seat_offer(tr, assembly, person.chat_id, selection_id, deadline)
        elif person.id in ranks:
            lottery.rank_reserve(session, selection_id, person.id, ranks[person.id])
            status = ParticipantStatus.RESERVE
            message = reserve_notice(tr, assembly, person.chat_id)
        else:
            status = ParticipantStatus.NOT_SELECTED
            message = not_selected_notice(tr, assembly, person.chat_id)
        await store.registrations.set_status(person.id, status, now)
        await store.registrations.notify(person.chat_id, [message])


async def stored_report(db: Database, assembly: Assembly, selection_id: int | None = None) -> Report:
    """The transparency report of a draw (the latest by default)."""
    async with db.transaction() as session:
        row = await lottery.find_draw(session, assembly.id, selection_id)
        if row is None:
            raise DrawError(_no_draw(assembly, selection_id))
        return Report.of(row)


@dataclass(frozen=True)
class Verification:
    """A recorded draw drawn again: `same` when the panel and the reserves are the ones recorded."""

    selection_id: int
    same: bool
    problems: list[str]


async def verify_draw(
    db: Database, assembly: Assembly, selection_id: int | None = None, progress: Progress | None = None
) -> Verification:
    """Re-run a recorded draw (the latest by default) from its recorded pool, seats, seed and algorithm,
    and compare the panel and the reserve order with those recorded. Nothing in the store changes."""
    registration = _registration(assembly)
    async with db.transaction() as session:
        row = await lottery.find_draw(session, assembly.id, selection_id)
        if row is None:
            raise DrawError(_no_draw(assembly, selection_id))
        members = await lottery.draw_members(session, row.id)
        pool = await load_pool(session, assembly, members.pool)
    if not members.pool:
        raise DrawError(f"draw {row.id} was made before pools were recorded; it cannot be re-run")
    quotas = quotas_of(registration, row.seats)
    problems = []
    if len(pool) != len(members.pool):
        problems.append(
            f"{len(members.pool) - len(pool)} of the {len(members.pool)} people in the draw's pool no longer"
            " have complete answers (erased with /forget?): the same draw cannot be re-run"
        )
        return Verification(row.id, False, problems)
    problem = group(quotas, [(c.participant_id, c.features) for c in pool], row.seats)
    if row.input_hash and input_hash(problem) != row.input_hash:
        problems.append(
            "the input differs from the one recorded (changed answers or quotas): its hash does not match"
        )
        return Verification(row.id, False, problems)
    again = await draw_in_worker(
        quotas,
        pool,
        row.seats,
        seed=row.seed,
        algorithm=row.algorithm,
        reserves=len(members.reserves),
        progress=progress,
    )
    if again.selected != members.selected:
        missing = sorted(set(members.selected) - set(again.selected))
        extra = sorted(set(again.selected) - set(members.selected))
        problems.append(
            f"a different panel: recorded but not drawn again {missing}, drawn again but not recorded {extra}"
        )
    if again.reserves != members.reserves:
        problems.append("the reserves differ from those recorded, or their order does")
    return Verification(row.id, not problems, problems)


def _no_draw(assembly: Assembly, selection_id: int | None) -> str:
    if selection_id is None:
        return f"assembly '{assembly.id}' has no draw yet"
    return f"assembly '{assembly.id}' has no draw {selection_id}"
