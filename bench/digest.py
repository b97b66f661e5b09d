"""How long the organisers' digest takes, and its peak memory, on a large synthetic assembly.

Run:  python bench/digest.py [--registrations 100000] [--rows 1000000] [--baseline 10]
                             [--database-url postgresql://postgres@127.0.0.1:5432/bench]
Builds a fresh store (an SQLite file in a temporary directory unless --database-url is given; the
PostgreSQL database is emptied first) twice: the full size, and a baseline 1/--baseline of it.
`--rows` is the number of votes: open answers (about 70%) and secret ballots (about 30%) in polls of
every kind, about 500 a poll, spread over the sessions (most closed, a few still open), each voter
and some who did not vote among the poll's recipients. Around them, scaled from `--rows` too: RSVPs
for three sessions, attendance and feedback (ratings, comments) at the first, outbox rows (one in 500
failed). On PostgreSQL the store is then vacuumed (FULL, then to mark pages all-visible, as index-only
scans need) and analysed, as autovacuum keeps a store that fills over weeks: the build casts a
million votes in minutes, each bumping its poll's kept counts (a row version each), faster than
autovacuum would ever clean up after them (the polls table grew to 1.2 GB for 2,000 polls,
seq-scanned at each read); and unanalysed, the planner takes tables of a million rows for empty ones.
Prints what was built, the digest's median time over 3 runs, its peak Python memory (tracemalloc)
and the ratio to the baseline.
Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from bot.adapters.charts import BarCharts
from bot.adapters.i18n import Catalogs
from bot.definition import load_assembly
from bot.jobs.session_mirror import sync_sessions
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store.database import Database
from bot.store.models import (
    AnswerRow,
    AttendanceRow,
    Base,
    FeedbackCommentRow,
    FeedbackRatingRow,
    OutboxMessage,
    ParticipantRow,
    PollAnswerRow,
    PollRecipientRow,
    PollRow,
    RsvpRow,
    SecretBallotRow,
)
from bot.store.participants import ensure_assembly
from bot.store.polls import ballot_to_json
from bot.store.quotas import sync_quotas
from bot.store.read.digest import digest_data
from bot.store.sessions import session_rows
from flows.actions import SendMessage
from flows.digest.command import digest_actions
from flows.digest.render import csv_rows
from flows.polls.tally import BLOCK, choices
from flows.polls.votes import Ballot, Choice, Choices, Dots, Ranking, Written
from flows.ports import PollSpec

CHUNK = 10_000
T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
STATUSES = ["registered"] * 6 + ["confirmed"] * 2 + ["not_selected", "reserve"]

VOTES_PER_POLL = 500
"""Ballots in an average poll: a large room, so a poll's recipients stay a few hundred at most."""
KINDS = ("single", "multiple", "scale", "proposal", "score", "dots", "ranking", "text")
SECRET_KINDS = frozenset({"single", "scale", "proposal", "score"})
SECRET_SHARE = 0.6
"""Share of the polls of a kind that may be secret which are: 4 kinds of 8, so about 30% of the votes."""
OPEN_SHARE = 100
"""One poll in this many (the latest) is still open."""
QUESTIONS = {
    "single": ("Which measure should the assembly examine first?", "Quelle mesure examiner en premier ?"),
    "multiple": (
        "Which areas should the recommendations cover?",
        "Quels domaines les recommandations doivent-elles couvrir ?",
    ),
    "scale": (
        "The Region should make heat pumps mandatory in new buildings from 2030.",
        "La Région devrait rendre les pompes à chaleur obligatoires dans les bâtiments neufs dès 2030.",
    ),
    "proposal": (
        "Proposal: the city centre becomes car-free by 2035, except for emergency services.",
        "Proposition : le centre-ville devient sans voitures d'ici 2035, sauf services d'urgence.",
    ),
    "score": (
        "How useful was the experts' hearing (0 to 10)?",
        "L'audition des experts était-elle utile (0 à 10) ?",
    ),
    "dots": (
        "Spread 10 points over the areas to invest in first.",
        "Répartissez 10 points entre les domaines où investir en premier.",
    ),
    "ranking": (
        "Rank these areas from highest to lowest priority.",
        "Classez ces domaines du plus au moins prioritaire.",
    ),
    "text": (
        "What is missing from the draft recommendation?",
        "Que manque-t-il au projet de recommandation ?",
    ),
}
OPTIONS = (
    {"en": "Housing", "fr": "Logement"},
    {"en": "Mobility", "fr": "Mobilité"},
    {"en": "Green spaces", "fr": "Espaces verts"},
    {"en": "Energy", "fr": "Énergie"},
)
OPEN_TEXTS = (
    "Night trams on weekends",
    "Isoler d'abord les écoles",
    "Meer bomen in de straten",
    "What it costs tenants",
    "Des aides pour les petits revenus",
)
COMMENTS: dict[str | None, str] = {
    "fr": "Très bonne séance, mais trop peu de temps pour discuter à la table.",
    "nl": "Goede sessie, de experts waren duidelijk maar het was lang.",
    "en": "The facilitator made sure everyone could speak, thank you.",
    "de": "Die Informationen waren klar, die Pausen zu kurz.",
    "ar": "كانت الجلسة مفيدة ولكن الوقت كان قصيرا للنقاش.",
    None: "ok",
}
COMMENT_LANGUAGES = ("fr", "fr", "fr", "nl", "nl", "en", "de", "ar", None)


@dataclasses.dataclass(frozen=True)
class PlannedPoll:
    """One synthetic poll; its recipients are `voters + abstainers` participants in a row from `first`
    (cycling), the first `voters` of them voted. Kept small: the rows are generated from it lazily."""

    id: int
    session_id: int
    table_no: int | None
    kind: str
    secret: bool
    created_at: datetime
    closed: bool
    first: int
    voters: int
    abstainers: int


async def _bulk(db: Database, table: type[Base], rows: Iterable[Mapping[str, object]]) -> int:
    """Insert in chunks, generated lazily: a million rows never sit in memory at once. Returns the count."""
    source, total = iter(rows), 0
    while chunk := list(itertools.islice(source, CHUNK)):
        async with db.transaction() as session:
            await session.execute(insert(table), chunk)
        total += len(chunk)
    return total


def _spec(kind: str, secret: bool) -> dict[str, Any]:
    """A poll's stored spec, as `SqlPolls.create` writes it."""
    en, fr = QUESTIONS[kind]
    options = OPTIONS[:3] if kind == "single" else OPTIONS if kind in ("multiple", "dots", "ranking") else ()
    spec = PollSpec(kind, {"en": en, "fr": fr}, options, secret=secret, hide_results=secret)
    return dataclasses.asdict(spec)


def _ballot(rng: random.Random, spec: dict[str, Any]) -> dict[str, Any]:
    """A random ballot of the poll's kind, as the store writes it."""
    kind = spec["kind"]
    offered = choices(kind, len(spec["options"]), spec["scale"], spec["score_max"])
    ballot: Ballot
    if kind == "proposal":
        pick = rng.choices(range(offered), weights=(6, 2, 2, 1))[0]
        ballot = Choice(pick, "Not without a plan for deliveries" if pick == BLOCK else None)
    elif kind in SECRET_KINDS:  # single, scale, score: one answer
        ballot = Choice(rng.randrange(offered))
    elif kind == "multiple":
        ballot = Choices(tuple(sorted(rng.sample(range(offered), rng.randint(1, offered - 1)))))
    elif kind == "dots":
        dots = [0] * offered
        for _ in range(spec["points"]):
            dots[rng.randrange(offered)] += 1
        ballot = Dots(tuple(dots))
    elif kind == "ranking":
        ballot = Ranking(tuple(rng.sample(range(offered), rng.randint(2, offered))))
    else:
        ballot = Written(rng.choice(OPEN_TEXTS))
    return ballot_to_json(ballot)


def _plan_polls(
    rng: random.Random,
    sessions: list[tuple[int, datetime, datetime]],
    tables: int,
    registrations: int,
    load: int,
) -> list[PlannedPoll]:
    """Polls for `load` votes, about VOTES_PER_POLL each (fewer when there are few people), spread
    evenly over the sessions' hours; one in five for the whole session, the others at a table."""
    per = max(1, min(VOTES_PER_POLL, registrations // 2))
    count = max(1, -(-load // per))
    base, extra = divmod(load, count)
    votes = [base + (i < extra) for i in range(count)]
    for i in range(0, count - 1, 2):  # uneven rooms, same total
        shift = rng.randint(0, votes[i] // 4)
        votes[i], votes[i + 1] = votes[i] - shift, votes[i + 1] + shift
    still_open = max(1, count // OPEN_SHARE)
    planned = []
    for i, voters in enumerate(votes):
        index = i * len(sessions) // count
        session_id, starts, ends = sessions[index]
        first_here = -(-index * count // len(sessions))
        here = -(-(index + 1) * count // len(sessions)) - first_here
        kind = KINDS[i % len(KINDS)]
        planned.append(
            PlannedPoll(
                id=i + 1,
                session_id=session_id,
                table_no=None if i % 5 == 0 else 1 + (i // 5) % tables,
                kind=kind,
                secret=kind in SECRET_KINDS and rng.random() < SECRET_SHARE,
                created_at=starts + (ends - starts) * ((i - first_here) / here),
                closed=i < count - still_open,
                first=(i * per) % registrations,
                voters=voters,
                abstainers=min(rng.randint(voters // 20, voters // 5), registrations - voters),
            )
        )
    return planned


def _poll_rows(
    planned: list[PlannedPoll], specs: dict[tuple[str, bool], dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for p in planned:
        yield {
            "id": p.id,
            "session_id": p.session_id,
            "table_no": p.table_no,
            "facilitator_id": p.table_no,  # participants 1..N facilitate the tables
            "spec": specs[p.kind, p.secret],
            "created_at": p.created_at,
            "closes_at": None,
            "closed_at": p.created_at + timedelta(minutes=15) if p.closed else None,
            "shown": p.voters,
        }


def _recipient_rows(planned: list[PlannedPoll], registrations: int) -> Iterator[dict[str, Any]]:
    for p in planned:
        for j in range(p.voters + p.abstainers):
            yield {
                "poll_id": p.id,
                "participant_id": 1 + (p.first + j) % registrations,
                "voted": j < p.voters,
            }


def _answer_rows(
    rng: random.Random,
    planned: list[PlannedPoll],
    specs: dict[tuple[str, bool], dict[str, Any]],
    registrations: int,
) -> Iterator[dict[str, Any]]:
    for p in planned:
        if not p.secret:
            for j in range(p.voters):
                yield {
                    "poll_id": p.id,
                    "participant_id": 1 + (p.first + j) % registrations,
                    "ballot": _ballot(rng, specs[p.kind, p.secret]),
                    "answered_at": p.created_at + timedelta(seconds=rng.randrange(600)),
                }


def _secret_rows(
    rng: random.Random, planned: list[PlannedPoll], specs: dict[tuple[str, bool], dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for p in planned:
        if p.secret:
            for _ in range(p.voters):
                yield {
                    "id": uuid.uuid4().hex,
                    "poll_id": p.id,
                    "ballot": _ballot(rng, specs[p.kind, p.secret]),
                }


async def build(db: Database, registrations: int, load: int) -> None:
    """`registrations` people with every feature answered; `load` votes in polls, and around them
    RSVPs, attendance, feedback and outbox rows (see the module's docstring)."""
    assembly = load_assembly(EXAMPLE_ASSEMBLY)
    reg = assembly.registration
    assert reg is not None
    rng = random.Random(11)
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        await sync_quotas(session, assembly)
        await sync_sessions(session, assembly, Catalogs(assembly.languages, assembly.zone), T0)
        sessions = [(row.id, row.starts_at, row.ends_at) for row in await session_rows(session, assembly.id)]
    built: dict[str, int] = {}
    people = (
        {
            "id": n,
            "telegram_user_id": 10_000_000 + n,
            "chat_id": 10_000_000 + n,
            "assembly_id": assembly.id,
            "language": rng.choice(assembly.languages),
            "status": rng.choice(STATUSES),
            "registered_at": T0 + timedelta(seconds=n),
            "blocked_at": NOW if n % 1000 == 0 else None,
            "created_at": T0,
        }
        for n in range(1, registrations + 1)
    )
    built["participants"] = await _bulk(db, ParticipantRow, people)
    answers = (
        {"participant_id": n, "question_id": q.id, "value": rng.choice(q.values), "answered_at": T0}
        for n in range(1, registrations + 1)
        for q in reg.features
    )
    built["answers"] = await _bulk(db, AnswerRow, answers)

    planned = _plan_polls(rng, sessions, assembly.tables.count or 6, registrations, load)
    specs = {(kind, secret): _spec(kind, secret) for kind in KINDS for secret in (False, True)}
    built["polls"] = await _bulk(db, PollRow, _poll_rows(planned, specs))
    built["poll_recipients"] = await _bulk(db, PollRecipientRow, _recipient_rows(planned, registrations))
    built["poll_answers"] = await _bulk(db, PollAnswerRow, _answer_rows(rng, planned, specs, registrations))
    built["poll_ballots"] = await _bulk(db, SecretBallotRow, _secret_rows(rng, planned, specs))

    rsvps = min(load // 4, registrations * 3)
    built["rsvps"] = await _bulk(
        db,
        RsvpRow,
        (
            {
                "session_id": sessions[1 + i // registrations][0],
                "participant_id": 1 + i % registrations,
                "answer": "coming" if i % 3 else "absent",
                "answered_at": T0,
            }
            for i in range(rsvps)
        ),
    )
    attended = min(load // 10, registrations)
    built["attendance"] = await _bulk(
        db,
        AttendanceRow,
        (
            {
                "session_id": sessions[0][0],
                "participant_id": n,
                "checked_in_at": T0,
                "late": n % 7 == 0,
                "method": "code",
            }
            for n in range(1, attended + 1)
        ),
    )
    # Three in five of those present rate the session (one in eleven skips a question), one in four comments.
    ratings = [rating.id for rating in assembly.feedback.ratings]
    built["feedback_ratings"] = await _bulk(
        db,
        FeedbackRatingRow,
        (
            {
                "session_id": sessions[0][0],
                "participant_id": n,
                "question": question,
                "value": rng.choices(range(1, 6), weights=(1, 2, 4, 6, 4))[0],
            }
            for n in range(1, attended + 1)
            if n % 5 < 3
            for k, question in enumerate(ratings)
            if (n + k) % 11
        ),
    )
    built["feedback_comments"] = await _bulk(
        db,
        FeedbackCommentRow,
        (
            {
                "session_id": sessions[0][0],
                "participant_id": n,
                "text": COMMENTS[language],
                "language": language,
            }
            for n in range(4, attended + 1, 4)
            for language in [rng.choice(COMMENT_LANGUAGES)]
        ),
    )
    built["outbox"] = await _bulk(
        db,
        OutboxMessage,
        (
            {
                "assembly_id": assembly.id,
                "chat_id": 10_000_000 + 1 + i % registrations,
                "kind": "message",
                "payload": {"text": "reminder"},
                "status": "failed" if i % 500 == 0 else "sent",
                "not_before": T0,
                "created_at": T0,
                "attempts": 1,
                "purge_after_send": False,
            }
            for i in range(load // 10)
        ),
    )
    if db.engine.dialect.name == "postgresql":
        async with db.engine.connect() as connection:  # VACUUM runs outside a transaction
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for statement in ("VACUUM (FULL)", "VACUUM (ANALYZE)"):
                await autocommit.execute(text(statement))
    votes = built["poll_answers"] + built["poll_ballots"]
    print(
        f"  built: {votes:,} votes ({built['poll_answers']:,} open answers, {built['poll_ballots']:,} secret "
        f"ballots) in {len(planned):,} polls ({sum(not p.closed for p in planned):,} open, "
        f"{sum(p.secret for p in planned):,} secret, {sum(p.table_no is None for p in planned):,} for a "
        f"whole session)"
    )
    print("  rows: " + ", ".join(f"{table} {count:,}" for table, count in built.items()))


async def measure(url: str, registrations: int, load: int) -> tuple[float, float, float]:
    """Median seconds of the SQL part and of the whole digest (text, chart, CSV too), and peak MiB."""
    db = Database(url)
    try:
        await db.downgrade("base")
        await db.migrate()
        await build(db, registrations, load)
        assembly = load_assembly(EXAMPLE_ASSEMBLY)
        tr = Catalogs(assembly.languages, assembly.zone).for_language("fr")

        async def once() -> float:
            start = time.perf_counter()
            async with db.transaction() as session:
                data = await digest_data(session, assembly.id, NOW)
            queried = time.perf_counter() - start
            digest_actions(assembly, tr, BarCharts(), data, 1)
            return queried

        # Warm caches and imports (matplotlib) before timing, and show how much the digest covers.
        async with db.transaction() as session:
            data = await digest_data(session, assembly.id, NOW)
        actions = digest_actions(assembly, tr, BarCharts(), data, 1)
        messages = [a.text for a in actions if isinstance(a, SendMessage)]
        print(
            f"  digest lists {len(data.polls):,} polls ({sum(p.answers for p in data.polls):,} answers of "
            f"{sum(p.recipients for p in data.polls):,} asked) and {len(data.feedback):,} feedback lines: "
            f"{len(messages)} messages ({sum(map(len, messages)):,} characters), "
            f"CSV of {len(csv_rows(data)):,} rows"
        )
        del data, actions, messages
        sql, total = [], []
        for _ in range(3):
            start = time.perf_counter()
            sql.append(await once())
            total.append(time.perf_counter() - start)
        tracemalloc.start()
        await once()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return statistics.median(sql), statistics.median(total), peak
    finally:
        await db.dispose()


def stores(args: argparse.Namespace, tmp: str) -> list[tuple[str, int, int]]:
    """(database URL, registrations, votes) of the baseline store, then the full-size one."""
    sizes = [
        (args.registrations // args.baseline, args.rows // args.baseline),
        (args.registrations, args.rows),
    ]
    return [
        (args.database_url or f"sqlite:///{Path(tmp) / f'bench-{index}.sqlite'}", registrations, votes)
        for index, (registrations, votes) in enumerate(sizes)
    ]


def add_size_options(parser: argparse.ArgumentParser) -> None:
    """The options of every benchmark built on this store."""
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument(
        "--rows",
        type=int,
        default=1_000_000,
        help="votes: open poll answers and secret ballots (RSVPs, attendance, feedback, outbox follow)",
    )
    parser.add_argument("--baseline", type=int, default=10, help="the baseline is this many times smaller")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (emptied first); default SQLite")


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for url, registrations, load in stores(args, tmp):
            sql, total, peak = await measure(url, registrations, load)
            results.append((sql, total))
            print(
                f"digest on {registrations:,} registrations + {load:,} rows: SQL {sql:.3f} s, "
                f"with text, chart and CSV {total:.3f} s, peak {peak:.1f} MiB"
            )
        (small_sql, small_total), (big_sql, big_total) = results
        print(
            f"ratio full/baseline for {args.baseline}x the data: SQL {big_sql / small_sql:.1f}x, "
            f"whole digest {big_total / small_total:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_size_options(parser)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
