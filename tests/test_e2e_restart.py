"""The bot as a real process: a SIGKILL while an update is in flight loses nothing and repeats nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from conftest import TOKEN, eventually, settled

from bot.emulator import Emulator
from bot.store.database import Database


@pytest.fixture
def bot_env(emulator: Emulator, sqlite_url: str, project_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(project_root),
        "TELEGRAM_API_URL": emulator.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": sqlite_url,
        "ASSEMBLY_CONFIG": str(project_root / "examples" / "assembly.yaml"),
        "POLL_TIMEOUT": "1",
    }


@pytest.fixture
async def spawn(bot_env: dict[str, str], project_root: Path) -> AsyncIterator[Callable[[], object]]:
    """Start `assembly-bot run --runtime ptb` as a subprocess; every process is killed at the end."""
    processes: list[asyncio.subprocess.Process] = []

    async def start() -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            # python-telegram-bot starts in a fraction of aiogram's time; the fan-out kill test
            # (test_kill_fanout) runs the default, aiogram.
            "--runtime",
            "ptb",
            cwd=project_root,
            env=bot_env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.slow
async def test_update_in_flight_at_sigkill_is_answered_once_after_restart(
    emulator: Emulator, spawn: Callable[[], object], bot_env: dict[str, str]
) -> None:
    first = await spawn()  # type: ignore[misc]
    await eventually(lambda: ("all_private_chats", None, "") in emulator.commands)
    emulator.fail_next("sendMessage", "slow", delay=60)
    lotte = emulator.user(4001, first_name="Lotte", language_code="nl")
    await lotte.send_text("/start")
    await eventually(lambda: emulator.pending_faults() == 0)  # the reply is on the wire, stalled
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert lotte.messages == []

    second = await spawn()  # type: ignore[misc]
    (welcome,) = await lotte.wait_for_messages(1, timeout=30)
    assert welcome.text is not None
    assert welcome.text.startswith("Welkom! Ik ben de assistent")
    await lotte.send_text("/help")
    await lotte.wait_for_messages(2, timeout=30)
    db = Database(bot_env["DATABASE_URL"])
    try:
        await settled(emulator, db)
    finally:
        await db.dispose()
    assert [m.text[:6] for m in lotte.messages if m.text] == ["Welkom", "Dit ka"]
    second.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(second.wait(), 15) == 0
