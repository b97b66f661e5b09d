"""The audit log: one append-only row per privileged action, written in the action's own transaction
(so an action and its record commit or roll back together).

Who acted is recorded as a name an organiser recognises, never as a participant's data: a staff
member by the name their role carries ("Sam (organiser)"), a command by the operator's account
("command line (alice)"), timed work as "the bot", and an erasure by nobody at all. A staff member
who erases their data is named in their rows as ERASED_ACTOR from then on (`forget_actor`).
"""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import CHAT_ID
from bot.store.models import AuditRow, ParticipantRow, RoleRow, utcnow

ACTIONS = (
    "role_granted",
    "role_revoked",
    "poll_started",
    "poll_closed",
    "tables_assigned",
    "pin",
    "lottery",
    "confirmations_expired",
    "export",
    "announcement",
    "digest_sent",
    "dashboard_sign_in",
    "erasure",
    "phone_registration",
)
"""Every action the log knows, in the order the dashboard explains them."""

BOT = "the bot"
NOBODY = ""
NAMED_ORGANISER = "an organiser named in the definition"
"""Who asked for the digest in chat when the definition names them as a recipient without a role."""
ERASED_ACTOR = "an erased staff member"
"""What a staff member's name becomes in the rows they acted in once they erase their data: the
only change the database lets anyone make to the log."""


def operator() -> str:
    """Who runs an organiser command: the account on the server."""
    return f"command line ({getpass.getuser()})"


async def staff(session: AsyncSession, assembly_id: str, participant_id: int | None = None) -> str:
    """The acting staff member of the assembly as "Name (role)": `participant_id`, else whoever sent
    the update being handled; the bot itself when neither is known (timed work)."""
    query = (
        select(RoleRow.name, RoleRow.role).where(RoleRow.assembly_id == assembly_id).order_by(RoleRow.role)
    )
    if participant_id is not None:
        query = query.where(RoleRow.participant_id == participant_id)
    elif CHAT_ID.get() is not None:
        query = query.join(ParticipantRow, ParticipantRow.id == RoleRow.participant_id).where(
            ParticipantRow.chat_id == CHAT_ID.get()
        )
    else:
        return BOT
    held = (await session.execute(query)).tuples().all()
    if not held:
        return BOT
    name = held[0][0] or "?"
    return f"{name} ({', '.join(role for _, role in held)})"


async def record(
    session: AsyncSession,
    assembly_id: str,
    action: str,
    *,
    actor: str,
    now: datetime | None = None,
    **detail: Any,
) -> None:
    """Add one row; `detail` holds ids, counts and settings only, never names or typed text."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditRow(assembly_id=assembly_id, at=now or utcnow(), actor=actor, action=action, detail=detail)
    )
    await session.flush()


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


async def entries(session: AsyncSession, assembly_id: str, batch: int = 500) -> AsyncIterator[Entry]:
    """The assembly's log, oldest first, streamed."""
    query = select(AuditRow).where(AuditRow.assembly_id == assembly_id).order_by(AuditRow.id)
    stream = await session.stream_scalars(query.execution_options(yield_per=batch))
    async for row in stream:
        yield Entry(row.at, row.actor, row.action, row.detail)


async def latest(session: AsyncSession, assembly_id: str, limit: int = 200) -> list[Entry]:
    """The newest entries first, for the dashboard."""
    query = (
        select(AuditRow).where(AuditRow.assembly_id == assembly_id).order_by(AuditRow.id.desc()).limit(limit)
    )
    return [Entry(r.at, r.actor, r.action, r.detail) for r in (await session.execute(query)).scalars()]


async def forget_actor(session: AsyncSession, participant_id: int) -> None:
    """Replace this staff member's name as the actor of their rows (called by the erasure, before
    their roles go). Rows are matched by the "Name (" prefix `staff` writes."""
    names = set(
        (
            await session.execute(select(RoleRow.name).where(RoleRow.participant_id == participant_id))
        ).scalars()
    )
    for name in names:
        await session.execute(
            update(AuditRow)
            .where(AuditRow.actor.startswith(f"{name or '?'} (", autoescape=True))
            .values(actor=ERASED_ACTOR)
        )
