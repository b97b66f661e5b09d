"""The counts the report views read stay equal to a recount of the rows: per answer (`report_strata`)
as people register and change status, concurrently, and after /forget, retention and deleted
records; per poll (`report_polls`) as polls go out and votes come in, concurrently, and after /forget;
per poll and option (`report_poll_options`) as votes come in and change, concurrently, and after
/forget, retention and deleted records and polls."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from conftest import mirror_sessions
from recount import expected_option_counts, expected_strata
from sqlalchemy import delete, select, text, update

from bot.jobs.retention import erase_past_retention
from bot.store.database import Database
from bot.store.models import (
    AnswerCountRow,
    AnswerRow,
    ParticipantRow,
    PollOptionCountRow,
    PollRow,
    QuotaTarget,
)
from bot.store.participants import SqlStore, ensure_assembly
from bot.store.polls import SqlPolls
from bot.store.quotas import sync_quotas
from flows.assembly import Assembly
from flows.polls.tally import BLOCK
from flows.polls.votes import Ballot, Choice, Choices, Dots, Ranking, Written
from flows.ports import Poll, PollSpec
from flows.status import ParticipantStatus

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
    """The same counts made from the answers that are a quota's value and their participants' statuses."""
    async with db.reading() as session:
        rows = await session.execute(
            select(AnswerRow.question_id, QuotaTarget.answer, ParticipantRow.status)
            .join(ParticipantRow, ParticipantRow.id == AnswerRow.participant_id)
            .join(
                QuotaTarget,
                (QuotaTarget.assembly_id == ParticipantRow.assembly_id)
                & (QuotaTarget.feature == AnswerRow.question_id)
                & (QuotaTarget.answer == text("CAST(answers.value AS TEXT)")),
            )
        )
        return dict(Counter(rows.tuples()))


async def _strata(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    async with db.reading() as session:
        rows = await session.execute(text("SELECT feature, value, registered, confirmed FROM report_strata"))
        return {(f, v): (int(r), int(c)) for f, v, r, c in rows.tuples()}


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


async def _in_turn(db: Database, assembly: Assembly, first: int, count: int, rng: random.Random) -> list[int]:
    """`count` people registered one after the other, user ids from `first`."""
    return [await _register(db, assembly, first + n, rng) for n in range(count)]


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
    assert strata == await expected_strata(db, assembly)
    assert sum(registered for (feature, _), (registered, _) in strata.items() if feature == age.id) == 36


async def test_counts_stay_exact_after_forget_retention_and_deleted_records(
    db: Database, assembly: Assembly
) -> None:
    await _prepared(db, assembly)
    rng = random.Random(8)
    people = await _in_turn(db, assembly, 40_000, 9, rng)
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
    assert await _strata(db) == await expected_strata(db, assembly)

    due = assembly.erasure_due()
    assert due is not None
    assert (await erase_past_retention(db, assembly, due)).people == 7
    assert await _counted(db) == await _recounted(db) == {}
    assert set((await _strata(db)).values()) == {(0, 0)}


async def test_answers_given_before_their_value_joins_the_quotas_are_counted(
    db: Database, assembly: Assembly
) -> None:
    await mirror_sessions(db, assembly, T0)
    rng = random.Random(10)
    for n in range(6):
        await _register(db, assembly, 45_000 + n, rng)
    assert await _counted(db) == {}  # no quota yet: nothing is counted
    async with db.transaction() as session:
        await sync_quotas(session, assembly)
    assert await _counted(db) == await _recounted(db) != {}
    assert await _strata(db) == await expected_strata(db, assembly)


async def _poll_counts(db: Database) -> dict[int, tuple[int, int]]:
    async with db.reading() as session:
        rows = await session.execute(select(PollRow.id, PollRow.recipients, PollRow.answers))
        return {poll: (recipients, answers) for poll, recipients, answers in rows.tuples()}


async def _poll_recounts(db: Database) -> dict[int, tuple[int, int]]:
    recount = text(
        "SELECT p.id, (SELECT COUNT(*) FROM poll_recipients r WHERE r.poll_id = p.id),"
        " (SELECT COUNT(*) FROM poll_answers a WHERE a.poll_id = p.id)"
        " + (SELECT COUNT(*) FROM poll_ballots b WHERE b.poll_id = p.id) FROM polls p"
    )
    async with db.reading() as session:
        return {poll: (int(r), int(a)) for poll, r, a in (await session.execute(recount)).tuples()}


async def test_poll_counts_follow_recipients_votes_and_erasure(db: Database, assembly: Assembly) -> None:
    await _prepared(db, assembly)
    rng = random.Random(9)
    people = await _in_turn(db, assembly, 50_000, 8, rng)
    secret = PollSpec("single", {"en": "Which?"}, ({"en": "A"}, {"en": "B"}), secret=True, hide_results=True)
    async with db.transaction() as session:
        polls = SqlPolls(session, assembly.id)
        ideas = await polls.create(
            PollSpec("text", {"en": "Ideas?"}),
            "s1",
            table=None,
            facilitator_id=people[0],
            recipients=people,
            now=T0,
            closes_at=None,
        )
        ballot = await polls.create(
            secret, "s1", table=1, facilitator_id=people[0], recipients=people[:5], now=T0, closes_at=None
        )

    async def vote(poll: Poll, person: int, choice: Ballot) -> None:
        async with db.transaction() as session:
            await SqlPolls(session, assembly.id).answer(poll, person, choice, T0)

    await asyncio.gather(
        *(vote(ideas, person, Written(f"idea {person}")) for person in people[:6]),
        *(vote(ballot, person, Choice(n % 2)) for n, person in enumerate(people[:5])),
    )
    await vote(ideas, people[0], Written("a better idea"))  # changed: still one answer
    assert await _poll_counts(db) == await _poll_recounts(db) == {ideas.id: (8, 6), ballot.id: (5, 5)}
    async with db.transaction() as session:  # /forget: the written answer goes, the secret ballot stays
        await SqlStore(session, assembly.id).registrations.erase(people[1], ParticipantStatus.REGISTERED)
    assert await _poll_counts(db) == await _poll_recounts(db) == {ideas.id: (8, 5), ballot.id: (5, 5)}


async def _option_counts(db: Database) -> dict[tuple[int, int], tuple[int, int, int]]:
    """The kept (votes, dots, place sum) per poll and option, leaving out those back at zero."""
    c = PollOptionCountRow
    query = select(c.poll_id, c.option, c.votes, c.dots, c.place_sum)
    async with db.reading() as session:
        rows = (await session.execute(query)).tuples()
        return {(poll, option): (v, d, p) for poll, option, v, d, p in rows if v or d or p}


async def test_option_counts_follow_votes_changes_erasure_and_deleted_polls(
    db: Database, assembly: Assembly
) -> None:
    await _prepared(db, assembly)
    rng = random.Random(11)
    people = await _in_turn(db, assembly, 60_000, 10, rng)
    options = tuple({"en": name} for name in ("Housing", "Mobility", "Energy", "Water"))
    specs = [
        PollSpec("multiple", {"en": "Which areas?"}, options),
        PollSpec("dots", {"en": "Spread 5 points"}, options, points=5),
        PollSpec("ranking", {"en": "Rank them"}, options),
        PollSpec("proposal", {"en": "Car-free centre?"}),
        PollSpec("single", {"en": "Which?"}, options[:2], secret=True, hide_results=True),
    ]
    async with db.transaction() as session:
        polls = [
            await SqlPolls(session, assembly.id).create(
                spec, "s1", table=None, facilitator_id=people[0], recipients=people, now=T0, closes_at=None
            )
            for spec in specs
        ]
    several, dots, ranking, proposal, secret = polls

    async def vote(poll: Poll, person: int, choice: Ballot) -> None:
        async with db.transaction() as session:
            await SqlPolls(session, assembly.id).answer(poll, person, choice, T0)

    def spread(points: int) -> Dots:
        given = [0] * len(options)
        for _ in range(points):
            given[rng.randrange(len(options))] += 1
        return Dots(tuple(given))

    await asyncio.gather(  # the whole room votes in every poll at once
        *(
            vote(poll, person, choice)
            for person in people
            for poll, choice in (
                (several, Choices(tuple(sorted(rng.sample(range(4), rng.randint(1, 4)))))),
                (dots, spread(5)),
                (ranking, Ranking(tuple(rng.sample(range(4), rng.randint(1, 4))))),
                (
                    proposal,
                    Choice(BLOCK, "Not without buses") if person % 3 == 0 else Choice(rng.randrange(3)),
                ),
                (secret, Choice(person % 2)),
            )
        )
    )
    await vote(several, people[0], Choices((0, 3)))  # changed: the first choice no longer counts
    await vote(dots, people[0], spread(5))
    counted = await _option_counts(db)
    assert counted == await expected_option_counts(db)
    assert counted[secret.id, 0][0] + counted[secret.id, 1][0] == len(people)
    blocker = next(person for person in people if person % 3 == 0)
    async with db.transaction() as session:  # /forget: the block's reason goes, its choice stays
        await SqlStore(session, assembly.id).registrations.erase(blocker, ParticipantStatus.REGISTERED)
    assert await _option_counts(db) == await expected_option_counts(db) == counted
    async with db.transaction() as session:  # a record deleted whole: its answers go by cascade
        await session.execute(delete(ParticipantRow).where(ParticipantRow.id == people[1]))
    assert await _option_counts(db) == await expected_option_counts(db) != counted
    async with db.transaction() as session:  # a poll deleted whole: its counts go too
        await session.execute(delete(PollRow).where(PollRow.id == dots.id))
    assert await _option_counts(db) == await expected_option_counts(db)
    assert not any(poll == dots.id for poll, _ in await _option_counts(db))

    due = assembly.erasure_due()
    assert due is not None
    await erase_past_retention(db, assembly, due)
    assert await _option_counts(db) == await expected_option_counts(db) != {}
