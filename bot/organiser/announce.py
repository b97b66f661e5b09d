"""Announcements: an organiser's translated message queued in the outbox for confirmed participants."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from bot.store import outbox
from bot.store.database import Database
from bot.store.models import AnnouncementRow, ParticipantRow, RsvpRow
from bot.store.participants import ensure_assembly
from bot.store.sessions import reachable_confirmed, session_row
from flows.actions import SendMessage, split_text
from flows.assembly import Assembly
from flows.sessions.rsvp import ABSENT


class AnnouncementError(Exception):
    """A problem with the texts file or the audience, said in one line for the organiser."""


def load_texts(path: Path, assembly: Assembly) -> dict[str, str]:
    """The texts file: one text per offered language (`fr: ...`, `nl: ...`), none empty."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnnouncementError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise AnnouncementError(f"{path}: cannot read it ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise AnnouncementError(f"{path}: expected one text per language, e.g. 'fr: Bonjour ...'")
    texts = {str(code): str(text).strip() for code, text in data.items() if text is not None}
    unknown = sorted(set(texts) - set(assembly.languages))
    if unknown:
        raise AnnouncementError(f"{path}: {', '.join(unknown)} is not a language of the assembly")
    missing = [code for code in assembly.languages if not texts.get(code)]
    if missing:
        raise AnnouncementError(f"{path}: no text for {', '.join(missing)}")
    return texts


def topic(announcement_id: int) -> str:
    return f"announcement:{announcement_id}"


async def queue_announcement(
    db: Database, assembly: Assembly, texts: dict[str, str], session_key: str | None = None
) -> tuple[int, int]:
    """Queue the announcement for every reachable confirmed participant (of one session: all but
    those who said they cannot come); returns (announcement id, recipients). One transaction."""
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        query = reachable_confirmed(assembly.id)
        if session_key is not None:
            row = await session_row(session, assembly.id, session_key)
            if row is None:
                raise AnnouncementError(f"no session '{session_key}' in assembly {assembly.id}")
            absent = select(RsvpRow.participant_id).where(
                RsvpRow.session_id == row.id, RsvpRow.answer == ABSENT
            )
            query = query.where(ParticipantRow.id.not_in(absent))
        people = list((await session.execute(query)).scalars())
        announcement = AnnouncementRow(
            assembly_id=assembly.id, session_key=session_key, recipients=len(people)
        )
        session.add(announcement)
        await session.flush()
        for person in people:
            text = texts.get(person.language) or texts[assembly.fallback_language]
            messages = [SendMessage(person.chat_id, part) for part in split_text(text)]
            outbox.enqueue(session, person.chat_id, messages, topic=topic(announcement.id))
        return announcement.id, len(people)


async def progress(db: Database, announcement_id: int) -> dict[str, int]:
    """Messages of the announcement by outbox status (pending, sent, failed, blocked)."""
    async with db.transaction() as session:
        return await outbox.topic_progress(session, topic(announcement_id))
