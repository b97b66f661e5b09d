"""The reminder job and session mirroring on real SQLite and PostgreSQL stores, with time set by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import ManualClock, add_confirmed, mirror_sessions
from sqlalchemy import select, update

from bot.bootstrap import build_kit
from bot.jobs.reminders import ReminderJob
from bot.jobs.session_mirror import sync_sessions
from bot.store.database import Database
from bot.store.models import OutboxMessage, ParticipantRow, ReminderDelivery
from bot.store.participants import ensure_assembly
from bot.store.reminders import QUEUED, SKIPPED, STALE
from bot.store.sessions import session_rows
from flows.assembly import Assembly

pytestmark = pytest.mark.both_backends  # the reminder job's queries compare stored times

S1_START = datetime(2027, 3, 6, 8, 30, tzinfo=UTC)  # 09:30 in Brussels (CET)


def _job(db: Database, assembly: Assembly) -> tuple[ReminderJob, list[int]]:
    wakes: list[int] = []
    job = ReminderJob(db, assembly, build_kit(assembly).translations, lambda: wakes.append(1), batch=2)
    return job, wakes


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def _deliveries(db: Database) -> list[ReminderDelivery]:
    async with db.transaction() as session:
        query = select(ReminderDelivery).order_by(ReminderDelivery.participant_id, ReminderDelivery.id)
        return list((await session.execute(query)).scalars())


def _only_first_session(assembly: Assembly) -> Assembly:
    return assembly.model_copy(update={"sessions": assembly.sessions[:1]})


async def test_due_reminder_goes_once_to_each_confirmed_participant_in_their_language(
    db: Database, assembly: Assembly
) -> None:
    assembly = _only_first_session(assembly)
    people = [await add_confirmed(db, assembly, 100 + i, lang) for i, lang in enumerate(["fr", "nl", "ar"])]
    await add_confirmed(db, assembly, 200, "de")
    async with db.transaction() as session:  # registered but not confirmed: no reminder
        await session.execute(
            update(ParticipantRow).where(ParticipantRow.telegram_user_id == 200).values(status="registered")
        )
    assert await mirror_sessions(db, assembly, S1_START - timedelta(days=30)) == 0
    job, wakes = _job(db, assembly)
    now = S1_START - timedelta(days=1) + timedelta(minutes=1)
    await job(now)
    await job(now)  # a second run (or a restart) plans nothing more

    rows = await _outbox(db)
    assert [r.chat_id for r in rows] == [p.chat_id for p in people]
    french, dutch, arabic = (r.payload["text"] for r in rows)
    assert french.splitlines()[:3] == [
        "🔔 Rappel : Séance 1 : faire connaissance et comprendre le climat",
        "samedi 6 mars 2027, de 09:30 à 16:30",
        "📍 Parlement bruxellois, rue du Lombard 69, 1000 Bruxelles (entrée par la rue du Lombard)",
    ]
    assert dutch.splitlines()[1] == "zaterdag 6 maart 2027, van 09:30 tot 16:30"
    assert "السبت، 6 مارس 2027" in arabic.splitlines()[1]
    assert [b["data"] for b in rows[0].payload["buttons"][0]] == ["rsvp:s1:yes", "rsvp:s1:no"]
    assert {r.topic for r in rows} == {"reminder:s1"}

    deliveries = await _deliveries(db)
    by_offset = {(d.participant_id, d.offset_minutes): d.status for d in deliveries}
    for person in people:  # the 7-day reminder fell due six days ago: far past the grace period
        assert by_offset[(person.id, 7 * 24 * 60)] == SKIPPED
        assert by_offset[(person.id, 24 * 60)] == QUEUED
    assert len(deliveries) == 6
    assert wakes, "the sender is woken after each batch"


async def test_grace_period_decides_between_late_and_skipped(db: Database, assembly: Assembly) -> None:
    assembly = _only_first_session(assembly)
    person = await add_confirmed(db, assembly, 300, "en")
    await mirror_sessions(db, assembly, S1_START - timedelta(days=30))
    job, _ = _job(db, assembly)
    await job(S1_START - timedelta(hours=2) + timedelta(hours=1))  # the 2-hour reminder, one hour late
    statuses = {d.offset_minutes: d.status for d in await _deliveries(db)}
    assert statuses == {7 * 24 * 60: SKIPPED, 24 * 60: SKIPPED, 120: QUEUED}
    (message,) = await _outbox(db)
    assert message.chat_id == person.chat_id
    assert "Saturday, March 6, 2027, from 9:30 to 16:30" in message.payload["text"]  # as the question says


async def test_reminder_still_waiting_past_its_grace_period_is_withdrawn(
    db: Database, assembly: Assembly
) -> None:
    assembly = _only_first_session(assembly)
    await add_confirmed(db, assembly, 301, "en")
    await mirror_sessions(db, assembly, S1_START - timedelta(days=30))
    job, _ = _job(db, assembly)
    due = S1_START - timedelta(days=7)
    await job(due)
    (waiting,) = await _outbox(db)
    assert waiting.status == "pending"
    await job(due + timedelta(hours=3, minutes=1))  # the bot (or its sender) was down too long
    (withdrawn,) = await _outbox(db)
    assert (withdrawn.status, withdrawn.last_error) == ("cancelled", "reminder past its grace period")
    assert [d.status for d in await _deliveries(db)] == [SKIPPED]


async def test_moved_session_withdraws_old_reminders_tells_people_and_reminds_with_new_time(
    db: Database, assembly: Assembly
) -> None:
    assembly = _only_first_session(assembly)
    await add_confirmed(db, assembly, 400, "de")
    clock = ManualClock(S1_START - timedelta(days=7))
    await mirror_sessions(db, assembly, clock.now())
    job, _ = _job(db, assembly)
    await job(clock.now())
    (old_reminder,) = await _outbox(db)
    assert "Samstag, 6. März 2027" in old_reminder.payload["text"]

    first = assembly.sessions[0]
    moved = assembly.model_copy(
        update={
            "sessions": [
                first.model_copy(
                    update={"starts": datetime(2027, 3, 13, 10, 0), "ends": datetime(2027, 3, 13, 17, 0)}
                )
            ]
        }
    )
    assert await mirror_sessions(db, moved, clock.now()) == 1
    assert await mirror_sessions(db, moved, clock.now()) == 0, "a restart does not tell them again"
    old, notice = await _outbox(db)
    assert (old.status, old.last_error) == ("cancelled", "session moved")
    assert notice.payload["text"].splitlines()[:2] == [
        "📅 Terminänderung für Sitzung 1: Kennenlernen und das Klima verstehen. Der neue Termin:",
        "Samstag, 13. März 2027, von 10:00 bis 17:00",
    ]
    assert [d.status for d in await _deliveries(db)] == [STALE]

    job, _ = _job(db, moved)
    await job(clock.now())  # one week before the OLD time: nothing is due for the new one
    assert len(await _outbox(db)) == 2
    await job(datetime(2027, 3, 6, 9, 0, tzinfo=UTC))
    fresh = (await _outbox(db))[-1]
    assert "Samstag, 13. März 2027, von 10:00 bis 17:00" in fresh.payload["text"]
    assert fresh.status == "pending"


async def test_cancelled_session_is_announced_and_never_reminded_and_a_removed_one_is_not_cancelled(
    db: Database, assembly: Assembly
) -> None:
    """Only `cancelled: true` cancels: a session missing from the definition stays as it was."""
    two = assembly.model_copy(update={"sessions": assembly.sessions[:2]})
    await add_confirmed(db, two, 500, "nl")
    now = S1_START - timedelta(days=10)
    await mirror_sessions(db, two, now)
    first = two.sessions[0]
    cancelled = two.model_copy(update={"sessions": [first.model_copy(update={"cancelled": True})]})
    assert await mirror_sessions(db, cancelled, now) == 1  # s1 cancelled, s2 left out but kept
    texts = [r.payload["text"] for r in await _outbox(db)]
    assert texts == [
        "❌ Sessie 1: kennismaken en het klimaat begrijpen, gepland op zaterdag 6 maart 2027, "
        "gaat niet door. We houden je op de hoogte.",
    ]
    async with db.transaction() as session:
        rows = await session_rows(session, assembly.id)
    assert [(r.key, r.cancelled_at is not None) for r in rows] == [("s1", True), ("s2", False)]
    job, _ = _job(db, cancelled)
    await job(S1_START - timedelta(hours=1))
    assert len(await _outbox(db)) == 1
    assert await _deliveries(db) == []


async def test_blocked_participant_is_not_reminded(db: Database, assembly: Assembly) -> None:
    assembly = _only_first_session(assembly)
    reachable = await add_confirmed(db, assembly, 600, "fr")
    blocked = await add_confirmed(db, assembly, 601, "fr")
    async with db.transaction() as session:
        (await session.get_one(ParticipantRow, blocked.id)).blocked_at = S1_START - timedelta(days=20)
    await mirror_sessions(db, assembly, S1_START - timedelta(days=30))
    job, _ = _job(db, assembly)
    await job(S1_START - timedelta(hours=2))
    assert {r.chat_id for r in await _outbox(db)} == {reachable.chat_id}


async def test_sync_gives_each_session_a_distinct_checkin_code(db: Database, assembly: Assembly) -> None:
    kit = build_kit(assembly)
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        await sync_sessions(session, assembly, kit.translations, S1_START)
    async with db.transaction() as session:
        rows = await session_rows(session, assembly.id)
    codes = [r.checkin_code for r in rows]
    assert [r.key for r in rows] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert len(set(codes)) == 6
    assert all(len(c) == 6 and c.isalnum() and c.isupper() for c in codes)
