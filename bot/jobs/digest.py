"""The daily digest job: figures once from SQL, then each organiser's copy in their language (outbox)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from bot.store import outbox
from bot.store.database import Database
from bot.store.models import DigestRow, ParticipantRow, RoleRow
from bot.store.read.digest import digest_data
from flows.assembly import Assembly
from flows.digest.command import configured_recipients, digest_actions
from flows.ports import ORGANISER, Charts, Translations

log = logging.getLogger(__name__)

TOPIC = "digest"


async def send_digests(
    db: Database, assembly: Assembly, translations: Translations, charts: Charts, now: datetime
) -> int:
    """Queue the digest for every organiser and record it (the next one counts from now); returns recipients.

    An organiser who has talked to the bot gets it in their chosen language and chat; one who has
    not yet gets it in the fallback language in the private chat of their user id.
    """
    async with db.transaction() as session:
        holders = (
            select(ParticipantRow.telegram_user_id)
            .join(RoleRow, RoleRow.participant_id == ParticipantRow.id)
            .where(RoleRow.role == ORGANISER, ParticipantRow.assembly_id == assembly.id)
        )
        recipients = sorted(configured_recipients(assembly) | set((await session.execute(holders)).scalars()))
        if not recipients:
            return 0
        data = await digest_data(session, assembly.id, now)
        known = {
            user: (chat, language)
            for user, chat, language in (
                await session.execute(
                    select(
                        ParticipantRow.telegram_user_id, ParticipantRow.chat_id, ParticipantRow.language
                    ).where(ParticipantRow.telegram_user_id.in_(recipients))
                )
            ).tuples()
        }
        for user in recipients:
            chat, language = known.get(user, (user, assembly.fallback_language))
            tr = translations.for_language(language)
            outbox.enqueue(session, chat, digest_actions(assembly, tr, charts, data, chat), topic=TOPIC)
        session.add(DigestRow(assembly_id=assembly.id, created_at=now, recipients=len(recipients)))
    log.info("digest queued for %d organisers", len(recipients))
    return len(recipients)


class DigestJob:
    """The scheduler's `daily` job: queue the digests, then wake the sender."""

    def __init__(
        self,
        db: Database,
        assembly: Assembly,
        translations: Translations,
        charts: Charts,
        wake: Callable[[], None],
    ) -> None:
        self.db, self.assembly, self.translations, self.charts, self.wake = (
            db,
            assembly,
            translations,
            charts,
            wake,
        )

    async def __call__(self, now: datetime) -> None:
        if await send_digests(self.db, self.assembly, self.translations, self.charts, now):
            self.wake()
