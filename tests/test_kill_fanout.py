"""kill -9 mid-way through a reminder fan-out: after a restart everyone has it, twice only if in flight.

The bot runs as a real `python -m bot.cli run` subprocess with the real clock, against the emulator in
this process. Its assembly has one session starting in 90 minutes and a 2-hour reminder, so the
reminder is due (30 minutes ago, within the grace period) as soon as the bot starts.

To kill it mid-way, the emulator first stops answering sendMessage (requests in flight are held), the
test waits until the bot has recorded every answer already given, then kills the bot: the held
requests die with it and were never delivered. A send that the emulator accepted in the milliseconds
before the kill but that the bot had not yet recorded cannot be told apart from one never sent
without an idempotency key in the Bot API: the restarted bot sends it again. So the guarantee, and
what this test holds the bot to, is: nobody loses the reminder, and only a person whose reminder was
in that window (delivered, not recorded, at the kill) may get it twice, never more.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import TOKEN, add_confirmed, settled
from sqlalchemy import func, select

from bot.definition import load_assembly
from bot.emulator import Emulator, SimulatedUser
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store.database import Database
from bot.store.models import OutboxMessage, ReminderDelivery

FIRST = 20_000
STARTUP = 300.0
"""Seconds a bot process may take to come up (getMe): importing aiogram alone took over a minute on a
loaded machine. The fan-out's own deadlines count from then."""


def _definition(path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE_ASSEMBLY.read_text(encoding="utf-8"))
    zone = load_assembly(EXAMPLE_ASSEMBLY).zone
    starts = (datetime.now(zone) + timedelta(minutes=90)).replace(tzinfo=None, microsecond=0)
    session = data["sessions"][0]
    session.update(starts=starts.isoformat(), ends=(starts + timedelta(hours=3)).isoformat())
    data["sessions"] = [session]
    for question in data["registration"]["questions"]:  # availability is asked for session days only
        if question.get("kind") == "availability":
            question["dates"] = [starts.date().isoformat()]
    data["reminders"] = {"offsets": ["2h"], "grace": "3h"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _start(project_root: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as stderr:  # the bot writes to its own copy of the file handle
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=project_root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


async def _up(emulator: Emulator, bot: subprocess.Popen[bytes], seen: int) -> None:
    """Wait until the bot has come up: it asked the Bot API who it is (getMe, `seen` calls before)."""
    await _until(lambda: emulator.sent_count("getMe") > seen or bot.poll() is not None, STARTUP, "no start")
    assert bot.poll() is None, "the bot exited at start (see its log)"


async def _until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


async def _recorded_all_delivered(db: Database, emulator: Emulator, timeout: float = 30) -> None:
    """Wait until the bot has recorded as sent every message the emulator delivered (twice in a row, in
    case a send that passed the hold just before it lands): a fixed pause lost that race under load,
    and a kill in that gap repeats a message by design (see the module's docstring)."""
    deadline, settled = time.monotonic() + timeout, 0
    while settled < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not record what was delivered")
        async with db.transaction() as session:
            query = select(func.count()).where(OutboxMessage.status == "sent")
            recorded = await session.scalar(query)
        settled = settled + 1 if recorded == emulator.sent_count("sendMessage") else 0
        await asyncio.sleep(0.1)


def _reminded(users: list[SimulatedUser]) -> set[int]:
    return {user.id for user in users if any("🔔" in (message.text or "") for message in user.messages)}


async def _recorded_chats(db: Database) -> set[int]:
    """The chats whose reminder the bot had recorded as sent when it died."""
    async with db.transaction() as session:
        query = select(OutboxMessage.chat_id).where(OutboxMessage.status == "sent")
        return set((await session.execute(query)).scalars())


@pytest.mark.slow
@pytest.mark.parametrize("people", [60, pytest.param(150, marks=pytest.mark.load)])
async def test_sigkill_mid_fan_out_loses_no_reminder_and_repeats_only_those_in_flight(
    emulator: Emulator, tmp_path: Path, project_root: Path, sqlite_url: str, people: int
) -> None:
    config = _definition(tmp_path / "assembly.yaml")
    assembly = load_assembly(config)
    url = sqlite_url
    db = Database(url)
    users = [emulator.user(FIRST + i, f"P{i}", ("fr", "nl", "ar")[i % 3]) for i in range(people)]
    for user in users:
        await add_confirmed(db, assembly, user.id, user.language_code or "fr")
    env = {
        **os.environ,
        "TELEGRAM_API_URL": emulator.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "ASSEMBLY_CONFIG": str(config),
        "PYTHONPATH": str(project_root),
        "POLL_TIMEOUT": "1",
    }
    log = tmp_path / "bot.log"
    bot = _start(project_root, env, log)
    try:
        await _up(emulator, bot, 0)
        await _until(
            lambda: emulator.sent_count("sendMessage") >= people // 3, 60, "the fan-out never started"
        )
        emulator.fail_next("sendMessage", "slow", count=10 * people, delay=60)  # hold what comes next
        await _recorded_all_delivered(db, emulator)
        bot.send_signal(signal.SIGKILL)
        assert bot.wait(10) == -signal.SIGKILL
        delivered_before = emulator.sent_count("sendMessage")
        assert 0 < delivered_before < people, "the kill must land in the middle of the fan-out"
        in_window = _reminded(users) - await _recorded_chats(db)
        emulator.clear_faults()

        seen = emulator.sent_count("getMe")
        bot = _start(project_root, env, log)
        await _up(emulator, bot, seen)
        await _until(lambda: emulator.sent_count("sendMessage") >= people, 60, "the fan-out did not resume")
        await settled(emulator, db)  # a repeated reminder would have been sent by now
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(15)

    received = Counter(user.id for user in users for message in user.messages if "🔔" in (message.text or ""))
    assert set(received) == {user.id for user in users}, log.read_text()[-2000:]
    repeated = {user_id for user_id, count in received.items() if count > 1}
    assert repeated <= in_window, (repeated, in_window)
    assert max(received.values()) <= 2
    async with db.transaction() as session:
        statuses = Counter((await session.execute(select(OutboxMessage.status))).scalars())
        planned = len((await session.execute(select(ReminderDelivery.id))).all())
    await db.dispose()
    assert statuses == Counter({"sent": people})
    assert planned == people
