"""PTB's calls go over aiohttp (`AiohttpRequest`): what people receive, and the errors PTB raises,
are those of PTB's own transport, uploads included."""

from __future__ import annotations

import socket

import pytest
from conftest import TOKEN
from telegram import Bot
from telegram.error import BadRequest, NetworkError

from bot.emulator import Emulator
from bot.telegram.ptb_request import AiohttpRequest


def _bot(url: str) -> Bot:
    base = url.rstrip("/")
    return Bot(TOKEN, base_url=base + "/bot", base_file_url=base + "/file/bot", request=AiohttpRequest(4))


async def test_messages_and_uploads_arrive_as_sent(emulator: Emulator) -> None:
    person = emulator.user(720, "Lina")
    async with _bot(emulator.url) as bot:
        await bot.send_message(person.id, "Bonjour, Lina · مرحبا")
        await bot.send_document(person.id, b"name;votes\nA;3\n", filename="results.csv", caption="Résultats")
    text, upload = person.messages
    assert text.text == "Bonjour, Lina · مرحبا"
    assert (upload.document, upload.document_name, upload.caption) == (
        b"name;votes\nA;3\n",
        "results.csv",
        "Résultats",
    )


async def test_a_refused_call_raises_ptbs_own_error(emulator: Emulator) -> None:
    person = emulator.user(721, "Omar")
    async with _bot(emulator.url) as bot:
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("Never sent", chat_id=person.id, message_id=999_999)


async def test_an_unreachable_api_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = _bot(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(NetworkError):
            await bot.get_me()
    finally:
        await bot.request.shutdown()  # Bot.shutdown() skips a bot never initialised
