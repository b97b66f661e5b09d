"""`assembly-bot select`: gather the pool, draw off the event loop, store the result and tell everyone."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import version

from bot.metrics import timed_draw
from bot.organiser.lottery.draw import Candidate, Draw, draw, quota_rows
from bot.organiser.lottery.options import DrawError
from bot.store import audit, lottery, outbox
from bot.store.database import Database, Session
from bot.store.participants import SqlStore
from flows.assembly import Assembly
from flows.confirmation import not_selected_notice, reserve_notice, seat_offer
from flows.ports import Translations
from flows.status import ParticipantStatus

_draws = asyncio.Lock()

LIBRARIES = ("sortition-algorithms", "highspy")
"""The libraries a draw depends on; their versions go into the audit log with it."""


def input_hash(pool: list[Candidate], quotas: list[dict[str, str]], seats: int, reserves: int) -> str:
    """SHA-256 of everything the draw reads besides the seed: anyone holding the same data can check it."""
    data = {
        "seats": seats,
        "reserves": reserves,
        "quotas": quotas,
        "pool": [[c.participant_id, c.features] for c in pool],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    selection_id: int
    draw: Draw
    pool: int
    deadline: datetime


async def load_pool(session: Session, assembly: Assembly) -> list[Candidate]:
    """Complete registrations only: status `registered` and a valid value for every feature."""
    registration = assembly.registration
    assert registration is not None
    features = {q.id: set(q.values) for q in registration.features}
    answers = await lottery.pool_answers(session, assembly.id, list(features))
    values = {
        pid: {question: value for question, value in given.items() if value in features[question]}
        for pid, given in answers.items()
    }
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
        with timed_draw():
            result = await asyncio.to_thread(
                draw, registration, pool, seats, seed=seed, algorithm=algorithm, reserves=reserves
            )
        deadline = now + timedelta(days=registration.confirmation_days)
        record = lottery.DrawRecord(
            seats=seats,
            seed=result.seed,
            requested_algorithm=result.requested_algorithm,
            algorithm=result.algorithm,
            pool_size=len(pool),
            report="\n".join(filter(None, (result.note, result.report))),
        )
        async with db.transaction() as session:
            selection_id = await lottery.record_draw(session, assembly.id, record, now)
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
                requested_algorithm=result.requested_algorithm,
                libraries={name: version(name) for name in LIBRARIES},
                input_sha256=input_hash(pool, quota_rows(registration, seats), seats, reserves),
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
        return Outcome(selection_id, result, len(pool), deadline)


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
        outbox.enqueue(session, person.chat_id, [message])
