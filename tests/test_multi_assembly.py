"""Two assemblies, each with its own bot, on one store: the same person in both is two participants,
each bot handles its own updates and sends its own messages, and nothing of one reaches the other."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import CONVERSATION_LIMITS, RunningBot, settled
from sqlalchemy import select

from bot.definition import load_assembly
from bot.emulator import Emulator, SentMessage, SimulatedUser
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store import digest_log
from bot.store.database import Database
from bot.store.models import AnswerRow, InboundUpdate, ParticipantRow
from bot.store.participants import BotTaken, ensure_assembly
from bot.store.roles import create_invite
from bot.telegram.identity import bot_id_of
from flows.assembly import Assembly

pytestmark = pytest.mark.both_backends  # the store both bots share

TOKEN_A, TOKEN_B = "123456:TEST-TOKEN", "654321:OTHER-TOKEN"
PERSON, ORGANISER = 7002, 7001
"""Telegram user ids, the same in both bots (a private chat's id is the user's id)."""


@pytest.fixture
def other_assembly(tmp_path: Path) -> Assembly:
    """The example assembly under another id and name: a second assembly in the same store."""
    text = EXAMPLE_ASSEMBLY.read_text(encoding="utf-8")
    text = text.replace("id: brussels-climate-2027", "id: ghent-climate-2027")
    text = text.replace("Brussels Citizens' Assembly on Climate", "Ghent Citizens' Assembly on Climate")
    path = tmp_path / "ghent.yaml"
    path.write_text(text, encoding="utf-8")
    return load_assembly(path)


@pytest.fixture
async def bots(
    db: Database, assembly: Assembly, other_assembly: Assembly
) -> AsyncIterator[tuple[RunningBot, RunningBot]]:
    """Both bots on the one store, each polling its own emulator; both emulators number updates from 1."""
    emulators = [
        Emulator(token=TOKEN_A, bot_username="brussels_bot", limits=CONVERSATION_LIMITS),
        Emulator(token=TOKEN_B, bot_username="ghent_bot", limits=CONVERSATION_LIMITS),
    ]
    for emulator in emulators:
        await emulator.start()
    pair = (
        RunningBot(assembly, emulators[0], db.url, "aiogram", token=TOKEN_A),
        RunningBot(other_assembly, emulators[1], db.url, "ptb", token=TOKEN_B),
    )
    try:
        for bot in pair:  # one after the other: each start migrates the store, in this one process
            await bot.start()
        yield pair
    finally:
        for bot in pair:
            await bot.stop()
        for emulator in emulators:
            await emulator.stop()


async def _say(user: SimulatedUser, text: str, expect: str) -> SentMessage:
    since = len(user.messages)
    await user.send_text(text)
    return await _after(user, since, lambda m: expect in (m.text or ""))


async def _after(user: SimulatedUser, since: int, check: object) -> SentMessage:
    async with asyncio.timeout(60):
        while True:
            for message in user.messages[since:]:
                if check(message):  # type: ignore[operator]
                    return message
            await asyncio.sleep(0.02)


async def _start_registering(user: SimulatedUser, first_name: str) -> None:
    await _say(user, "/start register", "First, choose your language")
    since = len(user.messages)
    await user.press("English")
    await _after(user, since, lambda m: "privacy notice" in (m.text or ""))
    await _say(user, "Yes", "Question 1 of 12")
    await _say(user, first_name, "Question 2 of 12")


async def _first_names(db: Database) -> dict[str, str]:
    query = (
        select(ParticipantRow.assembly_id, AnswerRow.value)
        .join(AnswerRow, AnswerRow.participant_id == ParticipantRow.id)
        .where(ParticipantRow.telegram_user_id == PERSON, AnswerRow.question_id == "first_name")
    )
    async with db.transaction() as session:
        return dict((await session.execute(query)).tuples().all())


async def test_two_assemblies_with_their_own_bots_share_one_store(
    db: Database, assembly: Assembly, other_assembly: Assembly, bots: tuple[RunningBot, RunningBot]
) -> None:
    bot_a, bot_b = bots
    brussels, ghent = assembly.id, other_assembly.id
    assert bot_b.app is not None
    now = bot_b.app.core.kit.clock.now()
    # The same person, in both bots at once: update 1, 2, ... in each, none taken for the other's.
    noa_a = bot_a.emulator.user(PERSON, first_name="Noa", language_code="en")
    noa_b = bot_b.emulator.user(PERSON, first_name="Noa", language_code="en")
    await asyncio.gather(_start_registering(noa_a, "Noa-Brussels"), _start_registering(noa_b, "Noa-Ghent"))
    assert await _first_names(db) == {brussels: "Noa-Brussels", ghent: "Noa-Ghent"}
    first = select(InboundUpdate.bot_id).where(InboundUpdate.update_id == 1)
    async with db.transaction() as session:
        assert sorted((await session.execute(first)).scalars()) == [bot_id_of(TOKEN_A), bot_id_of(TOKEN_B)]

    # An organiser of Brussels is nobody special to Ghent's bot.
    async with db.transaction() as session:
        code = await create_invite(session, brussels, "organiser", now, timedelta(hours=1))
    lea_a = bot_a.emulator.user(ORGANISER, first_name="Lea", language_code="en")
    lea_b = bot_b.emulator.user(ORGANISER, first_name="Lea", language_code="en")
    await _say(lea_a, f"/start role-{code}", "You are now an organiser")
    await _say(lea_a, "/tables s1", "Nobody is checked in at this session yet.")
    await _say(lea_b, "/tables s1", "This command is for the organisers of the assembly.")
    await _say(lea_b, "/digest", "Only the assembly's organisers can receive the digest.")
    # Ghent's scheduled digest goes to Ghent's organisers only (what the digest job reads).
    async with db.transaction() as session:
        assert await digest_log.organisers(session, brussels) == {ORGANISER}
        assert await digest_log.organisers(session, ghent) == set()

    # /mydata in Ghent shows Ghent's data only.
    since = len(noa_b.messages)
    await noa_b.send_text("/mydata")
    document = await _after(noa_b, since, lambda m: m.document is not None)
    data = json.loads(document.document or b"")
    assert (data["assembly"], data["answers"]["first_name"]) == (ghent, "Noa-Ghent")
    assert b"Noa-Brussels" not in (document.document or b"")

    # /forget in Brussels leaves the Ghent registration whole.
    await _say(noa_a, "/forget", "Do you want me to erase everything")
    await _say(noa_a, "Yes", "Done: I have erased your data.")
    await settled(bot_a.emulator, db)
    await settled(bot_b.emulator, db)
    assert await _first_names(db) == {ghent: "Noa-Ghent"}
    people = select(ParticipantRow.assembly_id).where(ParticipantRow.telegram_user_id == PERSON)
    async with db.transaction() as session:
        assert list((await session.execute(people)).scalars()) == [ghent]

    # Each bot sent only its own assembly's messages: nothing of one arrived through the other.
    def texts(emulator: Emulator) -> str:
        return "\n".join(
            (m.text or "") + (m.document_name or "") for user in emulator.users for m in user.messages
        )

    assert "Ghent" not in texts(bot_a.emulator)
    assert brussels not in texts(bot_b.emulator)
    assert "Noa-Brussels" not in texts(bot_b.emulator)


async def test_one_bot_speaks_for_one_assembly_only(
    db: Database, assembly: Assembly, other_assembly: Assembly
) -> None:
    async with db.transaction() as session:
        await ensure_assembly(session, assembly, bot_id_of(TOKEN_A))
    with pytest.raises(BotTaken, match=f"already speaks for assembly {assembly.id}"):
        async with db.transaction() as session:
            await ensure_assembly(session, other_assembly, bot_id_of(TOKEN_A))
