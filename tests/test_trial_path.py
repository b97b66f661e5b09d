"""Trying the bot without Telegram and without code: a user console on a running emulator, update
numbers that never collide with a kept store, and the dashboard link from the rehearsal."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
from conftest import BOT_ID, TOKEN

from bot.cli.main import main
from bot.emulator import Emulator
from bot.store import updates
from bot.store.database import Database
from bot.store.updates import Received


async def test_a_user_console_types_and_presses_buttons_on_a_running_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with (
        Emulator(token=TOKEN, first_update_id=1_800_000_000) as emulator,
        aiohttp.ClientSession() as http,
    ):
        bot = f"{emulator.url}/bot{TOKEN}"
        typed = tmp_path / "typed.txt"
        typed.write_text("/start\n:quit\n", encoding="utf-8")
        with typed.open(encoding="utf-8") as stdin:
            monkeypatch.setattr("sys.stdin", stdin)
            command = ["emulator", "--as-user", "Alex", "--url", emulator.url, "--language", "nl"]
            assert await asyncio.to_thread(main, command) == 0
        async with http.get(f"{bot}/getUpdates") as response:
            (update,) = (await response.json())["result"]
        assert update["update_id"] == 1_800_000_000
        assert update["message"]["text"] == "/start"
        assert update["message"]["from"]["first_name"] == "Alex"
        assert update["message"]["from"]["language_code"] == "nl"
        assert "You are Alex" in capsys.readouterr().out

        keyboard = {
            "inline_keyboard": [[{"text": "Ja", "callback_data": "y"}, {"text": "Nee", "callback_data": "n"}]]
        }
        sent = {"chat_id": update["message"]["chat"]["id"], "text": "Doe je mee?", "reply_markup": keyboard}
        async with http.post(f"{bot}/sendMessage", json=sent) as response:
            assert (await response.json())["ok"]
        user = f"{emulator.url}/_emulator/users/{update['message']['from']['id']}"
        async with http.get(user) as response:
            (shown,) = (await response.json())["messages"]
        assert (shown["text"], shown["buttons"]) == ("Doe je mee?", ["Ja", "Nee"])
        async with http.post(user, json={"press": 3}) as response:
            assert (await response.json())[
                "description"
            ] == "there is no button 3; the newest buttons are 1 to 2"
        async with http.post(user, json={"press": 2}) as response:
            assert (await response.json())["ok"]
        async with http.get(f"{bot}/getUpdates", params={"offset": update["update_id"] + 1}) as response:
            (pressed,) = (await response.json())["result"]
        assert pressed["callback_query"]["data"] == "n"


async def test_updates_numbered_again_from_the_start_are_reported(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with db.transaction() as session:
        await updates.record(session, BOT_ID, [Received(n, 1, None) for n in (1, 2, 3, 500)])
    with caplog.at_level(logging.WARNING, logger="bot.store.updates"):
        async with db.transaction() as session:
            assert await updates.record(session, BOT_ID, [Received(500, 1, None)]) == []  # a plain redelivery
        assert caplog.records == []
        async with db.transaction() as session:
            assert await updates.record(session, BOT_ID, [Received(2, 1, None)]) == []
    (warning,) = caplog.records
    assert "update 2 arrived again, far below the highest update id recorded (500)" in warning.getMessage()


def test_the_rehearsal_opens_the_dashboard_when_its_address_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DASHBOARD_URL", "http://127.0.0.1:8080")
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    typed = tmp_path / "typed.txt"
    typed.write_text("/dashboard\n", encoding="utf-8")
    store = f"sqlite+aiosqlite:///{tmp_path / 'trial.sqlite'}"
    with typed.open(encoding="utf-8") as stdin:
        monkeypatch.setattr("sys.stdin", stdin)
        command = ["chat", "--as", "facilitator", "--language", "en", "--database-url", store]
        assert main([*command, "--files", str(tmp_path / "files")]) == 0
    assert "http://127.0.0.1:8080/login/" in capsys.readouterr().out
