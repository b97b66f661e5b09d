"""The reports port: the read side the digest needs, computed by `bot/` in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from flows.digest.figures import DigestData


class Reports(Protocol):
    """Figures aggregated over the whole assembly, for the organisers."""

    async def digest_data(self, now: datetime) -> DigestData:
        """The digest's figures as of `now`; new registrations count from the last scheduled digest."""
        ...
