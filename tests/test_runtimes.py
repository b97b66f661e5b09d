"""The two Telegram runtimes are interchangeable: same events from the same updates, same sends and errors."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import CONVERSATION_LIMITS, TOKEN, RunningBot
from telegram.error import RetryAfter

from bot.bootstrap import RUNTIMES, make_api
from bot.emulator import Emulator, SimulatedUser
from bot.telegram.api import Blocked, Rejected, RetryLater, TelegramApi, Transient, Unauthorized
from bot.telegram.ptb_api import retry_seconds
from flows import actions as act
from flows.assembly import Assembly
from flows.events import ButtonPress, Command, ContactShared, PollAnswer, Sender, Text


@pytest.fixture
async def api(runtime: str, emulator: Emulator) -> AsyncIterator[TelegramApi]:
    adapter = make_api(runtime, TOKEN, emulator.url)
    await adapter.identity()
    yield adapter
    await adapter.close()


async def test_both_runtimes_read_the_same_events_from_the_same_updates(emulator: Emulator) -> None:
    adapters = [make_api(name, TOKEN, emulator.url) for name in RUNTIMES]
    try:
        for adapter in adapters:
            assert await adapter.identity() == (emulator.bot_id, "assembly_test_bot")
        rania = emulator.user(4001, first_name="رانية", language_code="ar")
        poll = await adapters[0].perform(act.SendPoll(4001, "Quel thème ?", ("Climat", "Mobilité"), True))
        await rania.send_text("/Start@assembly_test_bot payload")
        await rania.send_text("مرحبا")
        await rania.share_contact("+32470123456")
        await rania.press_data("lang:nl", message_id=poll.message_id)
        await rania.answer_poll(poll.poll_id or "", [0, 1])

        # getUpdates without an offset confirms nothing, so every adapter sees the same queue.
        seen = [await adapter.get_updates(None, 0) for adapter in adapters]
    finally:
        for adapter in adapters:
            await adapter.close()
    assert all(batch == seen[0] for batch in seen[1:])
    events = [item.event for item in seen[0] if item.event is not None]
    assert [type(event) for event in events] == [Command, Text, ContactShared, ButtonPress, PollAnswer]
    command, text, contact, press, vote = events
    assert (command.name, command.argument) == ("start", "payload")  # type: ignore[union-attr]
    assert text.sender == Sender(4001, 4001, "رانية", "ar")
    assert contact == ContactShared(text.sender, "+32470123456", own=True)
    assert (press.data, press.message_id) == ("lang:nl", poll.message_id)  # type: ignore[union-attr]
    assert vote == PollAnswer(text.sender, poll.poll_id or "", (0, 1))
    # A `poll` update (new counts), if delivered at all, is recorded with no event: flows ignore it.
    assert {(item.chat_id, item.event is None) for item in seen[0]} <= {(4001, False), (0, True)}


async def test_flood_control_becomes_retry_later_without_deprecation_warnings(
    runtime: str, emulator: Emulator
) -> None:
    emulator.user(4002, language_code="fr")
    emulator.fail_next("sendMessage", "429")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api = make_api(runtime, TOKEN, emulator.url)
        try:
            with pytest.raises(RetryLater) as refused:
                await api.perform(act.SendMessage(4002, "Bonjour"))
        finally:
            await api.close()
    assert refused.value.seconds > 0
    assert [str(w.message) for w in caught] == []


async def test_blocked_user_unchanged_edit_server_error_and_bad_token(
    api: TelegramApi, emulator: Emulator, runtime: str
) -> None:
    user = emulator.user(4003, language_code="nl")
    sent = await api.perform(act.SendMessage(4003, "Kies", buttons=act.rows(act.Button("A", "x:a"))))
    same = act.EditMessage(4003, sent.message_id or 0, "Kies", act.rows(act.Button("A", "x:a")))
    with pytest.raises(Rejected, match=r"(?i)not modified"):  # refused by Telegram: never counted as sent
        await api.perform(same)
    assert user.last.edited == 0

    emulator.fail_next("sendMessage", "5xx")
    with pytest.raises(Transient):
        await api.perform(act.SendMessage(4003, "Hallo"))

    user.block()
    with pytest.raises(Blocked):
        await api.perform(act.SendMessage(4003, "Hallo"))

    wrong = make_api(runtime, "999:WRONG-SECRET", emulator.url)
    try:
        with pytest.raises(Unauthorized) as refused:
            await wrong.identity()
    finally:
        await wrong.close()
    assert "WRONG-SECRET" not in str(refused.value)


def test_retry_after_is_read_as_int_or_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    assert retry_seconds(RetryAfter(7)) == 7.0
    monkeypatch.setenv("PTB_TIMEDELTA", "false")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert retry_seconds(RetryAfter(timedelta(seconds=2.5))) == 2.5


async def _conversation(user: SimulatedUser) -> None:
    """A participant's tour of what exists: menu, language switch, help, mistakes, stale buttons."""
    # Replies come in chat order, so a button's notice is in before the next step's message.
    steps: list[tuple[Callable[[], Awaitable[object]], int]] = [
        (lambda: user.send_text("/start"), 1),
        (lambda: user.press("🌐 Langue"), 2),
        (lambda: user.press("العربية"), 3),
        (lambda: user.send_text("/help"), 4),
        (lambda: user.send_text("/voter"), 5),
        (lambda: user.send_text("Bonjour, je voudrais participer à l'assemblée citoyenne"), 6),
        (lambda: user.press_data("lang:xx"), 6),
        (lambda: user.share_contact("+32470000001"), 7),
        (lambda: user.send_text("/cancel"), 8),
    ]
    for step, messages in steps:
        await step()
        await user.wait_for_messages(messages)


async def test_the_same_conversation_gives_the_same_sends_on_both_runtimes(
    assembly: Assembly, tmp_path: Path
) -> None:
    transcripts = {}
    for name in RUNTIMES:
        async with Emulator(token=TOKEN, limits=CONVERSATION_LIMITS) as emulator:
            bot = RunningBot(assembly, emulator, f"sqlite+aiosqlite:///{tmp_path / name}.sqlite", name)
            await bot.start()
            try:
                user = emulator.user(4100, first_name="Amélie", language_code="fr")
                await _conversation(user)
            finally:
                await bot.stop()
            transcripts[name] = [
                (m.text, [[b.text for b in row] for row in m.buttons], m.edited, m.remove_keyboard)
                for m in user.messages
            ] + [("answer", a) for a in user.callback_answers]
    aiogram, ptb = transcripts["aiogram"], transcripts["ptb"]
    assert ptb == aiogram
    assert aiogram[1] == ("✓ العربية", [], 1, False)
    assert aiogram[-1] == ("answer", "هذا الزر لم يعد صالحاً.")


async def test_a_venue_arrives_as_a_map_pin_on_both_runtimes(api: TelegramApi, emulator: Emulator) -> None:
    lina = emulator.user(4006, first_name="Lina", language_code="fr")
    pin = act.SendVenue(4006, 50.8459, 4.3497, "Séance 1", "Parlement bruxellois, rue du Lombard 69")
    sent = await api.perform(pin)
    assert sent.message_id == lina.messages[-1].message_id
    assert lina.messages[-1].venue == {
        "location": {"latitude": 50.8459, "longitude": 4.3497},
        "title": "Séance 1",
        "address": "Parlement bruxellois, rue du Lombard 69",
    }
