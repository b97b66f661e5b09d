"""The update lanes alone: what handling one update costs, with nothing else on the event loop.

    python -m bench.lanes [--updates 1500] [--db sqlite|postgres]

Records `--updates` first-contact `/help`s, each from a new person, then handles them all with
`Runner.drain()` (no polling, no sending: the replies stay queued) and prints updates a second, CPU
milliseconds per update (the whole process: on SQLite the driver's thread too) and the SQL
statements per update, most frequent first. The whole bot's rate (`python -m bench --only
throughput`) adds fetching, recording and sending on the same event loop; this isolates the step,
its state and its replies in their transaction. Figures depend on the machine: compare runs of one
sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench.runtime import database
from bot.bootstrap import build_kit
from bot.definition import load_assembly
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store import updates
from bot.store.database import Database
from bot.store.participants import ensure_assembly
from bot.telegram.api import TelegramApi
from bot.telegram.runner import Runner
from bot.telegram.sender import OutboxSender
from flows.events import Command, Sender

BOT_ID = 1
FIRST_PERSON = 10_000


async def measure(url: str, count: int) -> tuple[float, float, Counter[str]]:
    """(updates a second, CPU ms per update, statements) for `count` first contacts."""
    db = Database(url)
    try:
        await db.migrate()
        kit = build_kit(load_assembly(EXAMPLE_ASSEMBLY))
        async with db.transaction() as session:
            await ensure_assembly(session, kit.assembly, BOT_ID)
        people = range(FIRST_PERSON, FIRST_PERSON + count)
        fetched = [
            updates.Received(n, person, Command(Sender(person, person, "Sam", "en"), "help", ""))
            for n, person in enumerate(people, start=1)
        ]
        for start in range(0, count, 100):  # as getUpdates delivers them
            async with db.transaction() as session:
                await updates.record(session, BOT_ID, fetched[start : start + 100])
        # Never run: nothing is sent, the replies stay in the outbox.
        sender = OutboxSender(db, cast(TelegramApi, None), kit.assembly.id)
        runner = Runner(db, cast(TelegramApi, None), kit, sender, bot_id=BOT_ID)
        statements: Counter[str] = Counter()

        def count_statement(*args: Any) -> None:
            statements[re.sub(r"\s+", " ", args[2])[:90]] += 1

        event.listen(db.engine.sync_engine, "before_cursor_execute", count_statement)
        started, cpu = time.perf_counter(), time.process_time()
        await runner.drain()
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
        event.remove(db.engine.sync_engine, "before_cursor_execute", count_statement)
        return count / elapsed, 1000 * used / count, statements
    finally:
        await db.dispose()


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    async with database(args.db) as url:
        rate, cpu, statements = await measure(url, args.updates)
    print(f"{args.db}: {rate:,.0f} updates/s, {cpu:.2f} ms of CPU per update")
    print(f"statements per update on the writing engine: {sum(statements.values()) / args.updates:.2f}")
    for statement, times in statements.most_common(8):
        print(f"  {times / args.updates:5.2f}  {statement}")


if __name__ == "__main__":
    asyncio.run(main())
