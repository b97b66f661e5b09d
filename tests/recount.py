"""Figures recounted in Python from the raw rows: what the report views and the kept counts must equal."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from bot.store.database import Database
from bot.store.models import AnswerRow, ParticipantRow, PollAnswerRow, SecretBallotRow
from bot.store.polls import ballot_from_json
from flows.assembly import Assembly
from flows.polls.votes import Choice, Choices, Dots, Ranking
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


async def expected_option_counts(db: Database) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(votes, dots, place sum) per poll and option, unpacked from every open answer and secret ballot
    as flows.polls.tally reads them; options no ballot marks (or marks with 0 dots) left out."""
    async with db.reading() as session:
        rows = [
            row
            for table in (PollAnswerRow, SecretBallotRow)
            for row in (await session.execute(select(table.poll_id, table.ballot))).tuples()
        ]
    counts: dict[tuple[int, int], tuple[int, int, int]] = {}

    def mark(poll: int, option: int, vote: int, dots: int = 0, place: int = 0) -> None:
        votes, dotted, places = counts.get((poll, option), (0, 0, 0))
        counts[poll, option] = (votes + vote, dotted + dots, places + place)

    for poll, stored in rows:
        match ballot_from_json(stored):
            case Choice(option):
                mark(poll, option, 1)
            case Choices(options):
                for option in options:
                    mark(poll, option, 1)
            case Dots(points):
                for option, given in enumerate(points):
                    mark(poll, option, int(given > 0), given)
            case Ranking(order):
                for place, option in enumerate(order):
                    mark(poll, option, 1, place=place)
    return {key: marks for key, marks in counts.items() if any(marks)}
