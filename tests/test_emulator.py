"""The Bot API emulator, exercised over real HTTP: raw requests, aiogram 3.31 and PTB 22.8."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram
import telegram.error
from aiogram import Bot as AiogramBot
from aiogram import Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    Poll,
    PollAnswer,
    ReplyKeyboardMarkup,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.emulator import Emulator, Limits, SimulatedUser, TelegramApiError, serve_forever
from bot.emulator.errors import NOT_MODIFIED, POLL_CONFLICT, WEBHOOK_CONFLICT

TOKEN = "123456:TEST-TOKEN"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN, bot_username="assembly_test_bot", limits=Limits()) as emu:
        yield emu


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def amelie(emu: Emulator) -> SimulatedUser:
    return emu.user(1001, first_name="Amélie", language_code="fr")


@pytest.fixture
async def aiogram_bot(emu: Emulator) -> AsyncIterator[AiogramBot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.url))
    bot = AiogramBot(TOKEN, session=session)
    yield bot
    await session.close()


async def call(
    http: aiohttp.ClientSession, emu: Emulator, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{emu.url}/bot{TOKEN}/{method}", json=params) as response:
        return response.status, await response.json()


def keyboard(*labels: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": label, "callback_data": label} for label in labels]]}


# -- raw HTTP: error shapes ---------------------------------------------------------------------


async def test_wrong_token_is_401_and_unknown_method_404(emu: Emulator, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{emu.url}/bot123456:WRONG/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    status, body = await call(http, emu, "noSuchMethod")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_get_me_answers_get_and_post_with_the_token_digits(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emu.url}/bot{TOKEN}/getme") as response:
        body = await response.json()
    assert body["ok"] is True
    me = body["result"]
    assert me["id"] == 123456
    assert me["is_bot"] is True
    assert me["username"] == "assembly_test_bot"
    assert {"can_join_groups", "supports_inline_queries", "has_main_web_app"} <= me.keys()
    assert emu.calls[-1].method == "getMe"


async def test_text_length_and_emptiness(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    status, body = await call(http, emu, "sendMessage", chat_id=amelie.id, text="x" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    status, body = await call(http, emu, "sendMessage", chat_id=amelie.id, text="")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    # HTML tags do not count towards the limit: Telegram measures after entity parsing.
    status, _ = await call(
        http, emu, "sendMessage", chat_id=amelie.id, text=f"<b>{'x' * 4096}</b>", parse_mode="HTML"
    )
    assert status == 200
    for unknown in (999, "@someone"):
        status, body = await call(http, emu, "sendMessage", chat_id=unknown, text="hi")
        assert (status, body["description"]) == (400, "Bad Request: chat not found")
    assert amelie.messages[0].parse_mode == "HTML"
    assert emu.sent_count() == 1


async def test_callback_data_over_64_bytes_is_refused(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    status, _ = await call(
        http, emu, "sendMessage", chat_id=amelie.id, text="ok", reply_markup=keyboard("é" * 32)
    )
    assert status == 200
    status, body = await call(
        http, emu, "sendMessage", chat_id=amelie.id, text="no", reply_markup=keyboard("é" * 33)
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    assert len(amelie.messages) == 1


async def test_per_chat_burst_then_429_with_retry_after(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    for i in range(3):
        status, _ = await call(http, emu, "sendMessage", chat_id=amelie.id, text=f"m{i}")
        assert status == 200
    status, body = await call(http, emu, "sendMessage", chat_id=amelie.id, text="too fast")
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    # Another chat still has its own budget.
    status, _ = await call(http, emu, "sendMessage", chat_id=emu.user(1002).id, text="hi")
    assert status == 200
    assert emu.calls[-2].status == 429


async def test_global_limit_429_and_switching_limits_off(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.limits = Limits(global_per_second=0.5, global_burst=2)
    for user_id in (1, 2):
        status, _ = await call(http, emu, "sendMessage", chat_id=emu.user(user_id).id, text="hi")
        assert status == 200
    status, body = await call(http, emu, "sendMessage", chat_id=emu.user(3).id, text="hi")
    assert status == 429
    assert body["parameters"] == {"retry_after": 2}
    emu.limits.enabled = False
    status, _ = await call(http, emu, "sendMessage", chat_id=3, text="hi")
    assert status == 200


async def test_blocked_user_gets_403_until_unblocked(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    amelie.block()
    for method, extra in (("sendMessage", {"text": "hi"}), ("sendChatAction", {"action": "typing"})):
        status, body = await call(http, emu, method, chat_id=amelie.id, **extra)
        assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    amelie.unblock()
    status, _ = await call(http, emu, "sendMessage", chat_id=amelie.id, text="hi")
    assert status == 200


async def test_message_not_modified_and_edits(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    _, sent = await call(
        http, emu, "sendMessage", chat_id=amelie.id, text="Vote?", reply_markup=keyboard("yes")
    )
    message_id = sent["result"]["message_id"]
    assert sent["result"]["reply_markup"] == keyboard("yes")
    status, body = await call(
        http,
        emu,
        "editMessageText",
        chat_id=amelie.id,
        message_id=message_id,
        text="Vote?",
        reply_markup=keyboard("yes"),
    )
    assert (status, body["description"]) == (400, NOT_MODIFIED)
    status, body = await call(
        http, emu, "editMessageText", chat_id=amelie.id, message_id=message_id, text="Voted"
    )
    assert status == 200
    assert "reply_markup" not in body["result"]
    assert body["result"]["edit_date"] > 0
    assert (amelie.last.text, amelie.last.buttons, amelie.last.edited) == ("Voted", [], 1)
    status, _ = await call(
        http,
        emu,
        "editMessageReplyMarkup",
        chat_id=amelie.id,
        message_id=message_id,
        reply_markup=keyboard("undo"),
    )
    assert status == 200
    assert amelie.last.button_texts == ["undo"]
    status, body = await call(http, emu, "editMessageText", chat_id=amelie.id, message_id=99, text="x")
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")


async def test_concurrent_get_updates_terminates_the_older_poll(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    older = asyncio.create_task(call(http, emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    status, body = await call(http, emu, "getUpdates", timeout=0)
    assert (status, body) == (200, {"ok": True, "result": []})
    status, body = await older
    assert time.monotonic() - started < 1
    assert (status, body["description"]) == (409, POLL_CONFLICT)


async def test_webhook_blocks_polling_until_deleted(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    await amelie.send_text("hello")
    assert (await call(http, emu, "setWebhook", url="https://example.org/hook"))[0] == 200
    status, body = await call(http, emu, "getUpdates")
    assert (status, body["description"]) == (409, WEBHOOK_CONFLICT)
    _, info = await call(http, emu, "getWebhookInfo")
    assert info["result"]["url"] == "https://example.org/hook"
    assert info["result"]["pending_update_count"] == 1
    await call(http, emu, "deleteWebhook", drop_pending_updates=True)
    status, body = await call(http, emu, "getUpdates")
    assert (status, body["result"]) == (200, [])


async def test_offsets_limits_and_allowed_updates(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    for text in ("a", "b", "c", "d"):
        await amelie.send_text(text)
    _, body = await call(http, emu, "getUpdates", limit=2)
    ids = [u["update_id"] for u in body["result"]]
    assert ids == [1, 2]
    _, body = await call(http, emu, "getUpdates", offset=3)
    assert [u["message"]["text"] for u in body["result"]] == ["c", "d"]
    assert emu.pending_updates() == 2
    _, body = await call(http, emu, "getUpdates", offset=-1)
    assert [u["update_id"] for u in body["result"]] == [4]
    assert emu.pending_updates() == 1
    await call(http, emu, "getUpdates", offset=5, allowed_updates=["callback_query"])
    await amelie.send_text("ignored")
    assert emu.pending_updates() == 0
    # Omitting allowed_updates keeps the last setting; [] restores the default kinds.
    await call(http, emu, "getUpdates")
    await amelie.send_text("still ignored")
    await call(http, emu, "getUpdates", allowed_updates=[])
    await amelie.send_text("seen")
    _, body = await call(http, emu, "getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["seen"]


async def test_form_bodies_keep_text_fields_as_strings(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    form = {"chat_id": "1001", "text": "123", "reply_markup": json.dumps(keyboard("true"))}
    async with http.post(f"{emu.url}/bot{TOKEN}/sendMessage", data=form) as response:
        body = await response.json()
    assert body["result"]["text"] == "123"
    assert emu.calls[-1].params["chat_id"] == 1001
    assert amelie.last.buttons[0][0].callback_data == "true"
    async with http.get(f"{emu.url}/bot{TOKEN}/sendMessage?chat_id=1001&text=true") as response:
        assert (await response.json())["result"]["text"] == "true"


async def test_commands_by_scope_and_language(emu: Emulator, http: aiohttp.ClientSession) -> None:
    scope = {"type": "chat", "chat_id": 1001}
    commands = [{"command": "start", "description": "Commencer"}]
    await call(http, emu, "setMyCommands", commands=commands, scope=scope, language_code="fr")
    await call(http, emu, "setMyCommands", commands=[{"command": "help", "description": "Help"}])
    assert emu.commands == {
        ("chat", 1001, "fr"): [("start", "Commencer")],
        ("default", None, ""): [("help", "Help")],
    }
    _, body = await call(http, emu, "getMyCommands", scope=scope, language_code="fr")
    assert body["result"] == commands
    await call(http, emu, "deleteMyCommands")
    assert list(emu.commands) == [("chat", 1001, "fr")]
    status, body = await call(http, emu, "setMyCommands", commands=[{"command": "Bad!", "description": "x"}])
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")


async def test_get_chat_and_state_route(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    _, body = await call(http, emu, "getChat", chat_id=amelie.id)
    assert body["result"]["accent_color_id"] == 0
    assert body["result"]["accepted_gift_types"]["gifts_from_channels"] is False
    await call(http, emu, "sendMessage", chat_id=amelie.id, text="Bonjour")
    async with http.get(f"{emu.url}/_emulator/state") as response:
        state = await response.json()
    assert state["users"][0]["messages"][0]["text"] == "Bonjour"


# -- simulated users ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset", "length"),
    [("/start abc", 0, 6), ("👋 /help", 3, 5), ("مرحبا /vote@assembly_test_bot", 6, 23)],
)
async def test_send_text_adds_bot_command_entities_in_utf16(
    emu: Emulator, http: aiohttp.ClientSession, text: str, offset: int, length: int
) -> None:
    await emu.user(7, "Lina", None).send_text(text)
    _, body = await call(http, emu, "getUpdates")
    message = body["result"][0]["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": offset, "length": length}]
    assert message["from"] == {"id": 7, "is_bot": False, "first_name": "Lina"}
    assert message["chat"] == {"id": 7, "type": "private", "first_name": "Lina"}


async def test_press_press_data_and_callback_answers(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    markup = {
        "inline_keyboard": [
            [{"text": "Français", "callback_data": "lang:fr"}],
            [{"text": "Site", "url": "https://example.org"}],
        ]
    }
    await call(http, emu, "sendMessage", chat_id=amelie.id, text="Langue ?", reply_markup=markup)
    await call(http, emu, "sendMessage", chat_id=amelie.id, text="Plain")
    assert amelie.messages[0].button("Français").callback_data == "lang:fr"
    await amelie.press("Français")
    await amelie.press("lang:fr")
    await amelie.press_data("forged", message_id=1)
    with pytest.raises(LookupError, match="Deutsch"):
        await amelie.press("Deutsch")
    with pytest.raises(LookupError):
        await amelie.press("Site")
    _, body = await call(http, emu, "getUpdates")
    queries = [u["callback_query"] for u in body["result"]]
    assert [q["data"] for q in queries] == ["lang:fr", "lang:fr", "forged"]
    assert queries[0]["message"]["text"] == "Langue ?"
    assert queries[0]["from"]["language_code"] == "fr"
    status, _ = await call(http, emu, "answerCallbackQuery", callback_query_id=queries[0]["id"], text="OK")
    assert status == 200
    await call(http, emu, "answerCallbackQuery", callback_query_id=queries[1]["id"])
    status, _ = await call(http, emu, "answerCallbackQuery", callback_query_id=queries[1]["id"])
    assert status == 400
    status, body = await call(
        http, emu, "answerCallbackQuery", callback_query_id=queries[2]["id"], text="x" * 201
    )
    assert status == 400
    assert amelie.callback_answers == ["OK", ""]


async def test_contact_reply_keyboard_and_polls(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    markup = {"keyboard": [[{"text": "Partager", "request_contact": True}]]}
    await call(http, emu, "sendMessage", chat_id=amelie.id, text="Tel ?", reply_markup=markup)
    assert amelie.last.reply_keyboard == [["Partager"]]
    assert amelie.keyboard[0][0].request_contact is True
    await amelie.share_contact("+32470123456")
    await call(
        http, emu, "sendMessage", chat_id=amelie.id, text="Merci",
        reply_markup={"remove_keyboard": True},
    )  # fmt: skip
    assert amelie.keyboard == []
    _, sent = await call(
        http,
        emu,
        "sendPoll",
        chat_id=amelie.id,
        question="Table 3?",
        options=["A", {"text": "B"}, "C"],
        is_anonymous=False,
        allows_multiple_answers=True,
    )
    poll = sent["result"]["poll"]
    assert [o["persistent_id"] for o in poll["options"]] == ["0", "1", "2"]
    await amelie.answer_poll(sent["result"]["message_id"], [0, 2])
    await amelie.answer_poll(poll["id"], [])
    with pytest.raises(ValueError, match="options"):
        await amelie.answer_poll(poll["id"], [5])
    _, body = await call(http, emu, "getUpdates")
    kinds = [next(k for k in u if k != "update_id") for u in body["result"]]
    assert kinds == ["message", "poll", "poll_answer", "poll", "poll_answer"]
    contact = body["result"][0]["message"]["contact"]
    assert contact == {"phone_number": "+32470123456", "first_name": "Amélie", "user_id": 1001}
    assert body["result"][2]["poll_answer"]["option_persistent_ids"] == ["0", "2"]
    assert body["result"][4]["poll_answer"]["option_ids"] == []
    _, stopped = await call(http, emu, "stopPoll", chat_id=amelie.id, message_id=sent["result"]["message_id"])
    assert stopped["result"]["is_closed"] is True
    assert amelie.last.poll is not None
    assert amelie.last.poll["is_closed"] is True
    with pytest.raises(ValueError, match="closed"):
        await amelie.answer_poll(poll["id"], [1])


async def test_wait_for_messages_wakes_up_and_times_out(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        await call(http, emu, "sendMessage", chat_id=amelie.id, text="Bienvenue")

    task = asyncio.create_task(reply_later())
    messages = await amelie.wait_for_messages(1, timeout=2)
    await task
    assert [m.text for m in messages] == ["Bienvenue"]
    with pytest.raises(TimeoutError, match="Bienvenue"):
        await amelie.wait_for_messages(2, timeout=0.05)
    with pytest.raises(LookupError):
        _ = emu.user(5).last


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(call(http, emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    # A send during the long poll is not blocked by it.
    assert (await call(http, emu, "sendChatAction", chat_id=amelie.id, action="typing"))[0] == 200
    await amelie.send_text("/start")
    _, body = await poll
    assert time.monotonic() - started < 1
    assert body["result"][0]["message"]["text"] == "/start"


# -- fault injection ----------------------------------------------------------------------------


async def test_fault_5xx_and_429(emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser) -> None:
    emu.fail_next("sendMessage", "5xx")
    emu.fail_next("*", "429", delay=7)
    status, body = await call(http, emu, "sendMessage", chat_id=amelie.id, text="a")
    assert (status, body["error_code"]) == (500, 500)
    status, body = await call(http, emu, "getMe")
    assert (status, body["parameters"]) == (429, {"retry_after": 7})
    status, _ = await call(http, emu, "sendMessage", chat_id=amelie.id, text="b")
    assert status == 200
    assert [m.text for m in amelie.messages] == ["b"]
    with pytest.raises(ValueError, match="kind"):
        emu.fail_next("getMe", "boom")  # type: ignore[arg-type]


async def test_fault_slow_call_abandoned_by_its_client_changes_nothing(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    emu.fail_next("sendMessage", "slow", delay=0.3)
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(
            f"{emu.url}/bot{TOKEN}/sendMessage",
            json={"chat_id": amelie.id, "text": "late"},
            timeout=aiohttp.ClientTimeout(total=0.05),
        ):
            pass
    await asyncio.sleep(0.4)
    assert amelie.messages == []
    emu.fail_next("sendMessage", "slow", delay=0.05)
    assert (await call(http, emu, "sendMessage", chat_id=amelie.id, text="slow"))[0] == 200
    assert amelie.last.text == "slow"


async def test_fault_late_answer_takes_effect_and_records_the_client_gone(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    emu.fail_next("sendMessage", "late", delay=0.3)
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(
            f"{emu.url}/bot{TOKEN}/sendMessage",
            json={"chat_id": amelie.id, "text": "delivered unseen"},
            timeout=aiohttp.ClientTimeout(total=0.05),
        ):
            pass
    gave_up = time.monotonic()
    assert amelie.last.text == "delivered unseen"  # Telegram did it; the client cannot know
    await asyncio.sleep(0.4)
    # Counted against the send limit when it was carried out, not when its answer would have left.
    assert emu.calls[0].at < gave_up
    emu.fail_next("sendMessage", "late", delay=0.05)
    assert (await call(http, emu, "sendMessage", chat_id=amelie.id, text="seen late"))[0] == 200
    unseen, seen = amelie.messages
    assert emu.unseen_messages() == {(amelie.id, unseen.message_id)}
    assert [(c.status, c.client_gone, c.message) for c in emu.calls] == [
        (200, True, (amelie.id, unseen.message_id)),
        (200, False, (amelie.id, seen.message_id)),
    ]


async def test_fault_drop_closes_the_connection_without_effect(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    emu.fail_next("sendMessage", "drop")
    with pytest.raises(aiohttp.ClientError):
        await call(http, emu, "sendMessage", chat_id=amelie.id, text="lost")
    assert amelie.messages == []
    assert emu.calls[-1].status == 0
    assert (await call(http, emu, "sendMessage", chat_id=amelie.id, text="kept"))[0] == 200


# -- aiogram 3.31 -------------------------------------------------------------------------------


async def test_aiogram_sends_edits_polls_and_files(
    emu: Emulator, aiogram_bot: AiogramBot, amelie: SimulatedUser
) -> None:
    bot = aiogram_bot
    emu.limits.enabled = False
    me = await bot.get_me()
    assert (me.id, me.username) == (123456, "assembly_test_bot")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Français", callback_data="lang:fr")]]
    )
    sent = await bot.send_message(amelie.id, "Choisissez", reply_markup=markup)
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == markup.model_dump()
    assert sent.from_user is not None
    assert sent.from_user.id == me.id
    contact_button = KeyboardButton(text="Partager", request_contact=True)
    await bot.send_message(amelie.id, "Tel ?", reply_markup=ReplyKeyboardMarkup(keyboard=[[contact_button]]))
    assert amelie.last.reply_buttons[0][0].request_contact is True
    edited = await bot.edit_message_text(
        "Choisi", chat_id=amelie.id, message_id=sent.message_id, reply_markup=markup
    )
    assert not isinstance(edited, bool)
    assert (edited.text, amelie.messages[0].edited) == ("Choisi", 1)
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text(
            "Choisi", chat_id=amelie.id, message_id=sent.message_id, reply_markup=markup
        )
    poll_message = await bot.send_poll(amelie.id, "Table ?", ["A", "B"], is_anonymous=False)
    assert poll_message.poll is not None
    assert not poll_message.poll.is_anonymous
    photo = await bot.send_photo(amelie.id, BufferedInputFile(PNG, "p.png"), caption="Plan")
    assert photo.photo is not None
    assert (amelie.last.photo, amelie.last.caption) == (PNG, "Plan")
    document = await bot.send_document(amelie.id, BufferedInputFile(b"%PDF-1.4", "r.pdf"))
    assert document.document is not None
    assert document.document.file_name == "r.pdf"
    assert (amelie.last.document, amelie.last.document_name) == (b"%PDF-1.4", "r.pdf")
    downloaded = await bot.download(document.document.file_id)
    assert downloaded is not None
    assert downloaded.read() == b"%PDF-1.4"
    await bot.set_my_commands(
        [BotCommand(command="start", description="Commencer")],
        scope=BotCommandScopeChat(chat_id=amelie.id),
        language_code="fr",
    )
    assert emu.commands[("chat", amelie.id, "fr")] == [("start", "Commencer")]
    chat = await bot.get_chat(amelie.id)
    assert chat.first_name == "Amélie"


async def test_aiogram_parses_every_update_kind(
    emu: Emulator, aiogram_bot: AiogramBot, amelie: SimulatedUser
) -> None:
    bot = aiogram_bot
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Français", callback_data="lang:fr")]]
    )
    await bot.send_message(amelie.id, "Choisissez", reply_markup=markup)
    poll_message = await bot.send_poll(amelie.id, "Table ?", ["A", "B"], is_anonymous=False)
    await amelie.send_text("/start abc")
    await amelie.press("Français")
    await amelie.share_contact("+32470123456")
    await amelie.answer_poll(poll_message.message_id, [1])
    stopped = await bot.stop_poll(amelie.id, poll_message.message_id)
    assert stopped.is_closed
    assert stopped.options[1].voter_count == 1
    updates = await bot.get_updates(timeout=0)
    kinds = ["message", "callback_query", "message", "poll", "poll_answer", "poll"]
    assert [u.event_type for u in updates] == kinds
    start, press, contact, _, answer, closed = (u.event for u in updates)
    assert isinstance(start, Message)
    assert start.entities is not None
    assert start.entities[0].type == "bot_command"
    assert isinstance(press, CallbackQuery)
    assert press.data == "lang:fr"
    assert isinstance(press.message, Message)
    assert press.message.text == "Choisissez"
    assert isinstance(contact, Message)
    assert contact.contact is not None
    assert isinstance(answer, PollAnswer)
    assert answer.option_persistent_ids == ["1"]
    assert isinstance(closed, Poll)
    assert closed.is_closed
    assert await bot.answer_callback_query(press.id, text="OK")
    assert amelie.callback_answers == ["OK"]


async def test_aiogram_sees_retry_after_forbidden_and_server_errors(
    emu: Emulator, aiogram_bot: AiogramBot, amelie: SimulatedUser
) -> None:
    emu.limits.per_chat_burst = 1
    await aiogram_bot.send_message(amelie.id, "one")
    with pytest.raises(TelegramRetryAfter) as caught:
        await aiogram_bot.send_message(amelie.id, "two")
    assert caught.value.retry_after == 1
    emu.fail_next("sendMessage", "429", delay=4)
    with pytest.raises(TelegramRetryAfter) as caught:
        await aiogram_bot.send_message(emu.user(2).id, "x")
    assert caught.value.retry_after == 4
    amelie.block()
    with pytest.raises(TelegramForbiddenError):
        await aiogram_bot.send_chat_action(amelie.id, "typing")
    emu.fail_next("getMe", "5xx")
    with pytest.raises(TelegramServerError):
        await aiogram_bot.get_me()


async def test_aiogram_dispatcher_polls_and_answers(
    emu: Emulator, aiogram_bot: AiogramBot, amelie: SimulatedUser
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(f"Bonjour {message.from_user.first_name if message.from_user else ''}")

    polling = asyncio.create_task(
        dispatcher.start_polling(aiogram_bot, polling_timeout=5, handle_signals=False)
    )
    try:
        await amelie.send_text("/start")
        messages = await amelie.wait_for_messages(1, timeout=5)
    finally:
        await dispatcher.stop_polling()
        await polling
    assert messages[0].text == "Bonjour Amélie"
    assert emu.calls[0].method == "getMe"


# -- python-telegram-bot 22.8 -------------------------------------------------------------------


def ptb_bot(emu: Emulator) -> telegram.Bot:
    return telegram.Bot(TOKEN, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot")


async def test_ptb_sends_edits_polls_and_files(emu: Emulator, amelie: SimulatedUser) -> None:
    emu.limits.enabled = False
    async with ptb_bot(emu) as bot:
        assert (bot.id, bot.username) == (123456, "assembly_test_bot")
        markup = telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Français", callback_data="lang:fr")]]
        )
        sent = await bot.send_message(amelie.id, "Choisissez", reply_markup=markup)
        assert sent.reply_markup == markup
        edited = await bot.edit_message_text("Choisi", amelie.id, sent.message_id)
        assert isinstance(edited, telegram.Message)
        assert amelie.messages[0].buttons == []
        await bot.edit_message_reply_markup(amelie.id, sent.message_id, reply_markup=markup)
        assert amelie.messages[0].edited == 2
        poll_message = await bot.send_poll(
            amelie.id, "Table ?", ["A", telegram.InputPollOption("B")], is_anonymous=False
        )
        assert poll_message.poll is not None
        assert poll_message.poll.options[1].persistent_id == "1"
        photo = await bot.send_photo(amelie.id, PNG, caption="Plan")
        assert photo.photo[0].width > 0
        assert amelie.last.photo == PNG
        document = await bot.send_document(amelie.id, b"data", filename="r.txt")
        assert document.document is not None
        assert (amelie.last.document, amelie.last.document_name) == (b"data", "r.txt")
        downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
        assert bytes(downloaded) == b"data"
        scope = telegram.BotCommandScopeChat(amelie.id)
        await bot.set_my_commands([("start", "Commencer")], scope=scope, language_code="fr")
        commands = await bot.get_my_commands(scope=scope, language_code="fr")
        assert [c.command for c in commands] == ["start"]
        chat = await bot.get_chat(amelie.id)
        assert chat.first_name == "Amélie"


async def test_ptb_parses_every_update_kind(
    emu: Emulator, http: aiohttp.ClientSession, amelie: SimulatedUser
) -> None:
    async with ptb_bot(emu) as bot:
        markup = telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Français", callback_data="lang:fr")]]
        )
        await bot.send_message(amelie.id, "Choisissez", reply_markup=markup)
        poll_message = await bot.send_poll(amelie.id, "Table ?", ["A", "B"], is_anonymous=False)
        await amelie.send_text("/start abc")
        await amelie.press("lang:fr")
        await amelie.share_contact("+32470123456")
        await amelie.answer_poll(poll_message.message_id, [0])
        stopped = await bot.stop_poll(amelie.id, poll_message.message_id)
        assert stopped.is_closed
        updates = await bot.get_updates(timeout=0)
        start, press, contact, voted, answer, closed = updates
        assert start.message is not None
        assert start.message.entities[0].type == telegram.MessageEntity.BOT_COMMAND
        assert press.callback_query is not None
        assert press.callback_query.data == "lang:fr"
        assert contact.message is not None
        assert contact.message.contact is not None
        assert voted.poll is not None
        assert answer.poll_answer is not None
        assert answer.poll_answer.option_persistent_ids == ("0",)
        assert closed.poll is not None
        assert closed.poll.is_closed
        # Parse the raw JSON too, as Application does with each update.
        _, raw = await call(http, emu, "getUpdates")
        parsed = [telegram.Update.de_json(item, bot) for item in raw["result"]]
        assert parsed == list(updates)
        assert await press.callback_query.answer("OK")
        assert amelie.callback_answers == ["OK"]
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert emu.pending_updates() == 0


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_sees_retry_after_forbidden_and_bad_request(emu: Emulator, amelie: SimulatedUser) -> None:
    emu.limits.per_chat_burst = 1
    async with ptb_bot(emu) as bot:
        await bot.send_message(amelie.id, "one")
        with pytest.raises(telegram.error.RetryAfter, match="Retry in 1 seconds"):
            await bot.send_message(amelie.id, "two")
        amelie.block()
        with pytest.raises(telegram.error.Forbidden, match="blocked"):
            await bot.send_message(amelie.id, "three")
        with pytest.raises(telegram.error.BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(424242, "x")


async def test_ptb_application_polls_and_answers(emu: Emulator, amelie: SimulatedUser) -> None:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Hello {context.args}")

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{emu.url}/bot")
        .base_file_url(f"{emu.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(timeout=5)
        await application.start()
        await amelie.send_text("/start abc")
        messages = await amelie.wait_for_messages(1, timeout=5)
        await application.updater.stop()
        await application.stop()
    assert messages[0].text == "Hello ['abc']"
    assert "deleteWebhook" in [call.method for call in emu.calls]
    assert emu.pending_updates() == 0


# -- composition --------------------------------------------------------------------------------


async def test_serve_forever_prints_its_url_and_stops_when_cancelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    task = asyncio.create_task(serve_forever("127.0.0.1", 0, TOKEN, "assembly_test_bot"))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if "http://127.0.0.1:" in capsys.readouterr().out:
            break
    else:
        pytest.fail("serve_forever printed no URL")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_invalid_token_and_error_body() -> None:
    with pytest.raises(ValueError, match="token"):
        Emulator(token="not-a-token")
    error = TelegramApiError(429, "Too Many Requests: retry after 2", retry_after=2)
    assert error.body()["parameters"] == {"retry_after": 2}
