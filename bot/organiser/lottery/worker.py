"""The draw in a worker process, so that neither the bot's event loop nor its other threads ever wait
for the solver (it holds the GIL between HiGHS calls), with its progress lines passed back.

The worker is spawned, not forked: a fork would copy the caller's threads' locks (the store's, the
loop's) in whatever state they were in.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue as queues
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing.queues import Queue
from typing import Any

from bot.organiser.lottery.draw import Candidate, Draw, draw
from bot.organiser.lottery.fair.generation import Progress
from bot.organiser.lottery.fair.profiles import Quotas

_POLL = 0.1
"""Seconds between looks at the worker's progress lines."""

_lines: Queue[str] | None = None


def _install(lines: Queue[str]) -> None:
    global _lines  # noqa: PLW0603  (the worker process's one channel back)
    _lines = lines


def _tell(line: str) -> None:
    if _lines is not None:
        _lines.put(line)


def _draw(quotas: Quotas, pool: Sequence[Candidate], seats: int, **options: Any) -> Draw:
    return draw(quotas, pool, seats, progress=_tell, **options)


async def draw_in_worker(
    quotas: Quotas,
    pool: Sequence[Candidate],
    seats: int,
    *,
    seed: int,
    algorithm: str,
    reserves: int,
    progress: Progress | None = None,
) -> Draw:
    """`draw` in a fresh worker process; its errors (a `DrawError` with the reason) are raised here."""
    context = multiprocessing.get_context("spawn")
    lines: Queue[str] = context.Queue()
    with ProcessPoolExecutor(1, mp_context=context, initializer=_install, initargs=(lines,)) as executor:
        options = {"seed": seed, "algorithm": algorithm, "reserves": reserves}
        job = partial(_draw, dict(quotas), list(pool), seats, **options)
        future = asyncio.get_running_loop().run_in_executor(executor, job)
        while True:
            done, _ = await asyncio.wait({future}, timeout=_POLL)
            _drain(lines, progress)
            if done:
                return future.result()


def _drain(lines: Queue[str], progress: Progress | None) -> None:
    while True:
        try:
            line = lines.get_nowait()
        except queues.Empty:
            return
        if progress is not None:
            progress(line)
