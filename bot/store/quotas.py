"""The definition's feature values and quotas mirrored into `quota_targets`, for the report views."""

from __future__ import annotations

import json

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import QuotaTarget
from flows.assembly import Assembly


async def sync_quotas(session: AsyncSession, assembly: Assembly) -> int:
    """Replace the assembly's quota rows with the definition's; returns how many there are now."""
    await session.execute(delete(QuotaTarget).where(QuotaTarget.assembly_id == assembly.id))
    registration = assembly.registration
    if registration is None:
        return 0
    seats = assembly.digest.seats if assembly.digest else None
    rows = []
    for question in registration.features:
        for value in question.values:
            quota = question.quotas.get(value)
            low: int | None = None
            high: int | None = None
            if seats is not None:
                low, high = quota.bounds(seats) if quota is not None else (0, seats)
            rows.append(
                QuotaTarget(
                    assembly_id=assembly.id,
                    feature=question.id,
                    value=value,
                    # The JSON text the answers table holds for this value, so views join portably.
                    answer=json.dumps(value),
                    min_seats=low,
                    max_seats=high,
                )
            )
    session.add_all(rows)
    await session.flush()
    return len(rows)
