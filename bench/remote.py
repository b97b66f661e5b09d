"""The emulator and its simulated people in their own process, so the bot under measure has its event
loop to itself, as against real Telegram (a bot sharing its loop with the emulator and a thousand
pressing people is charged for their work too).

The bench process starts `python -m bench.remote` through `RemoteEmulator` and drives it with one
JSON command a line on stdin; each gets one JSON line back on stdout. Times (press to answer) are
taken in this process, on the emulator's own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from bot.emulator import Emulator, Limits

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-TOKEN"
LANGUAGES = ("fr", "nl", "en", "de", "ar")
FIRST_USER = 10_000


class _Driver:
    """What the bench asks of the emulator: queue messages, hold ballots, press in a burst, count."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def _people(self, count: int) -> list[Any]:
        return [self.emulator.user(FIRST_USER + i, f"P{i}", LANGUAGES[i % 5]) for i in range(count)]

    async def texts(self, count: int, text: str) -> dict[str, Any]:
        for person in self._people(count):
            await person.send_text(text)
        return {}

    async def ballots(self, count: int, data: str) -> dict[str, Any]:
        """Each person holds a ballot message, as the bot would have sent it before the burst."""
        markup = {"inline_keyboard": [[{"text": "ok", "callback_data": data}]]}
        async with aiohttp.ClientSession() as client:
            for person in self._people(count):
                payload = {"chat_id": person.id, "text": "ballot", "reply_markup": markup}
                url = f"{self.emulator.url}/bot{TOKEN}/sendMessage"
                async with client.post(url, json=payload) as response:
                    if response.status != 200:
                        raise RuntimeError(await response.text())
        return {}

    async def limits(self, enabled: bool) -> dict[str, Any]:
        self.emulator.limits = Limits(enabled=enabled)
        self.emulator.reset_rate_limits()
        return {}

    async def first_poll(self) -> dict[str, Any]:
        """When the first getUpdates arrived (wall-clock seconds, as the bot's own timestamps), or None:
        the moment a bot, started and ready, first asks for the updates waiting for it."""
        arrivals = self.emulator.poll_arrivals
        if not arrivals:
            return {"at": None}
        return {"at": time.time() - (time.monotonic() - arrivals[0])}

    async def calls(self, method: str) -> dict[str, Any]:
        return {"count": sum(call.method == method and call.status == 200 for call in self.emulator.calls)}

    async def burst(self, count: int, data: str, seconds: float, timeout: float) -> dict[str, Any]:
        """`count` people press `data` within `seconds` (in twenty waves); once every press is
        answered or `timeout` passes, the seconds from each press to its answer."""
        pressed: dict[str, float] = {}
        wave = max(1, count // 20)
        for i, person in enumerate(self._people(count)):
            pressed[await person.press(data)] = time.monotonic()
            if i % wave == wave - 1:
                await asyncio.sleep(seconds / 20)

        def answered() -> dict[str, float]:
            return {
                str(call.params["callback_query_id"]): call.at
                for call in self.emulator.calls
                if call.method == "answerCallbackQuery" and call.status == 200
            }

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while len(answered()) < count:  # noqa: ASYNC110 (polls the recorded calls)
                    await asyncio.sleep(0.05)
        at = answered()
        return {"latencies": [at[query] - t for query, t in pressed.items() if query in at]}


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    async with Emulator(TOKEN, limits=Limits(enabled=False)) as emulator:
        driver = _Driver(emulator)
        print(json.dumps({"url": emulator.url}), flush=True)
        while line := await commands.readline():
            command = json.loads(line)
            answer = await getattr(driver, command.pop("op"))(**command)
            print(json.dumps(answer), flush=True)


class RemoteEmulator:
    """`python -m bench.remote` as a child process: its `url` for the bot, `ask` to drive it."""

    def __init__(self) -> None:
        self.url = ""
        self._child: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> RemoteEmulator:
        self._child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.remote",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**24,  # a thousand latencies on one line
        )
        self.url = (await self._read())["url"]
        return self

    async def _read(self) -> dict[str, Any]:
        assert self._child is not None
        assert self._child.stdout is not None
        line = await self._child.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator process exited with {await self._child.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ask(self, op: str, **arguments: object) -> dict[str, Any]:
        """Run one command in the emulator process (a `_Driver` method) and return its answer."""
        assert self._child is not None
        assert self._child.stdin is not None
        self._child.stdin.write(json.dumps({"op": op, **arguments}).encode() + b"\n")
        await self._child.stdin.drain()
        return await self._read()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        assert child.stdin is not None
        child.stdin.close()  # its command loop ends, the emulator stops
        await ended(child)


async def ended(child: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    """Wait for a child process asked to stop; killed if it is still there after `grace` seconds."""
    try:
        async with asyncio.timeout(grace):
            await child.wait()
    except TimeoutError:
        child.kill()
        await child.wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve())
