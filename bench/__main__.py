"""Every benchmark in one run: a table, then one JSON line with every figure (the last line printed).

    python -m bench [--quick] [--db sqlite|postgres] [--runs N] [--only throughput,burst,...]

Throughput against bare echo bots (aiogram and PTB, run here against the same emulator, which runs
in its own process with the simulated people), button answers under a burst of presses, fan-out
against Telegram's send limit, the digest and the dashboard on a large store, idle memory and
start-up of each runtime, the draw against the library. `--quick` uses smaller sizes (same keys) and
finishes in a few minutes on an idle machine; `--only` runs some steps. Figures depend on the
machine and its load: compare the ratios and medians of one run, not wall-clock times of two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from bench import dashboard, digest, fanout, lottery, runtime
from bot.definition import load_assembly
from bot.organiser.lottery.fair.maximin import maximin
from bot.organiser.lottery.fair.profiles import group, quotas_of
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store.database import Database

RUNTIMES = ("aiogram", "ptb")


@dataclass(frozen=True)
class Sizes:
    updates: int
    presses: int
    fanout: int
    registrations: int
    votes: int
    lottery_people: int
    library: tuple[int, int]


FULL = Sizes(1000, 1000, 1000, 100_000, 1_000_000, 2000, (500, 20))
QUICK = Sizes(200, 300, 200, 10_000, 100_000, 2000, (200, 12))


class Figures:
    """The JSON figures and the table rows (figure, measured, target, met) side by side."""

    def __init__(self, console: Console) -> None:
        self.values: dict[str, object] = {}
        self.rows: list[tuple[str, str, str, str]] = []
        self.console = console

    def add(
        self, key: str, value: float | int, label: str, shown: str, goal: tuple[str, bool] | None = None
    ) -> None:
        """`goal`: the target as shown, and whether it is met."""
        self.values[key] = round(value, 4) if isinstance(value, float) else value
        target, met = goal or ("", None)
        verdict = "" if met is None else ("yes" if met else "NO")
        self.rows.append((label, shown, target, verdict))
        self.console.print(f"  {label}: {shown}", highlight=False)


async def throughput(figures: Figures, db: str, sizes: Sizes, runs: int) -> None:
    for name in RUNTIMES:
        echo, ours = [], []
        for _ in range(runs):
            echo.append(await runtime.echo_rate(name, sizes.updates))
            async with runtime.database(db) as url:
                ours.append(await runtime.assembly_rate(name, url, sizes.updates))
        ratio = statistics.median(o / e for o, e in zip(ours, echo, strict=True))
        shown = f"{statistics.median(ours):.0f}/s vs echo {statistics.median(echo):.0f}/s = {ratio:.2f}"
        figures.add(f"throughput_ratio_{name}", ratio, f"updates/s, {name}", shown, (">= 0.5", ratio >= 0.5))


async def burst(figures: Figures, db: str, sizes: Sizes) -> None:
    worst, lost, unanswered = 0.0, 0, 0
    for name in RUNTIMES:
        echo = await runtime.echo_burst(name, sizes.presses)
        async with runtime.database(db) as url:
            result = await runtime.vote_burst(name, url, sizes.presses)
        worst = max(worst, result.p99_ms)
        lost, unanswered = lost + result.lost, unanswered + result.unanswered
        figures.values[f"vote_p99_ms_{name}"] = round(result.p99_ms, 1)
        figures.values[f"echo_vote_p99_ms_{name}"] = round(echo.p99_ms, 1)
        figures.console.print(
            f"  {name}: {sizes.presses} presses, answer p50 {result.p50_ms:.0f} ms, "
            f"p99 {result.p99_ms:.0f} ms (echo bot: p50 {echo.p50_ms:.0f} ms, p99 {echo.p99_ms:.0f} ms), "
            f"{result.unanswered} unanswered, {result.lost} votes lost",
            highlight=False,
        )
    figures.add(
        "vote_p99_ms",
        worst,
        f"press to answer p99 ({sizes.presses} presses in 1 s)",
        f"{worst:.0f} ms",
        ("<= 250 ms", worst <= 250),
    )
    figures.add("vote_lost", lost, "votes lost in the burst", str(lost), ("0", lost == 0))
    figures.values["vote_unanswered"] = unanswered


async def fan_out(figures: Figures, db: str, sizes: Sizes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if db == "sqlite":
            result = await fanout.fan_out(sizes.fanout, Path(tmp))
        else:
            async with runtime.database(db) as url:
                result = await fanout.fan_out(sizes.fanout, Path(tmp), url=url)
    ratio = result.rate / 30.0
    lost = sizes.fanout - len(result.per_chat)
    duplicated = sum(n - 1 for n in result.per_chat.values() if n > 1)
    figures.add("fanout_rate_ratio", ratio, f"fan-out to {sizes.fanout}: rate / 30 msg/s", f"{ratio:.2f}")
    figures.add("fanout_lost", lost, "fan-out lost", str(lost), ("0", lost == 0))
    figures.add(
        "fanout_duplicated", duplicated, "fan-out duplicated", str(duplicated), ("0", duplicated == 0)
    )


async def reports(figures: Figures, db: str, sizes: Sizes) -> None:
    scale = f"{sizes.registrations // 1000}k"
    with tempfile.TemporaryDirectory() as tmp:
        async with runtime.database(db) as fresh:
            url = fresh if db == "postgres" else f"sqlite:///{Path(tmp) / 'reports.sqlite'}"
            _sql, total, _peak = await digest.measure(url, sizes.registrations, sizes.votes)
            times, _ = await dashboard.measure(url, sizes.registrations, sizes.votes, built=True)
    figures.add(
        "digest_seconds_100k",
        total,
        f"digest (text, chart, CSV) at {scale}",
        f"{total:.2f} s",
        ("<= 1 s", total <= 1),
    )
    p95 = 1000 * max(sorted(samples)[max(0, int(0.95 * len(samples)) - 1)] for samples in times.values())
    slowest = max(times, key=lambda page: max(times[page]))
    figures.add(
        "dashboard_p95_ms_100k",
        p95,
        f"dashboard p95, slowest page ({slowest}) at {scale}",
        f"{p95:.0f} ms",
        ("<= 200 ms", p95 <= 200),
    )
    figures.values["reports_registrations"] = sizes.registrations


async def processes(figures: Figures, db: str, runs: int) -> None:
    for name in RUNTIMES:
        ours, echo = [], []
        for _ in range(runs):
            async with runtime.database(db) as url:
                database = Database(url)
                await database.migrate()
                await database.dispose()
                ours.append(await runtime.process("assembly", name, url))
            echo.append(await runtime.process("echo", name, url))
        rss = statistics.median(p.rss_mb for p in ours)
        limit = 150 if name == "aiogram" else 100
        figures.add(
            f"rss_idle_mb_{name}",
            rss,
            f"idle memory, {name}",
            f"{rss:.0f} MiB (echo {statistics.median(p.rss_mb for p in echo):.0f})",
            (f"<= {limit} MiB", rss <= limit),
        )
        ratio = statistics.median(o.startup / e.startup for o, e in zip(ours, echo, strict=True))
        figures.add(
            f"startup_ratio_{name}",
            ratio,
            f"start-up to first getUpdates, {name}",
            f"{statistics.median(p.startup for p in ours):.1f} s vs echo "
            f"{statistics.median(p.startup for p in echo):.1f} s = {ratio:.2f}",
            ("<= 1.5", ratio <= 1.5),
        )


def draw(figures: Figures, sizes: Sizes) -> None:
    registration = load_assembly(EXAMPLE_ASSEMBLY).registration
    assert registration is not None
    seats = 40
    problem = group(quotas_of(registration, seats), lottery.realistic_pool(sizes.lottery_people), seats)
    seconds = statistics.median(maximin(problem, None).timings.total for _ in range(3))
    figures.add("lottery_seconds_2000", seconds, f"draw, {sizes.lottery_people}/{seats}", f"{seconds:.2f} s")
    people, seats = sizes.library
    quotas = quotas_of(registration, seats)
    pool = lottery.realistic_pool(people)
    ours = maximin(group(quotas, pool, seats), None).minimum
    _, library = lottery.library_maximin(quotas, pool, seats)
    ratio = ours / library
    figures.add(
        "lottery_min_probability_ratio",
        ratio,
        f"lowest chance ours / library at {people}/{seats}",
        f"{ratio:.6f}",
        (">= 1", ratio >= 1 - 1e-6),
    )


async def main(args: argparse.Namespace) -> None:
    console = Console(width=150)
    sizes = QUICK if args.quick else FULL
    runs = args.runs or (1 if args.quick else 3)
    figures = Figures(console)
    started = time.monotonic()
    steps: dict[str, tuple[str, Callable[[], Awaitable[None]]]] = {
        "throughput": ("throughput", lambda: throughput(figures, args.db, sizes, runs)),
        "burst": ("button answers", lambda: burst(figures, args.db, sizes)),
        "fanout": ("fan-out", lambda: fan_out(figures, args.db, sizes)),
        "processes": ("memory and start-up", lambda: processes(figures, args.db, runs)),
        "reports": ("digest and dashboard", lambda: reports(figures, args.db, sizes)),
        "draw": ("the draw", lambda: asyncio.to_thread(draw, figures, sizes)),
    }
    chosen = args.only.split(",") if args.only else list(steps)
    unknown = set(chosen) - set(steps)
    if unknown:
        raise SystemExit(f"--only: no step {', '.join(sorted(unknown))}; the steps are {', '.join(steps)}")
    for name in chosen:
        title, step = steps[name]
        console.print(f"[bold]{title}[/bold]")
        await step()
    only = f" --only {args.only}" if args.only else ""
    grid = Table(
        title=f"python -m bench{' --quick' if args.quick else ''} --db {args.db}{only}: "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {platform.processor() or ''}"
    )
    for header in ("figure", "measured", "target", "met"):
        grid.add_column(header)
    for row in figures.rows:
        grid.add_row(*row)
    console.print(grid)
    figures.values.update(
        db=args.db, quick=args.quick, runs=runs, seconds=round(time.monotonic() - started, 1)
    )
    print(json.dumps(figures.values), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, the same figures")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=0, help="runs per median (default 3, 1 with --quick)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated steps to run, in that order: throughput, burst, fanout, processes, "
        "reports, draw (default: all)",
    )
    asyncio.run(main(parser.parse_args()))
