"""Reminder fan-out throughput: N confirmed participants, one reminder each, through the real bot.

The real aiogram runtime, outbox sender, reminder job and SQLite store run against the emulator,
which enforces Telegram's flood limits (30 messages per second bot-wide by default) and answers
429 with `retry_after` when they are exceeded. The achieved rate is measured at the emulator, from
its first accepted sendMessage to its last, and printed against the limit as baseline.

    python -m bench.fanout [--participants 1000] [--limit 30] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.adapters.clock import ManualClock
from bot.bootstrap import build_app, build_core
from bot.definition import load_assembly
from bot.emulator import Emulator, Limits
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store.database import Database
from bot.store.models import OutboxMessage, ParticipantRow
from bot.store.participants import SqlStore, ensure_assembly

TOKEN = "123456:BENCH-TOKEN"
LANGUAGES = ("fr", "nl", "en", "de", "ar")
FIRST_USER = 10_000


@dataclass(frozen=True)
class FanOut:
    """What one fan-out did: deliveries per chat, refusals, outbox outcomes and the rate achieved."""

    participants: int
    per_chat: Counter[int]
    refused: int
    outbox: Counter[str]
    rate: float
    seconds: float


async def _pending(db: Database) -> int:
    async with db.transaction() as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        return int((await session.execute(query)).scalar_one())


async def fan_out(
    participants: int, workdir: Path, *, limit: float = 30.0, timeout: float = 600.0, url: str | None = None
) -> FanOut:
    """Run one reminder fan-out to `participants` people with the emulator's bot-wide limit at `limit`,
    on a fresh SQLite store in `workdir` or on the empty database at `url`. A reminder not delivered
    within `timeout` counts as lost: long, so that on a loaded machine late is not taken for lost."""
    definition = load_assembly(EXAMPLE_ASSEMBLY)
    assembly = definition.model_copy(update={"sessions": definition.sessions[:1]})
    due = assembly.start_of(assembly.sessions[0]) - timedelta(days=1)
    clock = ManualClock(due.astimezone(UTC) + timedelta(minutes=1))
    emulator = Emulator(TOKEN, limits=Limits(global_per_second=limit, global_burst=max(1, int(limit))))
    await emulator.start()
    url = url or f"sqlite+aiosqlite:///{workdir / 'fanout.sqlite'}"
    db = Database(url)
    await db.migrate()
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        store = SqlStore(session, assembly.id)
        for i in range(participants):
            user = emulator.user(FIRST_USER + i, f"P{i}", LANGUAGES[i % len(LANGUAGES)])
            person = await store.add_participant(user.id, user.id, LANGUAGES[i % len(LANGUAGES)])
            (await session.get_one(ParticipantRow, person.id)).status = "confirmed"
    await db.dispose()

    app = await build_app(
        build_core(assembly, url, clock=clock),
        token=TOKEN,
        api_url=emulator.url,
        poll_timeout=1,
        send_rate=limit,
    )
    try:
        await app.runner.prepare()
        task = asyncio.create_task(app.runner.run())
        deadline = time.monotonic() + timeout
        # Once every row has left the outbox the sender has nothing more to send: a message planned
        # twice would have been a second row, sent (and counted) before this loop ends.
        while time.monotonic() < deadline and (  # noqa: ASYNC110 (the emulator and store offer no events)
            emulator.sent_count("sendMessage") < participants or await _pending(app.db)
        ):
            await asyncio.sleep(0.1)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with app.db.transaction() as session:
            statuses = Counter((await session.execute(select(OutboxMessage.status))).scalars())
    finally:
        await app.close()
        await emulator.stop()
    sends = [c for c in emulator.calls if c.method == "sendMessage"]
    accepted = [c for c in sends if c.status == 200]
    seconds = accepted[-1].at - accepted[0].at if len(accepted) > 1 else 0.0
    return FanOut(
        participants=participants,
        per_chat=Counter(int(c.params["chat_id"]) for c in accepted),
        refused=sum(1 for c in sends if c.status == 429),
        outbox=statuses,
        rate=(len(accepted) - 1) / seconds if seconds else 0.0,
        seconds=seconds,
    )


async def main(participants: int, limit: float, runs: int) -> None:
    rates = []
    for run in range(1, runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            result = await fan_out(participants, Path(tmp), limit=limit)
        once = sum(1 for n in result.per_chat.values() if n == 1)
        rates.append(result.rate)
        print(
            f"run {run}: {sum(result.per_chat.values())} delivered to {len(result.per_chat)} chats "
            f"({once} exactly once) in {result.seconds:.1f} s = {result.rate:.1f} msg/s; "
            f"429 refusals handled: {result.refused}; outbox: {dict(result.outbox)}",
            flush=True,
        )
    median = statistics.median(rates)
    print(
        f"fan-out to {participants} participants: median {median:.1f} msg/s over {runs} runs "
        f"against a limit of {limit:g} msg/s ({100 * median / limit:.0f}% of the limit)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument(
        "--limit", type=float, default=30.0, help="the emulator's bot-wide messages per second"
    )
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.participants, options.limit, options.runs))
