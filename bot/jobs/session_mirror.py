"""The definition's sessions mirrored into the store, and the notices a change calls for.

A session's revision goes up when its times change, which withdraws reminders still waiting in the
outbox; the reminder job then plans new ones with the new time. Confirmed participants are told of
moves and cancellations of sessions still to come, once: a restart finds nothing changed.

Only `sync_sessions` applies changes that message people, and only the running bot at start-up and
`assembly-bot sessions sync` call it; other organiser commands add sessions new to the definition
(`add_new_sessions`) and read-only ones write nothing. Only `cancelled: true` cancels: a session
missing from the definition (a file cut short, a key given twice) is left as it is, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial

from bot.jobs.recipients import build_each, chat_of
from bot.store import outbox, reminders, sessions
from bot.store.database import Session
from bot.store.sessions import SessionRecord
from flows.actions import SendMessage
from flows.assembly import Assembly
from flows.assembly import Session as Definition
from flows.ports import Participant, Translations, Translator
from flows.sessions.notices import cancelled_notice, moved_notice

log = logging.getLogger(__name__)


async def _tell(
    session: Session,
    assembly: Assembly,
    translations: Translations,
    topic: str,
    make: Callable[[Translator, int], SendMessage],
) -> int:
    people = await sessions.confirmed_recipients(session, assembly.id)

    def build(person: Participant) -> SendMessage:
        return make(translations.for_language(person.language), person.chat_id)

    built = build_each(session, people, build, assembly_id=assembly.id, chat=chat_of, topic=topic)
    for person, message in built:
        outbox.enqueue(session, assembly.id, person.chat_id, [message], topic=topic)
    return len(built)


def _cancelled(
    assembly: Assembly, title: dict[str, str], starts: datetime, tr: Translator, chat: int
) -> SendMessage:
    return cancelled_notice(tr, assembly.text(title, tr.language), starts, chat)


def _moved(assembly: Assembly, definition: Definition, tr: Translator, chat: int) -> SendMessage:
    return moved_notice(tr, assembly, definition, chat)


async def sync_sessions(
    session: Session, assembly: Assembly, translations: Translations, now: datetime
) -> int:
    """Mirror the definition's sessions into the store; tell confirmed participants of moves and
    cancellations of sessions still to come. Returns how many notices were queued."""
    stored = {record.key: record for record in await sessions.session_rows(session, assembly.id)}
    notices = 0
    for definition in assembly.sessions:
        starts, ends = assembly.start_of(definition), assembly.end_of(definition)
        record = stored.pop(definition.id, None)
        if record is None:
            await _add(session, assembly, definition, now)
            continue
        await sessions.retitle(session, record.id, definition.title)
        if definition.cancelled:
            retitled = replace(record, title=dict(definition.title))
            notices += await _cancel(session, assembly, translations, retitled, now)
            continue
        if record.starts_at != starts or record.ends_at != ends or record.cancelled_at is not None:
            await sessions.reschedule(session, record.id, starts, ends)
            await reminders.withdraw(session, record.id, "session moved")
            if ends > now:
                notices += await _tell(
                    session,
                    assembly,
                    translations,
                    f"session:{record.key}",
                    partial(_moved, assembly, definition),
                )
    for record in stored.values():
        if record.cancelled_at is None:
            log.warning(
                "session '%s' is in the store but not in the definition: left as it is "
                "(set `cancelled: true` on it to cancel it and tell its participants)",
                record.key,
            )
    return notices


async def add_new_sessions(session: Session, assembly: Assembly, now: datetime) -> int:
    """Store the definition's sessions the store does not know yet, telling nobody (nobody can have
    been told of them); changes to known sessions wait for the bot or `sessions sync`."""
    known = {record.key for record in await sessions.session_rows(session, assembly.id)}
    added = [definition for definition in assembly.sessions if definition.id not in known]
    for definition in added:
        await _add(session, assembly, definition, now)
    return len(added)


async def _add(session: Session, assembly: Assembly, definition: Definition, now: datetime) -> None:
    await sessions.add_session(
        session,
        assembly.id,
        definition.id,
        title=definition.title,
        starts=assembly.start_of(definition),
        ends=assembly.end_of(definition),
        cancelled_at=now if definition.cancelled else None,
    )


async def _cancel(
    session: Session,
    assembly: Assembly,
    translations: Translations,
    record: SessionRecord,
    now: datetime,
) -> int:
    """Cancel a session once: withdraw its waiting reminders and tell people if it was still to come."""
    if record.cancelled_at is not None:
        return 0
    await sessions.cancel(session, record.id, now)
    await reminders.withdraw(session, record.id, "session cancelled")
    if record.starts_at <= now:
        return 0
    notice = partial(_cancelled, assembly, record.title, record.starts_at)
    return await _tell(session, assembly, translations, f"session:{record.key}", notice)
