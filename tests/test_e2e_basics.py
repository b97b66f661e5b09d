"""End to end: a real bot runtime over real HTTP against the emulator, driven by simulated users."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import RunningBot, eventually, settled
from sqlalchemy import select

from bot.emulator import Emulator, Limits
from bot.store import database
from bot.store.models import InboundUpdate
from flows.assembly import Assembly


async def test_french_user_gets_french_welcome_menu_then_switches_to_arabic(
    running_bot: RunningBot, emulator: Emulator
) -> None:
    amelie = emulator.user(2001, first_name="Amélie", language_code="fr")
    await amelie.send_text("/start")
    (welcome,) = await amelie.wait_for_messages(1)
    assert welcome.text is not None
    assert welcome.text.startswith("Bienvenue ! Je suis l'assistant de l'Assemblée citoyenne")
    assert welcome.button_texts == ["📝 M'inscrire", "🌐 Langue", "❓ Aide"]

    menus = emulator.commands
    french = dict(menus[("all_private_chats", None, "fr")])
    assert french["language"] == "Choisir votre langue"
    assert dict(menus[("all_private_chats", None, "ar")])["help"] == "ما يمكنني فعله"
    assert dict(menus[("all_private_chats", None, "")])["start"] == "Accueil et menu principal"

    await amelie.send_text("/language")
    chooser = (await amelie.wait_for_messages(2))[-1]
    assert chooser.text == "Choisissez votre langue :"
    await amelie.press("العربية")
    messages = await amelie.wait_for_messages(3)
    assert messages[1].text == "✓ العربية"
    assert messages[1].edited == 1
    assert messages[2].text == "من الآن فصاعداً سأكتب لك باللغة العربية."
    assert messages[2].button_texts == ["🌐 اللغة", "❓ مساعدة"]

    await amelie.send_text("/start")
    again = (await amelie.wait_for_messages(4))[-1]
    assert again.text is not None
    assert again.text.startswith("أهلاً وسهلاً! أنا مساعد جمعية مواطني بروكسل")


async def test_unknown_command_and_random_text_get_localized_help(
    running_bot: RunningBot, emulator: Emulator
) -> None:
    jan = emulator.user(2002, first_name="Jan", language_code="nl")
    await jan.send_text("/stemmen")
    await jan.wait_for_messages(1)
    await jan.send_text("asdf")
    replies = [m.text for m in await jan.wait_for_messages(2)]
    assert replies == [
        "Ik ken het commando /stemmen niet. Typ /help om te zien wat ik kan doen.",
        "Sorry, dat heb ik niet begrepen. Typ /help om te zien wat ik kan doen.",
    ]


async def test_past_the_send_limit_everything_is_delivered(
    running_bot: RunningBot, emulator: Emulator
) -> None:
    emulator.limits = Limits(global_per_second=4.0, global_burst=4, per_chat_burst=1)
    people = [emulator.user(3000 + i, first_name=f"P{i}", language_code="de") for i in range(10)]
    await asyncio.gather(*(person.send_text("/help") for person in people))
    for person in people:
        (reply,) = await person.wait_for_messages(1, timeout=20)
        assert reply.text is not None
        assert reply.text.startswith("Das kann ich für Sie tun:")
    refused = [call for call in emulator.calls if call.status == 429]
    assert refused, "the emulator should have refused some sends with 429"
    assert emulator.sent_count("sendMessage") == 10


async def test_redelivered_update_is_answered_once(running_bot: RunningBot, emulator: Emulator) -> None:
    sofia = emulator.user(2003, first_name="Sofia", language_code="en")
    await sofia.send_text("/help")
    await sofia.wait_for_messages(1)
    await eventually(lambda: emulator.pending_updates() == 0)  # the bot acknowledged it
    emulator.redeliver()
    await sofia.send_text("/cancel")  # a later update, to know the redelivery went through
    replies = [m.text for m in await sofia.wait_for_messages(2)]
    assert running_bot.app is not None
    await settled(emulator, running_bot.app.db)
    assert len(sofia.messages) == 2
    assert replies[1] == "There is nothing to cancel right now."
    assert emulator.sent_count("sendMessage") == 2


async def test_the_update_log_keeps_no_words_once_handled(
    running_bot: RunningBot, emulator: Emulator
) -> None:
    """Exactly-once needs the update ids, not what people typed or shared."""
    omar = emulator.user(2004, first_name="Omar", language_code="ar")
    await omar.send_text("رقمي الخاص هو سر")
    await omar.share_contact("+32471000111")
    await omar.wait_for_messages(2)
    assert running_bot.app is not None
    async with running_bot.app.db.transaction() as session:
        rows = (await session.execute(select(InboundUpdate))).scalars().all()
    assert len(rows) == 2
    assert all(row.processed_at is not None and row.event is None for row in rows)


async def test_a_store_locked_longer_than_writers_wait_delays_an_answer_without_losing_it(
    assembly: Assembly, emulator: Emulator, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds SQLite's write lock well past the busy timeout (as the bot's own
    writers can under a burst on a crowded machine): the message is answered once the lock is
    free, once, with its own answer rather than an apology."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 50)
    bot = RunningBot(assembly, emulator, sqlite_url, "aiogram")
    await bot.start()
    try:
        store = Path(sqlite_url.removeprefix("sqlite+aiosqlite:///"))
        with contextlib.closing(sqlite3.connect(store, isolation_level=None)) as holder:
            holder.execute("BEGIN EXCLUSIVE")
            sofia = emulator.user(2005, first_name="Sofia", language_code="en")
            await sofia.send_text("/cancel")
            await asyncio.sleep(1.5)  # thirty busy timeouts
            holder.execute("ROLLBACK")
        (reply,) = await sofia.wait_for_messages(1)
        assert bot.app is not None
        await settled(emulator, bot.app.db)
        assert reply.text == "There is nothing to cancel right now."
        assert len(sofia.messages) == 1
        async with bot.app.db.reading() as session:
            errors = list((await session.execute(select(InboundUpdate.error))).scalars())
        assert errors == [None]
    finally:
        await bot.stop()
