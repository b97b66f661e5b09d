"""Who may see the dashboard: one-time sign-in links (the flows' `DashboardAccess` port) and browser
sessions. Secrets are random (`secrets`), only their SHA-256 is stored (as for role invites: nothing
to guess, so no stretching), and every page view checks the viewer's role in the store again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import audit
from bot.store.models import DashboardLinkRow, DashboardSessionRow, ParticipantRow, RoleRow
from flows.assembly import Assembly
from flows.dashboard import viewer_role
from flows.status import ParticipantStatus

SESSION_VALID = timedelta(hours=8)
"""A working day at the assembly; then the bot's /dashboard gives a new link."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Viewer:
    """A signed-in facilitator or organiser, as the pages need them."""

    participant_id: int
    language: str
    role: str
    name: str


class SqlDashboardLinks:
    """Implements `flows.ports.DashboardAccess` on the caller's session; never commits."""

    def __init__(self, session: AsyncSession, assembly_id: str) -> None:
        self.session, self.assembly_id = session, assembly_id

    async def issue_link(self, participant_id: int, now: datetime, valid: timedelta) -> str:
        token = secrets.token_urlsafe(24)
        await self.session.execute(
            delete(DashboardLinkRow).where(
                DashboardLinkRow.participant_id == participant_id, DashboardLinkRow.expires_at <= now
            )
        )
        self.session.add(
            DashboardLinkRow(
                token_hash=_hash(token),
                assembly_id=self.assembly_id,
                participant_id=participant_id,
                created_at=now,
                expires_at=now + valid,
            )
        )
        return token


async def _viewer(session: AsyncSession, assembly: Assembly, participant_id: int) -> Viewer | None:
    """The viewer behind a link or a session, if they still hold a role in this assembly."""
    person = await session.get(ParticipantRow, participant_id)
    if (
        person is None
        or person.assembly_id != assembly.id
        or person.status == ParticipantStatus.FORGOTTEN.value
    ):
        return None
    rows = (
        await session.execute(
            select(RoleRow).where(
                RoleRow.assembly_id == assembly.id, RoleRow.participant_id == participant_id
            )
        )
    ).scalars()
    held = {row.role: row.name for row in rows}
    role = viewer_role(assembly, person.telegram_user_id, set(held))
    if role is None:
        return None
    return Viewer(participant_id, person.language, role, held.get(role) or next(iter(held.values()), ""))


def _usable_link(assembly: Assembly, token: str, now: datetime) -> list[ColumnElement[bool]]:
    return [
        DashboardLinkRow.token_hash == _hash(token),
        DashboardLinkRow.assembly_id == assembly.id,
        DashboardLinkRow.used_at.is_(None),
        DashboardLinkRow.expires_at > now,
    ]


async def link_viewer(session: AsyncSession, assembly: Assembly, token: str, now: datetime) -> Viewer | None:
    """Who a sign-in link is for, without spending it (a link preview must not use it up)."""
    query = select(DashboardLinkRow.participant_id).where(*_usable_link(assembly, token, now))
    holder = await session.scalar(query)
    return None if holder is None else await _viewer(session, assembly, holder)


async def sign_in(
    session: AsyncSession, assembly: Assembly, token: str, now: datetime
) -> tuple[str, Viewer] | None:
    """Spend a sign-in link and open a browser session: its cookie secret and the viewer, or None."""
    spent = await session.execute(
        update(DashboardLinkRow)
        .where(*_usable_link(assembly, token, now))
        .values(used_at=now)
        .returning(DashboardLinkRow.participant_id)
    )
    holder = spent.scalar_one_or_none()
    viewer = None if holder is None else await _viewer(session, assembly, holder)
    if viewer is None:
        return None
    await session.execute(delete(DashboardSessionRow).where(DashboardSessionRow.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    session.add(
        DashboardSessionRow(
            token_hash=_hash(secret),
            assembly_id=assembly.id,
            participant_id=viewer.participant_id,
            created_at=now,
            expires_at=now + SESSION_VALID,
        )
    )
    actor = await audit.staff(session, assembly.id, viewer.participant_id)
    await audit.record(session, assembly.id, "dashboard_sign_in", actor=actor, now=now)
    return secret, viewer


async def session_viewer(
    session: AsyncSession, assembly: Assembly, secret: str, now: datetime
) -> Viewer | None:
    """The viewer of a browser session that is still open, in this assembly, with a role still held."""
    row = await session.get(DashboardSessionRow, _hash(secret))
    if row is None or row.assembly_id != assembly.id or row.expires_at <= now:
        return None
    return await _viewer(session, assembly, row.participant_id)


async def sign_out(session: AsyncSession, secret: str) -> None:
    await session.execute(delete(DashboardSessionRow).where(DashboardSessionRow.token_hash == _hash(secret)))


async def forget_viewer(session: AsyncSession, participant_id: int) -> None:
    """Erasure: the person's links and sessions go with their data."""
    for table in (DashboardLinkRow, DashboardSessionRow):
        await session.execute(delete(table).where(table.participant_id == participant_id))
