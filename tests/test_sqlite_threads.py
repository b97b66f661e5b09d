"""On SQLite the update loop's and the sender's statements run on the event loop's own thread: a
trip to the driver's thread costs more than such a statement. Waiting for another process's write
lock still happens on the driver's thread, so the bot goes on reading, answering and sending while
an organiser command holds the store."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from conftest import BOT_ID
from sqlalchemy import func, select

from bot.store import updates
from bot.store.database import Database
from bot.store.models import InboundUpdate
from flows.events import Command, Sender


def _fetched(update_id: int) -> updates.Received:
    return updates.Received(update_id, 7, Command(Sender(7, 7, "Sam", "en"), "help", ""))


async def _recorded(db: Database) -> int:
    async with db.reading() as session:
        return int((await session.execute(select(func.count()).select_from(InboundUpdate))).scalar_one())


async def test_a_writer_waiting_for_another_process_leaves_the_event_loop_free(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        async with db.transaction(short=True) as session:
            await updates.record(session, BOT_ID, [_fetched(1)])

        async def record() -> None:
            async with db.transaction(urgent=True, short=True) as session:
                await updates.record(session, BOT_ID, [_fetched(2)])

        store = Path(sqlite_url.removeprefix("sqlite+aiosqlite:///"))
        with contextlib.closing(sqlite3.connect(store, isolation_level=None)) as organiser:
            organiser.execute("BEGIN IMMEDIATE")
            waiting = asyncio.create_task(record())
            for _ in range(5):  # the writer has begun to wait for the lock meanwhile
                await asyncio.sleep(0.02)
            assert await _recorded(db) == 1  # reads go on while the writer waits
            assert not waiting.done()
            organiser.execute("COMMIT")
        await asyncio.wait_for(waiting, 10)
        assert await _recorded(db) == 2
    finally:
        await db.dispose()
