"""End to end: reminders, RSVP, /sessions and check-in through the real aiogram runtime and the emulator.

Time is a `ManualClock` the test moves; APScheduler runs the reminder job every 0.2 s of real time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ManualClock, RunningBot
from sqlalchemy import select, update

from bot.emulator import Emulator, SimulatedUser
from bot.store.models import ParticipantRow, RsvpRow, SessionRow
from flows.assembly import Assembly

S1_START = datetime(2027, 3, 6, 8, 30, tzinfo=UTC)  # 09:30 in Brussels


@pytest.fixture
async def clocked_bot(assembly: Assembly, emulator: Emulator, sqlite_url: str) -> AsyncIterator[RunningBot]:
    clock = ManualClock(S1_START - timedelta(days=10))
    bot = RunningBot(assembly, emulator, sqlite_url, "aiogram", clock)
    await bot.start()
    yield bot
    await bot.stop()


async def _confirm(bot: RunningBot, *users: SimulatedUser) -> None:
    """What registration does for selected people who confirm, done directly in the store."""
    assert bot.app is not None
    for user in users:
        await user.send_text("/start")
        await user.wait_for_messages(1)
    async with bot.app.db.transaction() as session:
        await session.execute(
            update(ParticipantRow)
            .where(ParticipantRow.telegram_user_id.in_([u.id for u in users]))
            .values(status="confirmed")
        )


async def test_reminders_arrive_localized_and_answers_are_kept(
    clocked_bot: RunningBot, emulator: Emulator
) -> None:
    amelie = emulator.user(4001, "Amélie", "fr")
    jan = emulator.user(4002, "Jan", "nl")
    layla = emulator.user(4003, "Layla", "ar")
    await _confirm(clocked_bot, amelie, jan, layla)
    assert clocked_bot.clock is not None
    assert clocked_bot.app is not None

    clocked_bot.clock.set(S1_START - timedelta(days=1) + timedelta(minutes=1))
    reminder_fr = (await amelie.wait_for_messages(2))[-1]
    reminder_nl = (await jan.wait_for_messages(2))[-1]
    reminder_ar = (await layla.wait_for_messages(2))[-1]
    assert reminder_fr.text is not None
    assert reminder_nl.text is not None
    assert reminder_ar.text is not None
    assert reminder_fr.text.splitlines()[:2] == [
        "🔔 Rappel : Séance 1 : faire connaissance et comprendre le climat",
        "samedi 6 mars 2027, de 09:30 à 16:30",
    ]
    assert reminder_nl.text.splitlines()[1] == "zaterdag 6 maart 2027, van 09:30 tot 16:30"
    assert reminder_ar.text.splitlines()[0] == "🔔 تذكير: الجلسة 1: التعارف وفهم المناخ"
    assert reminder_fr.button_texts == ["✅ Je viens", "❌ Je ne peux pas venir"]

    await amelie.press("❌ Je ne peux pas venir")
    ask = (await amelie.wait_for_messages(3))[-1]
    assert ask.text is not None
    assert ask.text.startswith("Merci de nous avoir prévenus que vous ne pouvez pas venir à Séance 1")
    assert ask.button_texts == ["Passer"]
    await amelie.send_text("Je travaille ce samedi-là.")
    assert (await amelie.wait_for_messages(4))[-1].text == "Merci, nous avons noté votre raison."

    await jan.press("✅ Ik kom")
    confirmed = (await jan.wait_for_messages(3))[-1]
    assert confirmed.text is not None
    assert confirmed.text.startswith("Bedankt! We hebben genoteerd dat je naar Sessie 1")
    await jan.send_text("/sessions")
    overview = (await jan.wait_for_messages(4))[-1]
    assert overview.text is not None
    assert overview.text.startswith(
        "Je komende sessies:\n\n1. Sessie 1: kennismaken en het klimaat begrijpen"
    )
    assert "Jouw antwoord: je komt" in overview.text
    assert overview.text.count("Je hebt nog niet geantwoord.") == 5

    async with clocked_bot.app.db.transaction() as session:
        answers = {
            (r.participant_id, r.answer, r.reason) for r in (await session.execute(select(RsvpRow))).scalars()
        }
    assert {(answer, reason) for _, answer, reason in answers} == {
        ("absent", "Je travaille ce samedi-là."),
        ("coming", None),
    }


async def test_check_in_by_qr_link_and_typed_code_late_wrong_and_expired(
    clocked_bot: RunningBot, emulator: Emulator
) -> None:
    amelie = emulator.user(4011, "Amélie", "fr")
    jan = emulator.user(4012, "Jan", "nl")
    layla = emulator.user(4013, "Layla", "ar")
    await _confirm(clocked_bot, amelie, jan, layla)
    assert clocked_bot.clock is not None
    assert clocked_bot.app is not None
    async with clocked_bot.app.db.transaction() as session:
        code = (
            await session.execute(select(SessionRow.checkin_code).where(SessionRow.key == "s1"))
        ).scalar_one()

    clocked_bot.clock.set(S1_START + timedelta(minutes=20))
    await layla.send_text(f"/start checkin-{code}")
    welcome = (await layla.wait_for_messages(2))[-1]
    assert (
        welcome.text
        == "أهلاً بك! تم تسجيل حضورك في الجلسة 1: التعارف وفهم المناخ. سجّلنا أنك وصلت عند الساعة 9:50."
    )
    await jan.send_text("/checkin")
    await jan.wait_for_messages(2)
    await jan.send_text("ZZZ999")
    wrong = (await jan.wait_for_messages(3))[-1]
    assert wrong.text is not None
    assert wrong.text.startswith("Deze code is niet geldig.")
    await jan.send_text(code.lower())
    assert (await jan.wait_for_messages(4))[-1].text == (
        "Welkom! Je aanwezigheid bij Sessie 1: kennismaken en het klimaat begrijpen is geregistreerd. "
        "We hebben genoteerd dat je om 09:50 bent aangekomen."
    )

    clocked_bot.clock.set(S1_START + timedelta(hours=9))
    await amelie.send_text(f"/start checkin-{code}")
    expired = (await amelie.wait_for_messages(2))[-1]
    assert expired.text == (
        "Ce code a expiré : Séance 1 : faire connaissance et comprendre le climat "
        "s'est terminée le samedi 6 mars 2027."
    )
    await amelie.send_text("/start")
    assert (await amelie.wait_for_messages(3))[-1].text.startswith("Bienvenue !")  # type: ignore[union-attr]
