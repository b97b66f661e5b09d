"""Announcements: an organiser's translated message queued in the outbox for confirmed participants."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.store import announcements, outbox
from bot.store.database import Database
from bot.store.participants import ensure_assembly
from flows.actions import SendMessage, split_text
from flows.assembly import Assembly


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
        people = await announcements.audience(session, assembly.id, session_key)
        if people is None:
            raise AnnouncementError(f"no session '{session_key}' in assembly {assembly.id}")
        announcement = await announcements.record(session, assembly.id, session_key, len(people))
        for person in people:
            text = texts.get(person.language) or texts[assembly.fallback_language]
            messages = [SendMessage(person.chat_id, part) for part in split_text(text)]
            outbox.enqueue(session, assembly.id, person.chat_id, messages, topic=topic(announcement))
        return announcement, len(people)


async def progress(db: Database, assembly_id: str, announcement_id: int) -> dict[str, int]:
    """Messages of the announcement by outbox status (pending, sent, failed, blocked)."""
    async with db.transaction() as session:
        return await outbox.topic_progress(session, assembly_id, topic(announcement_id))
