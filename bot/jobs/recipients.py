"""Per-recipient isolation for the batch jobs (reminders, notices, feedback, the digest): a message
that cannot be built for one person is logged and marked, and never costs the others theirs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from bot.store import outbox
from bot.store.database import Session
from flows.ports import Participant

log = logging.getLogger(__name__)

PersonT = TypeVar("PersonT")
MessageT = TypeVar("MessageT")


def chat_of(person: Participant) -> int:
    return person.chat_id


def build_each(
    session: Session,
    people: Iterable[PersonT],
    build: Callable[[PersonT], MessageT],
    *,
    assembly_id: str,
    chat: Callable[[PersonT], int],
    topic: str,
) -> list[tuple[PersonT, MessageT]]:
    """`build(person)` for each person; one that raises is logged (by chat id, never what they typed)
    and recorded as a failed outbox row under `topic`, and the others are built all the same."""
    built: list[tuple[PersonT, MessageT]] = []
    for person in people:
        try:
            built.append((person, build(person)))
        except Exception as error:
            log.exception(
                "%s: the message for chat %s could not be built; the others still get theirs",
                topic,
                chat(person),
            )
            outbox.record_unbuilt(
                session, assembly_id, chat(person), topic, f"not built: {type(error).__name__}: {error}"
            )
    return built
