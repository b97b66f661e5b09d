"""The read side: digest figures from the report views and GROUP BY queries, never row by row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import DigestRow, ParticipantRow, UTCDateTime
from flows.digest import DigestData, SessionFigures, Stratum

_STRATA = text(
    "SELECT feature, value, registered, confirmed, min_seats, max_seats, gap FROM report_strata "
    "WHERE assembly_id = :assembly"
)
_STATUSES = text("SELECT status, participants FROM report_statuses WHERE assembly_id = :assembly")
_SESSIONS = text(
    "SELECT session_key, starts_at, cancelled_at, coming, absent, attended, late FROM report_sessions "
    "WHERE assembly_id = :assembly ORDER BY starts_at"
).columns(starts_at=UTCDateTime(), cancelled_at=UTCDateTime())
_DELIVERY = text("SELECT problem, total FROM report_delivery WHERE assembly_id = :assembly")


async def last_digest(session: AsyncSession, assembly_id: str) -> datetime | None:
    query = select(func.max(DigestRow.created_at)).where(DigestRow.assembly_id == assembly_id)
    found: datetime | None = await session.scalar(query)
    return found


async def digest_data(session: AsyncSession, assembly_id: str, now: datetime) -> DigestData:
    """The digest's figures as of `now`; new registrations count from the last scheduled digest."""
    params = {"assembly": assembly_id}
    since = await last_digest(session, assembly_id)
    new = select(func.count()).where(
        ParticipantRow.assembly_id == assembly_id, ParticipantRow.registered_at.is_not(None)
    )
    if since is not None:
        new = new.where(ParticipantRow.registered_at > since)
    strata = tuple(
        Stratum(f, v, int(r), int(c), lo, hi, int(g))
        for f, v, r, c, lo, hi, g in (await session.execute(_STRATA, params)).tuples()
    )
    sessions = tuple(
        SessionFigures(key, starts, cancelled is not None, int(co), int(ab), int(at), int(la))
        for key, starts, cancelled, co, ab, at, la in (await session.execute(_SESSIONS, params)).tuples()
    )
    upcoming = next((s.key for s in sessions if s.starts_at > now and not s.cancelled), None)
    delivery = {p: int(t) for p, t in (await session.execute(_DELIVERY, params)).tuples()}
    return DigestData(
        generated_at=now,
        since=since,
        new_registrations=int(await session.scalar(new) or 0),
        statuses={s: int(n) for s, n in (await session.execute(_STATUSES, params)).tuples()},
        strata=tuple(sorted(strata, key=lambda s: (s.feature, s.value))),
        sessions=sessions,
        next_session=upcoming,
        blocked_participants=delivery.get("blocked_participants", 0),
        failed_sends=delivery.get("failed_sends", 0),
        undelivered_blocked=delivery.get("undelivered_blocked", 0),
    )


class ReportsMixin:
    """Implements `flows.digest.Reports` on `self.session`."""

    session: AsyncSession
    assembly_id: str

    async def digest_data(self, now: datetime) -> DigestData:
        return await digest_data(self.session, self.assembly_id, now)
