"""How long each dashboard page takes to serve, and the server's peak memory, on a large assembly.

Run:  python bench/dashboard.py [--registrations 100000] [--rows 1000000] [--baseline 10]
                                [--database-url postgresql://postgres@127.0.0.1:5432/bench]
Builds the same synthetic store as bench/digest.py (real poll answers and secret ballots in 2,000
polls, feedback, RSVPs, attendance), at full size and at 1/--baseline of it, signs an organiser in,
and fetches every page over HTTP from the real aiohttp application: the median of 3 fetches after
one warm-up, the peak Python memory (tracemalloc) over one round of all pages, and the ratio of the
full size to the baseline. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bench.digest import NOW, add_size_options, build, stores
from bot.adapters.clock import ManualClock
from bot.bootstrap import build_kit
from bot.dashboard.app import COOKIE, make_app
from bot.definition import load_assembly
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store import dashboard_access
from bot.store.database import Database
from bot.store.models import RoleRow

PAGES = (
    "/",
    "/recruitment",
    "/recruitment.png",
    "/sessions",
    "/polls",
    "/polls?session=s2",
    "/feedback",
    "/feedback?language=ar",
)


async def measure(
    url: str, registrations: int, load: int, fetches: int = 5, *, built: bool = False
) -> tuple[dict[str, list[float]], float]:
    """Seconds of `fetches` loads of each page, and the peak MiB of one round of every page; `built`:
    the store at `url` already holds that synthetic assembly (as `bench.digest.measure` leaves it)."""
    db = Database(url)
    try:
        if not built:
            await db.downgrade("base")
            await db.migrate()
            await build(db, registrations, load)
        assembly = load_assembly(EXAMPLE_ASSEMBLY)
        async with db.transaction() as session:
            session.add(
                RoleRow(
                    participant_id=1, assembly_id=assembly.id, role="organiser", name="Bench", granted_at=NOW
                )
            )
            token = await dashboard_access.SqlDashboardLinks(session, assembly.id).issue_link(
                1, NOW, dashboard_access.SESSION_VALID
            )
        async with db.transaction() as session:
            opened = await dashboard_access.sign_in(session, assembly, token, NOW)
        assert opened is not None
        app = make_app(db, build_kit(assembly, clock=ManualClock(NOW)), secure_cookies=False)
        async with TestServer(app) as server, ClientSession(cookies={COOKIE: opened[0]}) as client:

            async def fetch(path: str) -> float:
                start = time.perf_counter()
                async with client.get(server.make_url(path)) as response:
                    await response.read()
                    assert response.status == 200, (path, response.status)
                return time.perf_counter() - start

            for path in PAGES:
                await fetch(path)  # warm-up: imports, matplotlib, caches
            times = {path: [await fetch(path) for _ in range(fetches)] for path in PAGES}
            tracemalloc.start()
            for path in PAGES:
                await fetch(path)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        return times, peak
    finally:
        await db.dispose()


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for url, registrations, load in stores(args, tmp):
            times, peak = await measure(url, registrations, load)
            results.append(times)
            print(f"dashboard on {registrations:,} registrations + {load:,} votes: peak {peak:.1f} MiB")
            for path, seconds in times.items():
                print(f"  {path:<24} {statistics.median(seconds):.3f} s (slowest {max(seconds):.3f} s)")
        small, big = results
        print(f"ratio full/baseline for {args.baseline}x the data, per page:")
        for path in PAGES:
            print(f"  {path:<24} {statistics.median(big[path]) / statistics.median(small[path]):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_size_options(parser)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
