"""No reply exceeds a Bot API limit: the message builders clip, split and refuse by construction, and
the flows shorten what they echo and split long lists instead of losing them."""

from __future__ import annotations

import pytest
from conftest import FlowHarness
from hypothesis import given, settings
from hypothesis import strategies as st
from polls_room import close, open_room, room_assembly, start, texts

from bot.store.database import Database
from flows.actions import (
    MAX_BUTTONS,
    MAX_CAPTION,
    MAX_NOTICE,
    MAX_POLL_OPTION,
    MAX_POLL_QUESTION,
    MAX_TEXT,
    AnswerButton,
    Button,
    EditMessage,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendPoll,
    clip,
    rows,
    split_text,
    units,
)
from flows.assembly import Assembly
from flows.events import Command, Text

LONG = st.text(max_size=40) | st.builds(
    lambda chunk, times: chunk * times, st.text(max_size=12), st.integers(0, 900)
)
"""Short texts of any character, and long ones (up to about 10,000) built from a repeated chunk."""


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=LONG, caption=LONG)
def test_every_builder_keeps_within_the_limits(text: str, caption: str) -> None:
    assert units(SendMessage(1, text).text) <= MAX_TEXT
    assert units(EditMessage(1, 2, text).text) <= MAX_TEXT
    assert units(AnswerButton("q", text).text) <= MAX_NOTICE
    assert units(SendPhoto(1, b"", caption=caption).caption) <= MAX_CAPTION
    assert units(SendDocument(1, b"", caption=caption).caption) <= MAX_CAPTION
    poll = SendPoll(1, text or "?", (caption or "a", text or "b"))
    assert units(poll.question) <= MAX_POLL_QUESTION
    assert all(units(option) <= MAX_POLL_OPTION for option in poll.options)
    if units(text) <= MAX_TEXT:
        assert SendMessage(1, text).text == text  # what fits is never touched
    else:
        assert SendMessage(1, text).text.endswith("…")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=LONG, limit=st.integers(50, MAX_TEXT))
def test_split_text_keeps_every_word_within_the_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < units(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_clip_cuts_at_a_whole_character() -> None:
    assert clip("😀" * 3, 5) == "😀😀…"
    assert clip("abc", 3) == "abc"


def test_keyboards_larger_than_telegram_shows_are_refused() -> None:
    many = [Button(str(i), f"x:{i}") for i in range(MAX_BUTTONS + 1)]
    with pytest.raises(ValueError, match="at most"):
        SendMessage(1, "t", buttons=rows(*many))
    with pytest.raises(ValueError, match="at most"):
        SendMessage(1, "t", buttons=(tuple(many[:9]),))
    with pytest.raises(ValueError, match="64"):
        Button("x", "x" * 65)


async def test_a_very_long_unknown_command_is_answered_within_the_limit(flow: FlowHarness) -> None:
    person = flow.sender(600, "en")
    (reply,) = await flow.send(Command(person, "x" * 4060, ""))
    assert isinstance(reply, SendMessage)
    assert units(reply.text) <= MAX_TEXT
    assert reply.text.startswith("I don't know the command /xxx")
    assert reply.text.endswith("…. Type /help to see what I can do.")


async def test_long_open_answers_are_all_in_the_results_in_several_messages(
    db: Database, assembly: Assembly
) -> None:
    room = FlowHarness(db, room_assembly(assembly))
    await room.prepare()
    facilitator, _, people = await open_room(room)
    poll, _ = await start(room, facilitator, "ideas")
    answers = {}
    for number, person in enumerate(people):
        await room.send(room.press(person, f"pv:{poll}:t"))
        answers[person.user_id] = f"{number} " + "idée " * 198  # about 1,000 characters each
        await room.send(Text(person, answers[person.user_id]))
    shown = texts(await close(room, facilitator, poll), facilitator.chat_id)
    assert len(shown) > 1
    assert all(units(text) <= MAX_TEXT for text in shown)
    joined = " ".join(" ".join(shown).split())
    for answer in answers.values():
        assert " ".join(answer.split()) in joined
