"""The dashboard's read side: poll results and feedback, aggregated in SQL (views and GROUP BY).

Only two things read rows, both bounded by one poll's room: the texts of an open-text poll, and the
rankings of an instant-runoff poll (elimination rounds are sequential; SQL cannot count them in one
pass). Everything else arrives already counted: from `report_polls` and `report_poll_options`,
which read counts that triggers keep per poll and per option (migrations 0012 and 0013), and from
`report_feedback`-like GROUP BY queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, Select, String, TextualSelect, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from bot.store.models import (
    FeedbackCommentRow,
    FeedbackRatingRow,
    ParticipantRow,
    PollAnswerRow,
    SecretBallotRow,
    SessionRow,
    UTCDateTime,
)
from bot.store.polls import SqlPolls, spec_from_json
from flows.polls.ballots import size
from flows.polls.disclosure import disclose
from flows.polls.results import tally_of
from flows.polls.tally import Tally, from_counts
from flows.polls.votes import Ballot, Written
from flows.ports import Poll, PollSpec

_POLL_COLUMNS: dict[str, TypeEngine[Any]] = {
    "poll_id": Integer(),
    "session_key": String(),
    "table_no": Integer(),
    "spec": JSON(),
    "created_at": UTCDateTime(),
    "closed_at": UTCDateTime(),
    "recipients": Integer(),
    "answers": Integer(),
}


def _polls_query(one: bool, session_key: str | None) -> TextualSelect:
    """Polls of the assembly, newest first: all, one session's, or one poll. The page's polls are
    picked first, so that the view counts the recipients and answers of those alone (ordering the
    view itself counted every poll of the store before keeping a page of them: 1.3 s at a million)."""
    where = " AND p.id = :poll" if one else " AND s.key = :session" if session_key else ""
    return text(
        "SELECT r.poll_id, r.session_key, r.table_no, p.spec, r.created_at, r.closed_at, r.recipients,"
        " r.answers FROM report_polls r JOIN polls p ON p.id = r.poll_id"
        " WHERE r.poll_id IN (SELECT p.id FROM polls p JOIN sessions s ON s.id = p.session_id"
        f" WHERE s.assembly_id = :assembly{where} ORDER BY p.created_at DESC, p.id DESC LIMIT :limit)"
        " ORDER BY r.created_at DESC, r.poll_id DESC"
    ).columns(**_POLL_COLUMNS)


_OPTIONS = text(
    "SELECT poll_id, option, votes, dots, place_sum FROM report_poll_options WHERE assembly_id = :assembly"
    " AND poll_id IN :polls"
).bindparams(bindparam("polls", expanding=True))


@dataclass(frozen=True)
class PollResult:
    """A poll as the dashboard lists it; `tally` only once it is closed (nobody sees a count under way)
    and only as far as `flows.polls.disclosure` allows; `too_few` when withheld for too few answers."""

    poll: Poll
    created_at: datetime
    recipients: int
    answers: int
    tally: Tally | None
    too_few: bool = False


@dataclass(frozen=True)
class RatingFigures:
    session_key: str
    question: str
    answers: int
    average: float


@dataclass(frozen=True)
class Comment:
    session_key: str
    text: str
    language: str | None
    """The language detected in the comment itself; None when too short to tell."""


@dataclass(frozen=True)
class FeedbackFigures:
    """Feedback of the participants who use the bot in `language` (everyone when None)."""

    language: str | None
    ratings: tuple[RatingFigures, ...]
    comments_by_language: dict[str, int]
    comments: tuple[Comment, ...]


def _counts(spec: PollSpec, rows: dict[int, tuple[int, int, int]]) -> list[float]:
    """Per-answer counts from the view's (votes, dots, place_sum) per option as `flows.polls.tally` counts."""
    marks = [rows.get(option, (0, 0, 0)) for option in range(size(spec))]
    if spec.kind == "dots":
        return [dots for _, dots, _ in marks]
    if spec.kind == "ranking":  # Borda: a ballot gives (options - 1 - place) points to each ranked option
        return [votes * (len(marks) - 1) - places for votes, _, places in marks]
    return [votes for votes, _, _ in marks]


async def _texts_of(session: AsyncSession, poll_ids: list[int]) -> dict[int, list[Ballot]]:
    """Each open-text poll's answers, secret ones first, taken out of their JSON by SQL: decoding
    every ballot whole took most of the poll page's time (7,000 texts on a page at a million votes)."""
    found: dict[int, list[Ballot]] = {poll_id: [] for poll_id in poll_ids}
    if poll_ids:
        for table in (SecretBallotRow, PollAnswerRow):
            query = select(table.poll_id, table.ballot["t"].as_string()).where(table.poll_id.in_(poll_ids))
            for poll_id, written in (await session.execute(query)).tuples():
                found[poll_id].append(Written(written))
    return found


async def poll_results(
    session: AsyncSession,
    assembly_id: str,
    *,
    minimum: int,
    session_key: str | None = None,
    poll_id: int | None = None,
    limit: int = 100,
) -> list[PollResult]:
    """The newest polls of the assembly (or of one session, or one poll), with the tally of those
    closed that may be shown (`minimum` is the assembly's small-result minimum)."""
    query = _polls_query(poll_id is not None, session_key)
    params = {"assembly": assembly_id, "session": session_key, "poll": poll_id, "limit": limit}
    polls = (await session.execute(query, params)).tuples().all()
    closed = [row[0] for row in polls if row[5] is not None]
    options: dict[int, dict[int, tuple[int, int, int]]] = defaultdict(dict)
    if closed:
        found = await session.execute(_OPTIONS, {"assembly": assembly_id, "polls": closed})
        for counted, option, votes, dots, places in found.tuples():
            options[counted][int(option)] = (int(votes), int(dots), int(places))
    specs = {row[0]: spec_from_json(row[3]) for row in polls}
    runoffs = [
        number for number in closed if specs[number].kind == "ranking" and specs[number].method == "irv"
    ]
    ballots = await SqlPolls(session, assembly_id).ballots_of(runoffs) if runoffs else {}
    ballots |= await _texts_of(session, [number for number in closed if specs[number].kind == "text"])
    results = []
    for number, key, table, _, created, closed_at, asked, answered in polls:
        spec = specs[number]
        poll = Poll(number, spec, key, table, 0, closed_at is not None)
        tally = None
        if number in ballots:
            tally = tally_of(poll, ballots[number])
        elif poll.closed:
            tally = from_counts(spec.kind, _counts(spec, options[number]), int(answered), scale=spec.scale)
        shown = disclose(poll, tally, minimum)
        results.append(PollResult(poll, created, int(asked), int(answered), shown.tally, shown.too_few))
    return results


def _given(
    query: Select[Any],
    table: type[FeedbackRatingRow | FeedbackCommentRow],
    assembly_id: str,
    language: str | None,
) -> Select[Any]:
    """`query` narrowed to the assembly's feedback, and to participants who use `language` with the
    bot: their ids read once from an index (`0014_participant_language`), not each answer's
    participant looked up for its language."""
    query = query.join(SessionRow, SessionRow.id == table.session_id).where(
        SessionRow.assembly_id == assembly_id
    )
    if language:
        speakers = select(ParticipantRow.id).where(
            ParticipantRow.assembly_id == assembly_id, ParticipantRow.language == language
        )
        query = query.where(table.participant_id.in_(speakers))
    return query


async def feedback(
    session: AsyncSession, assembly_id: str, language: str | None, limit: int = 200
) -> FeedbackFigures:
    """Ratings (count, average) per session and question, comment counts per detected language, and
    the latest comments, of the participants who use `language` with the bot (everyone when None)."""
    rated = select(
        SessionRow.key, FeedbackRatingRow.question, func.count(), func.avg(FeedbackRatingRow.value)
    )
    ratings = (
        _given(rated, FeedbackRatingRow, assembly_id, language)
        .group_by(SessionRow.starts_at, SessionRow.key, FeedbackRatingRow.question)
        .order_by(SessionRow.starts_at, FeedbackRatingRow.question)
    )
    detected = func.coalesce(FeedbackCommentRow.language, "und")
    by_language = _given(select(detected, func.count()), FeedbackCommentRow, assembly_id, language).group_by(
        detected
    )
    written = select(SessionRow.key, FeedbackCommentRow.text, FeedbackCommentRow.language)
    comments = (
        _given(written, FeedbackCommentRow, assembly_id, language)
        .order_by(SessionRow.starts_at.desc(), FeedbackCommentRow.participant_id)
        .limit(limit)
    )
    return FeedbackFigures(
        language=language,
        ratings=tuple(
            RatingFigures(key, question, int(n), float(avg))
            for key, question, n, avg in (await session.execute(ratings)).tuples()
        ),
        comments_by_language={code: int(n) for code, n in (await session.execute(by_language)).tuples()},
        comments=tuple(Comment(*row) for row in (await session.execute(comments)).tuples()),
    )


async def rating_average(session: AsyncSession, assembly_id: str) -> tuple[int, float | None]:
    """All ratings of the assembly: how many, and their average (1-5)."""
    query = _given(
        select(func.count(), func.avg(FeedbackRatingRow.value.cast(Float))),
        FeedbackRatingRow,
        assembly_id,
        None,
    )
    n, average = (await session.execute(query)).one()
    return int(n), None if average is None else float(average)


async def poll_counts(session: AsyncSession, assembly_id: str) -> tuple[int, int]:
    """(closed, open) polls of the assembly."""
    query = text(
        "SELECT COUNT(closed_at), COUNT(*) - COUNT(closed_at) FROM report_polls WHERE assembly_id = :assembly"
    )
    closed, still_open = (await session.execute(query, {"assembly": assembly_id})).one()
    return int(closed), int(still_open)
