"""The draw in a worker process, so that neither the bot's event loop nor its other threads ever wait
for the solver (it holds the GIL between HiGHS calls), with its progress lines passed back.

One worker serves every draw of the process, started at the first and kept (starting one imports the
solver stack, seconds on a busy machine); draws queue for it. It is spawned, not forked: a fork would
copy the caller's threads' locks (the store's, the loop's) in whatever state they were in.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import queue as queues
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing.queues import Queue
from typing import Any

from bot.organiser.lottery.draw import Candidate, Draw, draw
from bot.organiser.lottery.fair.generation import Progress
from bot.organiser.lottery.fair.profiles import Quotas
from bot.organiser.lottery.options import DrawError

_POLL = 0.1
"""Seconds between looks at the worker's progress lines."""

Line = tuple[int, str]
"""A progress line and the number of the draw it belongs to."""

_channel: Queue[Line] | None = None
"""In the worker: where its progress lines go."""

_started = threading.Lock()
_worker: tuple[ProcessPoolExecutor, Queue[Line]] | None = None
_listeners: dict[int, Progress | None] = {}
_numbers = itertools.count(1)


def _install(channel: Queue[Line]) -> None:
    global _channel  # noqa: PLW0603  (the worker process's one channel back)
    _channel = channel


def _draw(number: int, quotas: Quotas, pool: Sequence[Candidate], seats: int, **options: Any) -> Draw:
    def tell(line: str) -> None:
        if _channel is not None:
            _channel.put((number, line))

    return draw(quotas, pool, seats, progress=tell, **options)


def _the_worker() -> tuple[ProcessPoolExecutor, Queue[Line]]:
    global _worker  # noqa: PLW0603  (one worker per process, started on first use)
    with _started:
        if _worker is None:
            context = multiprocessing.get_context("spawn")
            channel: Queue[Line] = context.Queue()
            executor = ProcessPoolExecutor(1, mp_context=context, initializer=_install, initargs=(channel,))
            _worker = (executor, channel)
        return _worker


def _forget_worker(broken: ProcessPoolExecutor) -> None:
    global _worker  # noqa: PLW0603
    with _started:
        if _worker is not None and _worker[0] is broken:
            _worker = None


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
    """`draw` in the worker process; its errors (a `DrawError` with the reason) are raised here."""
    executor, channel = _the_worker()
    number = next(_numbers)
    _listeners[number] = progress
    options = {"seed": seed, "algorithm": algorithm, "reserves": reserves}
    job = partial(_draw, number, dict(quotas), list(pool), seats, **options)
    try:
        future = asyncio.get_running_loop().run_in_executor(executor, job)
        while True:
            done, _ = await asyncio.wait({future}, timeout=_POLL)
            _drain(channel)
            if done:
                return future.result()
    except BrokenProcessPool:
        _forget_worker(executor)
        raise DrawError(
            "the draw's worker process stopped unexpectedly; nothing changed, try again"
        ) from None
    finally:
        del _listeners[number]


def _drain(channel: Queue[Line]) -> None:
    """Hand every waiting line to the draw it belongs to (draws queue for the one worker)."""
    while True:
        try:
            number, line = channel.get_nowait()
        except queues.Empty:
            return
        listener = _listeners.get(number)
        if listener is not None:
            listener(line)
