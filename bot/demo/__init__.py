"""`assembly-bot demo`: a whole small assembly, played offline against the emulator and the real bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.adapters.clock import ManualClock
from bot.bootstrap import build_app, build_core
from bot.demo.actors import DemoError
from bot.demo.people import residents
from bot.demo.script import REGISTRATION_OPENS, DemoScript
from bot.demo.transcript import render
from bot.emulator import Emulator, Limits
from bot.organiser.exports import FORMATS, export
from bot.store.read.summary import count
from flows.assembly import Assembly

__all__ = ["DemoError", "run_demo"]

TOKEN = "123456:DEMO-TOKEN"
LIMITS = Limits(per_chat_per_second=10.0, per_chat_burst=10, global_per_second=200.0, global_burst=200)
"""The demo's simulated people answer faster than anyone types, and twenty of them register at once,
so the emulator and the bot allow 10 messages a second per chat and 200 bot-wide instead of
Telegram's 1 and 30; otherwise the demo would take minutes. Telegram's real limits are exercised
by the tests (test_e2e_basics, the fan-out tests) and `python -m bench.fanout`."""


@dataclass(frozen=True)
class DemoResult:
    summary: dict[str, Any]
    seconds: float


def _fresh(out: Path) -> None:
    """An output folder without a previous run's files: the store starts empty, every file is new."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("assembly.sqlite", "summary.json", "transcript.md", "digest.png"):
        (out / name).unlink(missing_ok=True)


async def run_demo(assembly: Assembly, out: Path, runtime: str, console: Console) -> DemoResult:
    """Play the demo assembly and write summary.json, transcript.md, digest.png and the store into `out`."""
    began = time.monotonic()
    store = out / "assembly.sqlite"
    await asyncio.to_thread(_fresh, out)
    clock = ManualClock(REGISTRATION_OPENS)
    emulator = Emulator(token=TOKEN, bot_username="assembly_demo_bot", limits=LIMITS)
    await emulator.start("127.0.0.1", 0)
    app = None
    task: asyncio.Task[None] | None = None
    try:
        app = await build_app(
            build_core(assembly, f"sqlite+aiosqlite:///{store}", clock=clock),
            token=TOKEN,
            api_url=emulator.url,
            runtime=runtime,
            poll_timeout=1,
            tick=timedelta(seconds=0.2),
            poll_tick=timedelta(seconds=0.2),
            send_rate=LIMITS.global_per_second,
            chat_rate=LIMITS.per_chat_per_second,
        )
        await app.runner.prepare()
        task = asyncio.create_task(app.runner.run())
        script = DemoScript(assembly, emulator, app, clock, residents(assembly))
        phases = script.phases()
        with console.status("") as status:
            for number, (name, phase) in enumerate(phases, 1):
                status.update(f"[{number}/{len(phases)}] {name}…")
                started = time.monotonic()
                try:
                    await phase()
                except DemoError as error:
                    raise DemoError(f"phase '{name}' failed: {error}") from None
                except Exception as error:
                    raise DemoError(f"phase '{name}' failed: {type(error).__name__}: {error}") from error
                if task.done():
                    raise DemoError(f"the bot stopped during '{name}': {task.exception()!r}")
                console.print(f"[green]✓[/] {name} [dim]({time.monotonic() - started:.1f} s)[/]")
        (out / "digest.png").write_bytes(script.digest_chart)
        exported = [
            path.name
            for fmt in FORMATS
            for path in await export(
                app.db, assembly, fmt, out / "exports" / fmt, translations=app.core.kit.translations
            )
        ]
        console.print(f"[green]✓[/] exports [dim]({len(exported)} files in {out / 'exports'})[/]")
        title = f"Demo transcript: {assembly.text(assembly.name, 'en')} ({runtime})"
        (out / "transcript.md").write_text(render(script.everyone, title), encoding="utf-8")
        algorithm = script.algorithm
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if app is not None:
            await app.close()
        await emulator.stop()
    summary = {"runtime": runtime, "algorithm": algorithm, **count(store)}
    (out / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return DemoResult(summary, time.monotonic() - began)
