"""One drain task per key (a chat): work for a key runs in order, different keys run side by side."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class KeyedWorkers:
    """`kick(key)` makes sure `drain(key)` runs (again) until a pass finds nothing new."""

    def __init__(self, drain: Callable[[int], Awaitable[None]], concurrency: int | None = None) -> None:
        """`concurrency` bounds the keys drained at once; None leaves that to `drain` itself."""
        self._drain = drain
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._slots: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Semaphore(concurrency) if concurrency else contextlib.nullcontext()
        )

    def kick(self, key: int) -> None:
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key))

    async def _run(self, key: int) -> None:
        try:
            while key in self._dirty:
                self._dirty.discard(key)
                async with self._slots:
                    try:
                        await self._drain(key)
                    except Exception:
                        log.exception("worker for key failed; it will be retried on the next kick")
        finally:
            del self._tasks[key]

    def running(self, key: int) -> bool:
        """A drain for `key` is under way (and sees whatever was committed before its next look)."""
        return key in self._tasks

    @property
    def busy(self) -> int:
        return len(self._tasks)

    async def idle(self) -> None:
        """Wait until no work is running (used at shutdown and by tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def cancel(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
