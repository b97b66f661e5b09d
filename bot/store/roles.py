"""Roles and one-time role invites: the flows' `RoleStore` port, and invite creation for the CLI.

An invite's secret is 128 random bits (`secrets.token_urlsafe(16)`); only its SHA-256 is stored.
A plain hash without salt or stretching is enough here: stretching protects low-entropy secrets
(passwords) against guessing, and nobody can enumerate 2**128 candidates, so a leaked table of
hashes gives no usable code. The code is also single use and expires.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import audit
from bot.store.models import ParticipantRow, RoleInviteRow, RoleRow


def digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


async def create_invite(
    session: AsyncSession, assembly_id: str, role: str, now: datetime, valid: timedelta
) -> str:
    """A new invite code for `role`; the caller shows it once, the store keeps only its hash."""
    code = secrets.token_urlsafe(16)
    session.add(
        RoleInviteRow(
            assembly_id=assembly_id, role=role, code_hash=digest(code), created_at=now, expires_at=now + valid
        )
    )
    return code


@dataclass(frozen=True)
class Holder:
    """One role held by one person, as organisers know them: the first name they gave, and their chat."""

    participant_id: int
    chat_id: int
    language: str
    name: str
    role: str
    granted_at: datetime


async def staff(session: AsyncSession, assembly_id: str, name: str | None = None) -> list[Holder]:
    """The roles held in the assembly, by first name then role; only those of people called `name`
    (whatever the case) when it is given."""
    query = (
        select(
            RoleRow.participant_id,
            ParticipantRow.chat_id,
            ParticipantRow.language,
            RoleRow.name,
            RoleRow.role,
            RoleRow.granted_at,
        )
        .join(ParticipantRow, ParticipantRow.id == RoleRow.participant_id)
        .where(RoleRow.assembly_id == assembly_id)
        .order_by(RoleRow.name, RoleRow.role, RoleRow.granted_at)
    )
    if name is not None:
        query = query.where(func.lower(RoleRow.name) == name.strip().lower())
    return [Holder(*row) for row in (await session.execute(query)).tuples()]


async def revoke(
    session: AsyncSession, assembly_id: str, participant_id: int, roles: Sequence[str], actor: str
) -> set[str]:
    """Withdraw `roles` from one person of this assembly, one audit row for each role they held;
    returns the roles they still hold. Every privileged command and dashboard page checks the role in
    the store, so it stops at once."""
    query = select(RoleRow.role).where(
        RoleRow.participant_id == participant_id, RoleRow.assembly_id == assembly_id
    )
    held = set((await session.execute(query)).scalars())
    for role in sorted(held & set(roles)):
        await audit.record(
            session, assembly_id, "role_revoked", actor=actor, role=role, participant=participant_id
        )
    await session.execute(
        delete(RoleRow).where(
            RoleRow.participant_id == participant_id,
            RoleRow.assembly_id == assembly_id,
            RoleRow.role.in_(list(held & set(roles))),
        )
    )
    return held - set(roles)


class SqlRoles:
    """Implements `flows.ports.RoleStore` on the caller's session; never commits."""

    def __init__(self, session: AsyncSession, assembly_id: str) -> None:
        self.session, self.assembly_id = session, assembly_id
        self._roleless: set[int] = set()

    def added(self, participant_id: int) -> None:
        """A participant added in this unit of work holds no role until `redeem` grants one: their
        roles need no query (a first contact's `/help`)."""
        self._roleless.add(participant_id)

    async def redeem(self, code: str, participant_id: int, name: str, now: datetime) -> str | None:
        # One conditional UPDATE spends the code, so two people racing for it cannot both win.
        spent = await self.session.execute(
            update(RoleInviteRow)
            .where(
                RoleInviteRow.code_hash == digest(code),
                RoleInviteRow.assembly_id == self.assembly_id,
                RoleInviteRow.used_at.is_(None),
                RoleInviteRow.expires_at > now,
            )
            .values(used_at=now, used_by=participant_id)
            .returning(RoleInviteRow.role)
        )
        role = spent.scalar_one_or_none()
        if role is None:
            return None
        self._roleless.discard(participant_id)
        if await self.session.get(RoleRow, (participant_id, role)) is None:
            self.session.add(
                RoleRow(
                    participant_id=participant_id,
                    assembly_id=self.assembly_id,
                    role=role,
                    name=name[:64],
                    granted_at=now,
                )
            )
            await self.session.flush()
            actor = await audit.staff(self.session, self.assembly_id, participant_id)
            await audit.record(
                self.session, self.assembly_id, "role_granted", actor=actor, now=now, role=role
            )
        return role

    async def roles(self, participant_id: int) -> set[str]:
        if participant_id in self._roleless:
            return set()
        query = select(RoleRow.role).where(
            RoleRow.assembly_id == self.assembly_id, RoleRow.participant_id == participant_id
        )
        return set((await self.session.execute(query)).scalars())

    async def names(self, participant_ids: Sequence[int]) -> dict[int, str]:
        query = select(RoleRow.participant_id, RoleRow.name).where(
            RoleRow.assembly_id == self.assembly_id, RoleRow.participant_id.in_(list(participant_ids))
        )
        return {person: name for person, name in (await self.session.execute(query)).tuples() if name}

    async def holders(self, role: str) -> list[int]:
        query = (
            select(RoleRow.participant_id)
            .where(RoleRow.assembly_id == self.assembly_id, RoleRow.role == role)
            .order_by(RoleRow.granted_at, RoleRow.participant_id)
        )
        return list((await self.session.execute(query)).scalars())
