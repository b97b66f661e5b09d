"""How long the organisers' digest takes, and its peak memory, on a large synthetic assembly.

Run:  python bench/digest.py [--registrations 100000] [--rows 1000000] [--baseline 10]
                             [--database-url postgresql://postgres@127.0.0.1:5432/bench]
Builds a fresh store (an SQLite file in a temporary directory unless --database-url is given; the
PostgreSQL database is emptied first) twice: the full size, and a baseline 1/--baseline of it.
`--rows` is the vote-like load: until polls land, outbox rows (one in 500 failed) plus RSVPs for
three sessions and attendance at one, which the digest's views scan. Prints the digest's median
time over 3 runs, its peak Python memory (tracemalloc) and the ratio to the baseline.
Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bot.config import load_assembly
from bot.i18n import Catalogs
from bot.reminders import sync_sessions
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store.database import Database
from bot.store.models import AnswerRow, AttendanceRow, Base, OutboxMessage, ParticipantRow, RsvpRow
from bot.store.participants import ensure_assembly
from bot.store.quotas import sync_quotas
from bot.store.reports import digest_data
from bot.store.sessions import session_rows
from flows.digest import digest_actions

CHUNK = 10_000
T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
STATUSES = ["registered"] * 6 + ["confirmed"] * 2 + ["not_selected", "reserve"]


async def _bulk(db: Database, table: type[Base], rows: Iterable[dict[str, object]]) -> None:
    """Insert in chunks, generated lazily: a million rows never sit in memory at once."""
    source = iter(rows)
    while chunk := list(itertools.islice(source, CHUNK)):
        async with db.transaction() as session:
            await session.execute(insert(table), chunk)


async def build(db: Database, registrations: int, load: int) -> None:
    """`registrations` people with every feature answered; `load` outbox, RSVP and attendance rows."""
    assembly = load_assembly(EXAMPLE_ASSEMBLY)
    reg = assembly.registration
    assert reg is not None
    rng = random.Random(11)
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        await sync_quotas(session, assembly)
        await sync_sessions(session, assembly, Catalogs(assembly.languages, assembly.zone), T0)
        sessions = [row.id for row in await session_rows(session, assembly.id)]
    people = (
        {
            "id": n,
            "telegram_user_id": 10_000_000 + n,
            "chat_id": 10_000_000 + n,
            "assembly_id": assembly.id,
            "language": rng.choice(assembly.languages),
            "status": rng.choice(STATUSES),
            "registered_at": T0 + timedelta(seconds=n),
            "blocked_at": NOW if n % 1000 == 0 else None,
            "created_at": T0,
        }
        for n in range(1, registrations + 1)
    )
    await _bulk(db, ParticipantRow, people)
    answers = (
        {"participant_id": n, "question_id": q.id, "value": rng.choice(q.values), "answered_at": T0}
        for n in range(1, registrations + 1)
        for q in reg.features
    )
    await _bulk(db, AnswerRow, answers)
    rsvps = min(load // 4, registrations * 3)
    await _bulk(
        db,
        RsvpRow,
        (
            {
                "session_id": sessions[1 + i // registrations],
                "participant_id": 1 + i % registrations,
                "answer": "coming" if i % 3 else "absent",
                "answered_at": T0,
            }
            for i in range(rsvps)
        ),
    )
    attended = min(load // 10, registrations)
    await _bulk(
        db,
        AttendanceRow,
        (
            {
                "session_id": sessions[0],
                "participant_id": n,
                "checked_in_at": T0,
                "late": n % 7 == 0,
                "method": "code",
            }
            for n in range(1, attended + 1)
        ),
    )
    outbox = load - rsvps - attended
    await _bulk(
        db,
        OutboxMessage,
        (
            {
                "chat_id": 10_000_000 + 1 + i % registrations,
                "kind": "message",
                "payload": {"text": "reminder"},
                "status": "failed" if i % 500 == 0 else "sent",
                "not_before": T0,
                "created_at": T0,
                "attempts": 1,
                "purge_after_send": False,
            }
            for i in range(outbox)
        ),
    )
    print(
        f"  built: {registrations:,} registrations, {registrations * len(reg.features):,} answers, "
        f"{rsvps:,} RSVPs, {attended:,} check-ins, {outbox:,} outbox rows"
    )


async def measure(url: str, registrations: int, load: int) -> tuple[float, float, float]:
    """Median seconds of the SQL part and of the whole digest (text, chart, CSV too), and peak MiB."""
    db = Database(url)
    try:
        await db.downgrade("base")
        await db.migrate()
        await build(db, registrations, load)
        assembly = load_assembly(EXAMPLE_ASSEMBLY)
        tr = Catalogs(assembly.languages, assembly.zone).for_language("fr")

        async def once() -> float:
            start = time.perf_counter()
            async with db.transaction() as session:
                data = await digest_data(session, assembly.id, NOW)
            queried = time.perf_counter() - start
            digest_actions(assembly, tr, data, 1)
            return queried

        await once()  # warm caches and imports (matplotlib) before timing
        sql, total = [], []
        for _ in range(3):
            start = time.perf_counter()
            sql.append(await once())
            total.append(time.perf_counter() - start)
        tracemalloc.start()
        await once()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return statistics.median(sql), statistics.median(total), peak
    finally:
        await db.dispose()


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sizes = [
            (args.registrations // args.baseline, args.rows // args.baseline),
            (args.registrations, args.rows),
        ]
        results = []
        for index, (registrations, load) in enumerate(sizes):
            url = args.database_url or f"sqlite:///{Path(tmp) / f'bench-{index}.sqlite'}"
            sql, total, peak = await measure(url, registrations, load)
            results.append((sql, total))
            print(
                f"digest on {registrations:,} registrations + {load:,} rows: SQL {sql:.3f} s, "
                f"with text, chart and CSV {total:.3f} s, peak {peak:.1f} MiB"
            )
        (small_sql, small_total), (big_sql, big_total) = results
        print(
            f"ratio full/baseline for {args.baseline}x the data: SQL {big_sql / small_sql:.1f}x, "
            f"whole digest {big_total / small_total:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="vote-like rows (outbox, RSVPs, check-ins)"
    )
    parser.add_argument("--baseline", type=int, default=10, help="the baseline is this many times smaller")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (emptied first); default SQLite")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
