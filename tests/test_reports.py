"""Report views and the digest on SQLite and PostgreSQL: their numbers match the rows they summarise."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FlowHarness, mirror_sessions
from polls_room import close, invite, open_room, room_assembly, start
from recount import expected_strata
from sqlalchemy import func, select, text

from bot.adapters.charts import BarCharts
from bot.adapters.i18n import Catalogs
from bot.jobs.digest import send_digests
from bot.store import audit, outbox
from bot.store.database import Database
from bot.store.models import DigestRow, OutboxMessage, ParticipantRow, PollRecipientRow
from bot.store.participants import SqlStore, ensure_assembly
from bot.store.quotas import sync_quotas
from bot.store.read.digest import digest_data
from flows.actions import SendDocument, SendMessage, SendPhoto
from flows.assembly import Assembly
from flows.digest.figures import DigestData, PollFigures
from flows.digest.render import POLL_LINES, csv_rows, digest_text
from flows.events import Command
from flows.ports import Presence
from flows.status import ParticipantStatus

T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)  # after session s1, before s2
ORGANISER = 100_000_001
LATER = [ParticipantStatus.CONFIRMED, ParticipantStatus.SELECTED, ParticipantStatus.DECLINED]
CONFIRMED = len([n for n in range(60) if n % 10 != 9 and n % 3 and n % 4 % 3 == 0])


async def populate(db: Database, assembly: Assembly, size: int = 60, first_user: int = 20_000) -> None:
    """Registrations, statuses, RSVPs, check-ins and delivery problems, through the store's own functions."""
    rng = random.Random(size)
    reg = assembly.registration
    assert reg is not None
    await mirror_sessions(db, assembly, T0)
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        await sync_quotas(session, assembly)
        store = SqlStore(session, assembly.id)
        for n in range(size):
            person = await store.add_participant(
                first_user + n, first_user + n, rng.choice(assembly.languages)
            )
            for question in reg.features:
                await store.registrations.save_answer(person.id, question.id, rng.choice(question.values), T0)
            if n % 10 == 9:  # questionnaire under way: answers stored, not counted as registered
                await store.registrations.set_status(person.id, ParticipantStatus.REGISTERING, T0)
                continue
            await store.registrations.set_status(
                person.id, ParticipantStatus.REGISTERED, T0 + timedelta(hours=n)
            )
            if n % 3:
                await store.registrations.set_status(person.id, LATER[n % 4 % 3], T0 + timedelta(days=3))
            if n % 4 == 1:
                answer = "coming" if n % 8 == 1 else "absent"
                await store.sessions.set_rsvp(person.id, "s2", answer, T0)
            if n % 5 == 0:
                late = n % 10 == 0
                await store.sessions.check_in(person.id, "s1", Presence(T0, late, "code"))
        await outbox.mark_blocked(
            session, assembly.id, first_user + 3, "Forbidden: bot was blocked by the user"
        )
        failed = outbox.enqueue(
            session, assembly.id, first_user + 4, [SendMessage(first_user + 4, "reminder")]
        )
        await session.flush()
        await outbox.mark_failed(session, failed[0].id, "Bad Request: chat not found")


@pytest.mark.both_backends
async def test_views_match_the_rows(db: Database, assembly: Assembly) -> None:
    await populate(db, assembly)
    expected = await expected_strata(db, assembly)
    async with db.transaction() as session:
        strata = (
            await session.execute(
                text("SELECT feature, value, registered, confirmed, min_seats, gap FROM report_strata")
            )
        ).all()
        statuses = dict(
            (await session.execute(text("SELECT status, participants FROM report_statuses"))).tuples().all()
        )
        by_status = dict(
            (await session.execute(select(ParticipantRow.id, ParticipantRow.status))).tuples().all()
        )
        sessions = {
            key: (co, ab, at, la)
            for key, co, ab, at, la in (
                await session.execute(
                    text("SELECT session_key, coming, absent, attended, late FROM report_sessions")
                )
            ).tuples()
        }
        delivery = dict(
            (await session.execute(text("SELECT problem, total FROM report_delivery"))).tuples().all()
        )
    assert {(f, v): (int(r), int(c)) for f, v, r, c, _, _ in strata} == expected
    assert sum(int(r) for f, _, r, _, _, _ in strata if f == "gender") == 54  # 60 minus 6 registering
    seats = assembly.digest.seats if assembly.digest else None
    assert seats == 50
    for feature, value, registered, _, low, gap in strata:
        quota = next(q for q in assembly.registration.features if q.id == feature).quotas.get(value)  # type: ignore[union-attr]
        bound = quota.bounds(seats)[0] if quota else 0
        assert (low, gap) == (bound, max(0, bound - int(registered))), (feature, value)
    assert sum(statuses.values()) == len(by_status) == 60
    assert statuses == dict(Counter(by_status.values()))
    assert statuses["registering"] == 6
    assert statuses["confirmed"] == CONFIRMED
    # s2 RSVPs: n % 4 == 1 of the registered (coming if n % 8 == 1); s1 check-ins: n % 5 == 0
    rsvp = [n for n in range(60) if n % 10 != 9 and n % 4 == 1]
    present = [n for n in range(60) if n % 10 != 9 and n % 5 == 0]
    coming = len([n for n in rsvp if n % 8 == 1])
    assert sessions["s2"] == (coming, len(rsvp) - coming, 0, 0)
    assert sessions["s1"] == (0, 0, len(present), len([n for n in present if n % 10 == 0]))
    assert delivery == {"blocked_participants": 1, "failed_sends": 1}


@pytest.mark.both_backends
async def test_digest_figures_match_the_views_and_count_new_registrations_since_the_last(
    db: Database, assembly: Assembly
) -> None:
    await populate(db, assembly)
    translations = Catalogs(assembly.languages, assembly.zone)
    async with db.transaction() as session:
        data = await digest_data(session, assembly.id, NOW)
    assert data.since is None
    assert data.new_registrations == 54
    assert data.confirmed == CONFIRMED
    assert data.next_session == "s2"
    assert {(s.feature, s.value): (s.registered, s.confirmed) for s in data.strata} == await expected_strata(
        db, assembly
    )
    assert (data.blocked_participants, data.failed_sends) == (1, 1)

    # An organiser who wrote to the bot in Dutch gets it in Dutch; the digest is then recorded.
    async with db.transaction() as session:
        await SqlStore(session, assembly.id).add_participant(ORGANISER, ORGANISER, "nl")
    assert await send_digests(db, assembly, translations, BarCharts(), NOW) == 1
    async with db.transaction() as session:
        sent = list(
            (await session.execute(select(OutboxMessage).where(OutboxMessage.topic == "digest"))).scalars()
        )
        assert (await session.scalar(select(DigestRow.recipients))) == 1
    actions = [outbox.decode(row) for row in sent]
    assert {row.chat_id for row in sent} == {ORGANISER}
    message, photo, document = actions[0], actions[-2], actions[-1]
    assert isinstance(message, SendMessage)
    assert "Volgende sessie" in message.text
    assert "54 registraties tot nu toe" in message.text
    assert isinstance(photo, SendPhoto)
    assert photo.data.startswith(b"\x89PNG")
    assert isinstance(document, SendDocument)
    table = list(csv.DictReader(io.StringIO(document.data.decode())))
    figures = {(r["section"], r["item"], r["detail"]): int(r["value"]) for r in table}
    assert figures[("status", "confirmed", "")] == CONFIRMED
    assert figures[("session", "s2", "coming")] == data.sessions[1].coming
    for s in data.strata:
        assert figures[("stratum", f"{s.feature}={s.value}", "registered")] == s.registered

    # Three more registrations after the digest: the next one counts exactly those.
    await populate_more(db, assembly, NOW + timedelta(hours=1), count=3)
    async with db.transaction() as session:
        later = await digest_data(session, assembly.id, NOW + timedelta(days=1))
    assert later.since == NOW
    assert later.new_registrations == 3


async def populate_more(db: Database, assembly: Assembly, when: datetime, count: int) -> None:
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        for n in range(count):
            person = await store.add_participant(90_000 + n, 90_000 + n, "fr")
            await store.registrations.set_status(person.id, ParticipantStatus.REGISTERED, when)


async def test_digest_command_only_for_organisers(flow: FlowHarness, assembly: Assembly) -> None:
    await populate(flow.db, assembly, size=20)
    stranger = flow.sender(user_id=555, language_code="de")
    (refusal,) = await flow.send(Command(stranger, "digest", ""))
    assert isinstance(refusal, SendMessage)
    assert "Organisator" in refusal.text
    organiser = flow.sender(user_id=ORGANISER, language_code="fr")
    actions = await flow.send(Command(organiser, "digest", ""))
    kinds = [type(a) for a in actions]
    assert kinds[-2:] == [SendPhoto, SendDocument]
    assert kinds[0] is SendMessage
    assert "Participants par statut" in actions[0].text  # type: ignore[union-attr]

    # An organiser who joined through a role invite (not named in the definition) is one too.
    code = await invite(flow.db, assembly, "organiser", flow.clock.now())
    joined = flow.sender(user_id=556, language_code="nl")
    await flow.send(Command(joined, "start", f"role-{code}"))
    actions = await flow.send(Command(joined, "digest", ""))
    assert [type(a) for a in actions][-2:] == [SendPhoto, SendDocument]
    kit = flow.kit
    assert await send_digests(flow.db, assembly, kit.translations, kit.charts, flow.clock.now()) == 2

    # Each digest handed out is in the audit log, by who asked; the stranger's refusal is not.
    async with flow.db.transaction() as session:
        log = [
            (entry.actor, entry.detail)
            async for entry in audit.entries(session, assembly.id)
            if entry.action == "digest_sent"
        ]
    asked = {"recipients": 1, "requested": True}
    assert [detail for _, detail in log] == [asked, asked, {"recipients": 2}]
    assert log[0][0] == audit.NAMED_ORGANISER  # named in the definition, holds no role
    assert log[1][0].endswith(" (organiser)")
    assert log[2][0] == audit.BOT


async def test_running_bot_plans_the_digest_at_the_local_time_and_the_job_queues_it(
    db: Database, db_url: str, assembly: Assembly
) -> None:
    from bot.adapters.clock import ManualClock  # noqa: PLC0415
    from bot.bootstrap import build_app, build_core  # noqa: PLC0415 (only this test builds the whole app)

    await populate(db, assembly, size=10)
    app = await build_app(
        build_core(assembly, db_url, clock=ManualClock(NOW)),
        token="123456:TEST-TOKEN",
        api_url="http://127.0.0.1:9",
    )
    try:
        app.scheduler.start()
        planned = app.scheduler.next_run("digest")
        assert planned is not None
        assert (planned.hour, planned.minute, str(planned.tzinfo)) == (7, 30, "Europe/Brussels")
        await app.scheduler.run("digest")
    finally:
        await app.scheduler.stop()
        await app.close()
    async with db.transaction() as session:
        kinds = list(
            (
                await session.execute(
                    select(OutboxMessage.kind)
                    .where(OutboxMessage.chat_id == ORGANISER)
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
        )
        recorded = await session.scalar(select(DigestRow.created_at))
    assert kinds[-2:] == ["SendPhoto", "SendDocument"]
    assert recorded == NOW


@pytest.mark.both_backends
async def test_digest_counts_polls_and_feedback_from_the_rows(db: Database, assembly: Assembly) -> None:
    room = FlowHarness(db, room_assembly(assembly))
    await room.prepare()
    facilitator, _, people = await open_room(room)
    poll, _ = await start(room, facilitator, "car-free-2035")
    for person in people[:4]:
        await room.send(room.press(person, f"pv:{poll}:c:0"))
    await close(room, facilitator, poll)
    secret, _ = await start(room, facilitator, "heat-pumps")
    await room.send(room.press(people[0], f"pv:{secret}:c:1"))
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        ids = [p.id for p in [await store.participant(s.user_id) for s in people] if p is not None]
        for pid, value in zip(ids, (5, 4, 4), strict=False):
            await store.feedback.rate("s1", pid, "heard", value)
        await store.feedback.comment("s1", ids[0], "Très bien organisé", "fr")
        await store.feedback.comment("s1", ids[1], "Goed", None)
        data = await digest_data(session, assembly.id, room.clock.now())
        recipients = await session.scalar(select(func.count()).select_from(PollRecipientRow))
    assert [(p.recipients, p.answers, p.closed) for p in data.polls] == [(6, 4, True), (6, 1, False)]
    assert sum(p.recipients for p in data.polls) == recipients
    assert [(f.kind, f.item, f.answers) for f in data.feedback] == [
        ("rating", "heard", 3),
        ("comments", "fr", 1),
        ("comments", "und", 1),
    ]
    assert data.feedback[0].average == pytest.approx(13 / 3)
    shown = digest_text(assembly, room.kit.translations.for_language("en"), data)
    assert "4 of 6 answered (closed)" in shown
    assert "average 4.3 of 5 (3 answers)" in shown
    assert "comments in French: 1" in shown


def test_a_long_poll_section_lists_the_newest_polls_and_counts_the_rest(assembly: Assembly) -> None:
    polls = tuple(
        PollFigures("s1", n % 3 or None, {lang: f"Question {n}?" for lang in assembly.languages}, 10, 7, True)
        for n in range(POLL_LINES + 5)
    )
    data = DigestData(NOW, None, 0, {}, (), (), None, 0, 0, 0, polls=polls)
    text = digest_text(assembly, Catalogs(assembly.languages, assembly.zone).for_language("en"), data)
    assert "Earlier polls not listed here: 5 (the CSV file and the dashboard have them all)" in text
    assert "Question 4?" not in text
    assert all(f"Question {n}?" in text for n in range(5, POLL_LINES + 5))
    assert sum(row[0] == "poll" for row in csv_rows(data)) == 2 * len(polls)
