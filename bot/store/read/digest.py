"""The read side: digest figures from the report views and GROUP BY queries, never row by row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Integer, String, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import audit
from bot.store.models import DigestRow, ParticipantRow, UTCDateTime
from flows.digest.figures import DigestData, FeedbackFigures, PollFigures, SessionFigures, Stratum

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_STRATA = text(
    "SELECT feature, value, registered, confirmed, min_seats, max_seats, gap FROM report_strata "
    "WHERE assembly_id = :assembly"
)
_STATUSES = text("SELECT status, participants FROM report_statuses WHERE assembly_id = :assembly")
_SESSIONS = text(
    "SELECT session_key, starts_at, cancelled_at, coming, absent, attended, late FROM report_sessions "
    "WHERE assembly_id = :assembly ORDER BY starts_at"
).columns(starts_at=UTCDateTime(), cancelled_at=UTCDateTime())
_POLLS = (
    text(
        "SELECT r.session_key, r.table_no, p.spec, r.recipients, r.answers, r.closed_at FROM report_polls r"
        " JOIN polls p ON p.id = r.poll_id WHERE r.assembly_id = :assembly AND r.created_at > :since"
        " ORDER BY r.created_at, r.poll_id"
    )
    .bindparams(bindparam("since", type_=UTCDateTime()))
    .columns(
        session_key=String(),
        table_no=Integer(),
        spec=JSON(),
        recipients=Integer(),
        answers=Integer(),
        closed_at=UTCDateTime(),
    )
)
_FEEDBACK = text(
    "SELECT session_key, kind, item, answers, average FROM report_feedback WHERE assembly_id = :assembly"
    " ORDER BY session_key, kind DESC, item"
)
_DELIVERY = text("SELECT problem, total FROM report_delivery WHERE assembly_id = :assembly")


async def last_digest(session: AsyncSession, assembly_id: str) -> datetime | None:
    query = select(func.max(DigestRow.created_at)).where(DigestRow.assembly_id == assembly_id)
    found: datetime | None = await session.scalar(query)
    return found


async def strata(session: AsyncSession, assembly_id: str) -> tuple[Stratum, ...]:
    """Registrations per feature value against the quotas, by feature and value."""
    found = (
        Stratum(f, v, int(r), int(c), lo, hi, int(g))
        for f, v, r, c, lo, hi, g in (await session.execute(_STRATA, {"assembly": assembly_id})).tuples()
    )
    return tuple(sorted(found, key=lambda s: (s.feature, s.value)))


async def statuses(session: AsyncSession, assembly_id: str) -> dict[str, int]:
    rows = await session.execute(_STATUSES, {"assembly": assembly_id})
    return {status: int(n) for status, n in rows.tuples()}


async def session_figures(session: AsyncSession, assembly_id: str) -> tuple[SessionFigures, ...]:
    """RSVPs and attendance of every session, in time order."""
    return tuple(
        SessionFigures(key, starts, cancelled is not None, int(co), int(ab), int(at), int(la))
        for key, starts, cancelled, co, ab, at, la in (
            await session.execute(_SESSIONS, {"assembly": assembly_id})
        ).tuples()
    )


def next_session(sessions: tuple[SessionFigures, ...], now: datetime) -> str | None:
    return next((s.key for s in sessions if s.starts_at > now and not s.cancelled), None)


DELIVERY_PROBLEMS = ("blocked_participants", "failed_sends", "undelivered_blocked")


async def delivery(session: AsyncSession, assembly_id: str) -> dict[str, int]:
    """Totals per problem: blocked_participants, failed_sends, undelivered_blocked."""
    found = {p: int(t) for p, t in (await session.execute(_DELIVERY, {"assembly": assembly_id})).tuples()}
    return {problem: found.get(problem, 0) for problem in DELIVERY_PROBLEMS}


async def digest_data(session: AsyncSession, assembly_id: str, now: datetime) -> DigestData:
    """The digest's figures as of `now`; new registrations count from the last scheduled digest."""
    params = {"assembly": assembly_id}
    since = await last_digest(session, assembly_id)
    new = select(func.count()).where(
        ParticipantRow.assembly_id == assembly_id, ParticipantRow.registered_at.is_not(None)
    )
    if since is not None:
        new = new.where(ParticipantRow.registered_at > since)
    sessions = await session_figures(session, assembly_id)
    problems = await delivery(session, assembly_id)
    return DigestData(
        generated_at=now,
        since=since,
        new_registrations=int(await session.scalar(new) or 0),
        statuses=await statuses(session, assembly_id),
        strata=await strata(session, assembly_id),
        sessions=sessions,
        next_session=next_session(sessions, now),
        blocked_participants=problems["blocked_participants"],
        failed_sends=problems["failed_sends"],
        undelivered_blocked=problems["undelivered_blocked"],
        polls=tuple(
            PollFigures(key, table, spec.get("question", {}), int(asked), int(answered), closed is not None)
            for key, table, spec, asked, answered, closed in (
                await session.execute(_POLLS, {**params, "since": since or EPOCH})
            ).tuples()
        ),
        feedback=tuple(
            FeedbackFigures(key, kind, item, int(n), None if avg is None else float(avg))
            for key, kind, item, n, avg in (await session.execute(_FEEDBACK, params)).tuples()
        ),
    )


class SqlReports:
    """Implements `flows.ports.Reports` on the caller's session."""

    def __init__(self, session: AsyncSession, assembly_id: str) -> None:
        self.session, self.assembly_id = session, assembly_id

    async def digest_for(self, participant_id: int, now: datetime) -> DigestData:
        data = await digest_data(self.session, self.assembly_id, now)
        actor = await audit.staff(self.session, self.assembly_id, participant_id)
        await audit.record(
            self.session,
            self.assembly_id,
            "digest_sent",
            actor=audit.NAMED_ORGANISER if actor == audit.BOT else actor,
            now=now,
            recipients=1,
            requested=True,
        )
        return data
