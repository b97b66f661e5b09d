"""The daily digest job: figures once from SQL, then each organiser's copy in their language (outbox)."""

from __future__ import annotations

import logging
from datetime import datetime
from operator import itemgetter

from bot.jobs.recipients import build_each
from bot.store import audit, digest_log, outbox
from bot.store.database import Database
from bot.store.read.digest import digest_data
from flows.actions import Action
from flows.assembly import Assembly
from flows.digest.command import configured_recipients, digest_actions
from flows.ports import Charts, Translations

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
        holders = await digest_log.organisers(session, assembly.id)
        recipients = sorted(configured_recipients(assembly) | holders)
        if not recipients:
            return 0
        data = await digest_data(session, assembly.id, now)
        known = {
            person.user_id: (person.chat_id, person.language)
            for person in await digest_log.known_users(session, assembly.id, recipients)
        }
        addressed = [known.get(user, (user, assembly.fallback_language)) for user in recipients]

        def build(recipient: tuple[int, str]) -> list[Action]:
            chat, language = recipient
            return digest_actions(assembly, translations.for_language(language), charts, data, chat)

        for (chat, _), actions in build_each(
            session, addressed, build, assembly_id=assembly.id, chat=itemgetter(0), topic=TOPIC
        ):
            outbox.enqueue(session, assembly.id, chat, actions, topic=TOPIC)
        digest_log.record(session, assembly.id, now, len(recipients))
        await audit.record(session, assembly.id, "digest_sent", actor=audit.BOT, recipients=len(recipients))
    log.info("digest queued for %d organisers", len(recipients))
    return len(recipients)
