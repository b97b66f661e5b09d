"""The numbers an operator watches, as Prometheus metrics served at `/metrics` on the health server.

Counters and histograms are observed where the work happens (updates, Bot API calls, timed jobs,
draws); the outbox figures are read from the store at each scrape, so every worker reports the same
shared backlog. Labels never carry a chat, a user or anything typed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from bot.store import health
from bot.store.database import Database
from bot.store.updates import Received
from bot.telegram.api import Blocked, Delivery, RetryLater, TelegramApi, Transient
from flows.actions import Action

UPDATES = Counter("assembly_bot_updates_handled", "Updates run through the flows")
UPDATE_SECONDS = Histogram(
    "assembly_bot_update_seconds",
    "Time to handle one update: flow step, state and replies in one transaction",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SENDS = Counter("assembly_bot_sends", "Bot API calls from the outbox, by outcome", ["outcome"])
OUTBOX_PENDING = Gauge("assembly_bot_outbox_pending", "Outbox messages not yet sent")
OUTBOX_OLDEST = Gauge(
    "assembly_bot_outbox_oldest_pending_seconds", "Age of the oldest message waiting in the outbox"
)
SCHEDULER_LAG = Gauge(
    "assembly_bot_scheduler_lag_seconds", "How late the last run of each timed job started", ["job"]
)
DRAWS = Counter("assembly_bot_draws", "Lottery draws made by this process")
DRAW_SECONDS = Histogram(
    "assembly_bot_draw_seconds", "Time one lottery draw took", buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900)
)
LEADER = Gauge("assembly_bot_leader", "1 while this worker polls and runs the timed jobs")

SEND_OUTCOMES = ("sent", "429", "blocked", "failed", "transient")
for _outcome in SEND_OUTCOMES:
    SENDS.labels(_outcome)  # every outcome is reported from the start, at 0


@contextlib.contextmanager
def timed_update() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        UPDATE_SECONDS.observe(time.perf_counter() - started)
        UPDATES.inc()


@contextlib.contextmanager
def timed_draw() -> Iterator[None]:
    started = time.perf_counter()
    yield
    DRAW_SECONDS.observe(time.perf_counter() - started)
    DRAWS.inc()


def job_started(job: str, scheduled: datetime) -> None:
    SCHEDULER_LAG.labels(job).set(max(0.0, (datetime.now(UTC) - scheduled).total_seconds()))


async def exposition(db: Database, assembly_id: str) -> tuple[bytes, str]:
    """The text a scrape gets, with the assembly's outbox figures read now (left as they were if the
    store fails)."""
    with contextlib.suppress(Exception):
        async with db.transaction() as session:
            backlog = await health.outbox_backlog(session, assembly_id)
        OUTBOX_PENDING.set(backlog.pending)
        age = (datetime.now(UTC) - backlog.oldest).total_seconds() if backlog.oldest else 0.0
        OUTBOX_OLDEST.set(max(0.0, age))
    return generate_latest(), CONTENT_TYPE_LATEST


class MeteredApi:
    """A `TelegramApi` that counts each outbox call's outcome and passes everything through."""

    def __init__(self, api: TelegramApi) -> None:
        self.api = api
        self.name = api.name

    async def perform(self, action: Action) -> Delivery:
        try:
            delivery = await self.api.perform(action)
        except RetryLater:
            SENDS.labels("429").inc()
            raise
        except Blocked:
            SENDS.labels("blocked").inc()
            raise
        except Transient:
            SENDS.labels("transient").inc()
            raise
        except Exception:
            SENDS.labels("failed").inc()
            raise
        SENDS.labels("sent").inc()
        return delivery

    async def identity(self) -> tuple[int, str]:
        return await self.api.identity()

    async def get_updates(self, offset: int | None, timeout: int) -> list[Received]:
        return await self.api.get_updates(offset, timeout)

    def parse_update(self, data: dict[str, Any]) -> Received:
        return self.api.parse_update(data)

    async def set_webhook(
        self, url: str, secret: str, allowed_updates: list[str], max_connections: int
    ) -> None:
        await self.api.set_webhook(url, secret, allowed_updates, max_connections)

    async def delete_webhook(self) -> None:
        await self.api.delete_webhook()

    async def set_commands(
        self, commands: list[tuple[str, str]], language: str | None, chat_id: int | None = None
    ) -> None:
        await self.api.set_commands(commands, language, chat_id)

    async def close(self) -> None:
        await self.api.close()
