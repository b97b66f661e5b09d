"""Voice notes, photos, stickers and locations where text is expected get a clear answer and the step
stays open; blanks are no answer; a session is rated only once it has ended."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiogram.types import Update as AiogramUpdate
from conftest import FlowHarness, add_confirmed, mirror_sessions
from polls_room import PEOPLE, S1_START, check_in
from sqlalchemy import select
from telegram import Update as PtbUpdate

from bot.store.models import FeedbackCommentRow, FeedbackRatingRow, RsvpRow
from bot.telegram.inbound import to_event
from flows.actions import AnswerButton, SendMessage
from flows.events import Media, Text

MEDIA_EN = (
    "I can only read text: not voice messages, photos, stickers, files or locations. "
    "Please write your message as text."
)
USER = {"id": 42, "is_bot": False, "first_name": "Ana", "language_code": "nl"}
CONTENT: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "voice": {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
    "photo": {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 90, "height": 90}], "caption": "hi"},
    "location": {"location": {"latitude": 50.85, "longitude": 4.35}},
}


def _texts(actions: tuple[object, ...]) -> list[str]:
    return [a.text for a in actions if isinstance(a, SendMessage)]


def _update(content: dict[str, Any]) -> dict[str, Any]:
    message = {"message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"}, "from": USER, **content}
    return {"update_id": 1, "message": message}


@pytest.mark.parametrize("kind", list(CONTENT))
def test_non_text_messages_become_media_events_on_both_frameworks(kind: str) -> None:
    data = _update(CONTENT[kind])
    for update in (AiogramUpdate.model_validate(data), PtbUpdate.de_json(data, None)):
        found = to_event(update)  # type: ignore[arg-type]
        assert found is not None
        assert found[1] == Media(found[1].sender, kind)


def test_a_service_message_needs_no_answer() -> None:
    pinned = {"pinned_message": {"message_id": 4, "date": 0, "chat": {"id": 42, "type": "private"}}}
    data = _update(pinned)
    assert to_event(AiogramUpdate.model_validate(data)) is None  # type: ignore[arg-type]
    assert to_event(PtbUpdate.de_json(data, None)) is None  # type: ignore[arg-type]


async def test_a_sticker_or_blanks_are_no_rsvp_reason_and_the_question_stays_open(flow: FlowHarness) -> None:
    await mirror_sessions(flow.db, flow.kit.assembly, flow.clock.now())
    await add_confirmed(flow.db, flow.kit.assembly, 730, "en")
    member = flow.sender(730, "en")
    await flow.send(flow.press(member, "rsvp:s2:no"))
    assert _texts(await flow.send(Media(member, "sticker"))) == [MEDIA_EN]
    assert _texts(await flow.send(Text(member, "  \n "))) == [
        "Please write your reason as text in one message, or press Skip."
    ]
    assert _texts(await flow.send(Text(member, " I am abroad that week "))) == [
        "Thank you, we have noted your reason."
    ]
    async with flow.db.transaction() as session:
        (row,) = (await session.execute(select(RsvpRow))).scalars()
    assert (row.answer, row.reason) == ("absent", "I am abroad that week")


async def test_a_voice_note_as_the_comment_keeps_the_step_and_ratings_wait_for_the_end(
    flow: FlowHarness,
) -> None:
    assembly = flow.kit.assembly
    await mirror_sessions(flow.db, assembly, flow.clock.now())
    flow.clock.set(S1_START + timedelta(minutes=10))
    await check_in(flow.db, assembly, PEOPLE[:1])
    member = flow.sender(PEOPLE[0][0], None)  # French
    early = await flow.send(flow.press(member, "fb:s1:0:5"))
    assert [a.text for a in early if isinstance(a, AnswerButton)] == [
        "Vous pourrez évaluer cette session une fois qu'elle sera terminée. Merci de votre patience !"
    ]
    flow.clock.set(S1_START + timedelta(hours=8))
    await flow.send(flow.press(member, "fb:s1:0:4"))
    asked = await flow.send(flow.press(member, "fb:s1:1:2"))
    assert _texts(asked)
    for kind in ("voice", "photo", "sticker", "location"):
        (answer,) = _texts(await flow.send(Media(member, kind)))
        assert answer.startswith("Je ne peux lire que du texte")
    assert _texts(await flow.send(Text(member, " "))) == [
        "Écrivez votre commentaire sous forme de texte, en un seul message, ou appuyez sur Passer."
    ]
    assert _texts(await flow.send(Text(member, "Très bien organisé, merci."))) == ["Merci pour votre avis !"]
    async with flow.db.transaction() as session:
        comments = [row.text for row in (await session.execute(select(FeedbackCommentRow))).scalars()]
        ratings = sorted(row.value for row in (await session.execute(select(FeedbackRatingRow))).scalars())
    assert comments == ["Très bien organisé, merci."]
    assert ratings == [2, 4]  # the early 5 was not kept


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 2, "edited_message": {**_update({"text": "hi"})["message"], "edit_date": 1}},
        {
            "update_id": 3,
            "message": {**_update({"text": "hi"})["message"], "chat": {"id": -5, "type": "group"}},
        },
        {
            "update_id": 4,
            "my_chat_member": {
                "chat": {"id": 42, "type": "private"},
                "from": USER,
                "date": 0,
                "old_chat_member": {"status": "member", "user": USER},
                "new_chat_member": {"status": "kicked", "user": USER, "until_date": 0},
            },
        },
    ],
)
def test_update_kinds_the_bot_ignores_carry_no_event(update: dict[str, Any]) -> None:
    assert to_event(AiogramUpdate.model_validate(update)) is None  # type: ignore[arg-type]
    assert to_event(PtbUpdate.de_json(update, None)) is None  # type: ignore[arg-type]
