"""Invitation codes: generated with `secrets`, stored only as a SHA-256 digest, claimed once.

A plain SHA-256 is enough here (no salt, no slow hash): each code carries 128 random bits, so no
dictionary or brute-force search can invert the digest, and an unsalted digest lets `/start <code>`
find its row with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import InvitationRow
from flows.ports import InvitationOutcome

CODE_BYTES = 16
"""128 bits, 22 URL-safe characters: fits Telegram's 64-character deep-link payload."""


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def create(session: AsyncSession, assembly_id: str, count: int, expires_at: datetime | None) -> list[str]:
    """Store `count` new codes (hashed) and return the codes themselves, which are not kept."""
    codes = [new_code() for _ in range(count)]
    session.add_all(
        InvitationRow(assembly_id=assembly_id, code_hash=digest(code), expires_at=expires_at)
        for code in codes
    )
    return codes


async def claim(
    session: AsyncSession, assembly_id: str, code: str, participant_id: int, now: datetime
) -> InvitationOutcome:
    """Bind an unused, unexpired code to the participant; the same person may open their link again."""
    query = select(InvitationRow).where(
        InvitationRow.code_hash == digest(code), InvitationRow.assembly_id == assembly_id
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        return InvitationOutcome.UNKNOWN
    if row.participant_id == participant_id:
        return InvitationOutcome.ACCEPTED
    if row.used_at is not None:
        return InvitationOutcome.USED
    if row.expires_at is not None and row.expires_at <= now:
        return InvitationOutcome.EXPIRED
    row.used_at, row.participant_id = now, participant_id
    return InvitationOutcome.ACCEPTED
