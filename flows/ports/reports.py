"""The reports port: the read side the digest needs, computed by `bot/` in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from flows.digest.figures import DigestData


class Reports(Protocol):
    """Figures aggregated over the whole assembly, for the organisers."""

    async def digest_for(self, participant_id: int, now: datetime) -> DigestData:
        """The digest's figures as of `now` for the organiser who asked; new registrations count
        from the last scheduled digest. Handing the figures out is a privileged action: it is
        written to the audit log in the same transaction."""
        ...
