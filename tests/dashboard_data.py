"""A populated assembly for the dashboard's tests: registrations (as in test_reports), a room of people
who answered one closed session poll of every template kind (a secret one too), a table poll too
small to show, an open poll, and feedback in several languages. Everything goes through the store's
own functions; the ballots are kept so tests can count them again in Python."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import timedelta

from polls_room import room_assembly
from test_reports import T0, populate

from bot.store.database import Database
from bot.store.participants import SqlStore
from flows.assembly import Assembly
from flows.polls.ballots import size
from flows.polls.compose import spec_of
from flows.polls.tally import BLOCK
from flows.polls.votes import Ballot, Choice, Choices, Dots, Ranking, Written
from flows.ports import PollSpec
from flows.status import ParticipantStatus

ROOM = 24
FIRST_ROOM_USER = 70_000


@dataclass
class Populated:
    assembly: Assembly
    people: dict[int, str]
    """participant id -> the language they use with the bot"""
    ballots: dict[int, list[Ballot]]
    """closed poll id -> every ballot cast"""
    small_table_poll: int
    open_poll: int
    ratings: list[tuple[int, str, int]]
    """(participant id, question, value) at session s1"""
    comments: list[tuple[int, str, str | None]]
    """(participant id, text, detected language) at session s1"""


def ballot(spec: PollSpec, rng: random.Random, n: int) -> Ballot:
    """A random valid ballot of the poll's kind."""
    options = size(spec)
    if spec.kind == "text":
        return Written(f"idea number {n}")
    if spec.kind == "multiple":
        return Choices(tuple(sorted(rng.sample(range(options), rng.randint(1, options)))))
    if spec.kind == "dots":
        dots = [0] * options
        for _ in range(spec.points):
            dots[rng.randrange(options)] += 1
        return Dots(tuple(dots))
    if spec.kind == "ranking":
        return Ranking(tuple(rng.sample(range(options), rng.randint(1, options))))
    choice = rng.randrange(options)
    if spec.kind == "proposal" and choice == BLOCK:
        return Choice(choice, reason="not like this")
    return Choice(choice)


async def populate_results(db: Database, example: Assembly, seed: int = 5) -> Populated:
    assembly = room_assembly(example)
    await populate(db, assembly, size=40)
    rng = random.Random(seed)
    specs = [spec_of(template) for template in assembly.polls]
    single = next(spec for spec in specs if spec.kind == "single")
    specs.append(dataclasses.replace(single, secret=True, template="secret-copy"))
    at = T0 + timedelta(days=33)
    populated = Populated(assembly, {}, {}, 0, 0, [], [])
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        for n in range(ROOM):
            language = assembly.languages[n % len(assembly.languages)]
            person = await store.add_participant(FIRST_ROOM_USER + n, FIRST_ROOM_USER + n, language)
            await store.registrations.set_status(person.id, ParticipantStatus.CONFIRMED, T0)
            populated.people[person.id] = language
        people = list(populated.people)
        for spec in specs:
            poll = await store.polls.create(
                spec, "s1", table=None, facilitator_id=people[0], recipients=people, now=at, closes_at=None
            )
            voters = rng.sample(people, rng.randint(ROOM // 2, ROOM))
            cast = [ballot(spec, rng, n) for n in range(len(voters))]
            for voter, choice in zip(voters, cast, strict=True):
                assert await store.polls.answer(poll, voter, choice, at)
            await store.polls.close(poll.id, at + timedelta(minutes=5))
            populated.ballots[poll.id] = cast
        small = await store.polls.create(
            specs[0], "s1", table=2, facilitator_id=people[0], recipients=people[:4], now=at, closes_at=None
        )
        await store.polls.answer(small, people[1], Choice(0), at)
        await store.polls.close(small.id, at + timedelta(minutes=5))
        still_open = await store.polls.create(
            specs[1], "s1", table=None, facilitator_id=people[0], recipients=people, now=at, closes_at=None
        )
        await store.polls.answer(still_open, people[2], ballot(specs[1], rng, 0), at)
        populated.small_table_poll, populated.open_poll = small.id, still_open.id
        questions = [rating.id for rating in assembly.feedback.ratings]
        for person, language in populated.people.items():
            for question in questions:
                value = rng.randint(1, 5)
                await store.feedback.rate("s1", person, question, value)
                populated.ratings.append((person, question, value))
            if person % 3:
                detected = None if person % 4 == 0 else language
                text = f"comment of {person} in {language}"
                await store.feedback.comment("s1", person, text, detected)
                populated.comments.append((person, text, detected))
    return populated
