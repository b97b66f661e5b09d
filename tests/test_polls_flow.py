"""Poll transcripts at the flow level, kind by kind, on real stores (SQLite and PostgreSQL) and catalogs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import FlowHarness
from polls_room import (
    PEOPLE,
    S1_START,
    ballots_sent,
    close,
    data,
    labels,
    notices,
    open_room,
    results,
    room_assembly,
    start,
    texts,
)
from sqlalchemy import select

from bot.jobs.polls import PollJob
from bot.store.database import Database
from bot.store.models import (
    FeedbackCommentRow,
    FeedbackRatingRow,
    OutboxMessage,
    PollAnswerRow,
    PollRecipientRow,
    SecretBallotRow,
)
from bot.store.participants import SqlStore
from flows.actions import SendPhoto
from flows.assembly import Assembly
from flows.events import Command, Text


@pytest.fixture
async def room(db: Database, assembly: Assembly) -> FlowHarness:
    harness = FlowHarness(db, room_assembly(assembly))
    await harness.prepare()
    return harness


async def test_proposal_for_the_session_counts_a_changed_answer_once_and_passes_at_80_percent(
    room: FlowHarness,
) -> None:
    facilitator, _, people = await open_room(room)
    poll, started = await start(room, facilitator, "car-free-2035")
    sent = ballots_sent(started)
    assert set(sent) == {p.chat_id for p in people}
    assert labels(sent[801]) == ["D'accord", "Abstention", "Pas d'accord", "Blocage"]
    assert labels(sent[803]) == ["موافق", "امتناع", "غير موافق", "اعتراض"]
    assert sent[802].text.startswith("🗳 Peiling voor de hele sessie\n\nVoorstel: het stadscentrum")
    live = texts(started, facilitator.chat_id)[-1]
    assert "0 of 6 answered" in live

    await room.send(room.press(people[0], f"pv:{poll}:c:2"))  # disagree, then changes to agree
    changed = await room.send(room.press(people[0], f"pv:{poll}:c:0"))
    assert notices(changed) == ["Réponse enregistrée."]
    for person in people[1:4]:
        await room.send(room.press(person, f"pv:{poll}:c:0"))
    await room.send(room.press(people[4], f"pv:{poll}:c:1"))
    await room.send(room.press(people[5], f"pv:{poll}:c:2"))

    closed = await close(room, facilitator, poll)
    assert results(closed, facilitator.chat_id).splitlines()[1:] == [
        "6 answers",
        "",
        "Agree: 4 (67 %)",
        "Abstain: 1 (17 %)",
        "Disagree: 1 (17 %)",
        "Block: 0 (0 %)",
        "Quorum reached: 6 answers, at least 5 were needed.",
        "Support 80 %, threshold 80 %.",
        "✅ Passed.",
    ]
    assert any(isinstance(a, SendPhoto) and a.chat_id == facilitator.chat_id for a in closed)
    # The template shares results: each participant gets them in their language.
    assert results(closed, 804).splitlines()[-1] == "✅ Angenommen."
    late = await room.send(room.press(people[5], f"pv:{poll}:c:0"))
    assert notices(late) == ["Ce sondage est clôturé ; votre réponse n'a pas été enregistrée."]
    async with room.db.transaction() as session:
        stored = (await session.execute(select(PollAnswerRow).where(PollAnswerRow.poll_id == poll))).scalars()
        assert sorted(row.ballot["c"] for row in stored) == [0, 0, 0, 0, 1, 2]


async def test_table_poll_block_needs_a_reason_and_other_tables_stale_and_forged_buttons_are_refused(
    room: FlowHarness,
) -> None:
    facilitator, organiser, people = await open_room(room)
    poll, started = await start(room, facilitator, "table-vote", "t")
    table = set(ballots_sent(started))
    assert len(table) == 3
    inside = [p for p in people if p.chat_id in table]
    outside = [p for p in people if p.chat_id not in table]
    refused = await room.send(room.press(outside[0], f"pv:{poll}:c:0"))
    language = dict((uid, lang) for uid, lang, _ in PEOPLE)[outside[0].user_id]
    other_table = "This poll is for another table; your answer was not recorded."
    assert notices(refused) == [room.kit.translations.for_language(language).gettext(other_table)]
    assert notices(refused)[0] != other_table or language == "en"
    for forged in (f"pv:{poll}:c:9", f"pv:{poll}:m:ff", "pv:99999:c:0", "pv:x", f"pv:{poll}:c:-1"):
        answer = await room.send(room.press(inside[0], forged))
        assert len(notices(answer)) == 1
        assert not texts(answer)

    asked = await room.send(room.press(inside[0], f"pv:{poll}:c:3"))
    assert texts(asked)
    await room.send(Text(inside[0], "Les livraisons ne sont pas prévues."))
    await room.send(room.press(inside[1], f"pv:{poll}:c:0"))
    closed = await close(room, facilitator, poll)
    lines = results(closed, facilitator.chat_id).splitlines()
    assert lines[1] == "2 answers"
    assert "Blocked: at least one participant blocked it." in lines
    assert lines[-1] == "❌ Not passed."
    stale = await room.send(room.press(inside[2], f"pv:{poll}:c:0"))
    assert len(notices(stale)) == 1
    async with room.db.transaction() as session:
        rows = list(
            (await session.execute(select(PollAnswerRow).where(PollAnswerRow.poll_id == poll))).scalars()
        )
    assert sorted((r.ballot["c"], r.ballot.get("reason")) for r in rows) == [
        (0, None),
        (3, "Les livraisons ne sont pas prévues."),
    ]
    assert organiser  # the organiser may close polls too (checked in the e2e test)


async def test_every_other_kind_counts_what_was_answered(room: FlowHarness) -> None:
    facilitator, _, people = await open_room(room)
    a, b, c = people[:3]

    poll, started = await start(room, facilitator, "lunch")
    assert labels(ballots_sent(started)[805]) == ["Soup (en)", "Salad (en)", "None of the above"]
    for person, choice in ((a, 0), (b, 2), (c, 0)):
        await room.send(room.press(person, f"pv:{poll}:c:{choice}"))
    assert results(await close(room, facilitator, poll), facilitator.chat_id).splitlines()[3:] == [
        "Soup (en): 2 (67 %)",
        "Salad (en): 0 (0 %)",
        "None of the above: 1 (33 %)",
    ]

    poll, started = await start(room, facilitator, "topics")
    draft = await room.send(room.press(a, f"pv:{poll}:m:1"))
    assert "☑ Heat (fr)" in labels(draft[-1])  # type: ignore[arg-type]
    empty = await room.send(room.press(b, f"pv:{poll}:M:0"))
    assert notices(empty) == ["Vink eerst minstens één antwoord aan."]
    for person, mask in ((a, "3"), (b, "6"), (c, "2")):
        await room.send(room.press(person, f"pv:{poll}:M:{mask}"))
    assert results(await close(room, facilitator, poll), facilitator.chat_id).splitlines()[3:] == [
        "Heat (en): 1 (33 %)",
        "Transport (en): 3 (100 %)",
        "Food (en): 1 (33 %)",
    ]

    poll, _ = await start(room, facilitator, "confidence")
    for person, score in ((a, 5), (b, 2), (c, 4)):
        await room.send(room.press(person, f"pv:{poll}:c:{score}"))
    lines = results(await close(room, facilitator, poll), facilitator.chat_id).splitlines()
    assert lines[3:] == ["Average 3.7, median 4", "2: 1", "4: 1", "5: 1"]

    poll, _ = await start(room, facilitator, "ideas")
    await room.send(room.press(a, f"pv:{poll}:t"))
    saved = await room.send(Text(a, "Plus d'arbres dans les cours d'école"))
    assert texts(saved)[0].startswith("Merci, votre réponse est enregistrée.")
    await room.send(room.press(b, f"pv:{poll}:t"))
    await room.send(Text(b, "x" * 1001))  # too long: asked again, nothing stored
    await room.send(Text(b, "Deelfietsen"))
    closed = await close(room, facilitator, poll)
    assert results(closed, facilitator.chat_id).splitlines()[3:] == [
        "• Plus d'arbres dans les cours d'école",
        "• Deelfietsen",
    ]
    assert not any(isinstance(x, SendPhoto) for x in closed)

    poll, _ = await start(room, facilitator, "gradient")
    for person, level in ((a, 0), (b, 5), (c, 3)):
        await room.send(room.press(person, f"pv:{poll}:c:{level}"))
    lines = results(await close(room, facilitator, poll), facilitator.chat_id).splitlines()
    assert lines[-2:] == ["Support 100 %, threshold 75 %.", "✅ Passed."]

    poll, _ = await start(room, facilitator, "runoff")
    for person, order in ((a, "012"), (b, "120"), (c, "21")):
        await room.send(room.press(person, f"pv:{poll}:R:{order}"))
    lines = results(await close(room, facilitator, poll), facilitator.chat_id).splitlines()
    assert lines[3:] == [
        "1. B (en): 4 Borda points",
        "2. C (en): 3 Borda points",
        "3. A (en): 2 Borda points",
        "Instant runoff winner after 2 rounds: B (en)",
    ]

    poll, started = await start(room, facilitator, "budget-dots")
    plus = await room.send(room.press(a, f"pv:{poll}:d:a000"))
    assert data(plus[-1])[-1] == f"pv:{poll}:D:a000"  # type: ignore[arg-type]
    short = await room.send(room.press(b, f"pv:{poll}:D:5000"))
    assert notices(short) == ["Verdeel eerst al je punten."]
    await room.send(room.press(a, f"pv:{poll}:D:a000"))
    await room.send(room.press(b, f"pv:{poll}:D:2341"))
    assert results(await close(room, facilitator, poll), facilitator.chat_id).splitlines()[3:] == [
        "Housing: 12 (60 %)",
        "Mobility: 3 (15 %)",
        "Green spaces: 4 (20 %)",
        "Energy: 1 (5 %)",
    ]

    poll, _ = await start(room, facilitator, "measures")
    await room.send(room.press(a, f"pv:{poll}:r:2"))
    await room.send(room.press(a, f"pv:{poll}:R:2013"))
    await room.send(room.press(b, f"pv:{poll}:R:1203"))
    lines = results(await close(room, facilitator, poll), facilitator.chat_id).splitlines()
    assert lines[3:5] == [
        "1. Separated cycle lanes: 5 Borda points",
        "2. More trams and buses: 4 Borda points",
    ]


async def test_secret_ballot_keeps_voters_apart_from_votes_and_refuses_a_second_vote(
    room: FlowHarness,
) -> None:
    facilitator, _, people = await open_room(room)
    poll, started = await start(room, facilitator, "heat-pumps")
    assert "Vote secret" in ballots_sent(started)[801].text
    for person, level in zip(people, (0, 0, 1, 3, 4, 0), strict=True):
        cast = await room.send(room.press(person, f"pv:{poll}:c:{level}"))
        assert all("Agree" not in t and "d'accord" not in t for t in texts(cast))
    again = await room.send(room.press(people[0], f"pv:{poll}:c:4"))
    assert notices(again) == ["Vous avez déjà voté à ce vote secret ; un vote ne peut pas être modifié."]
    who = await room.send(room.press(facilitator, f"pf:{poll}:who"))
    assert texts(who) == ["Answered: Amélie, Grace, Jan, Jonas, Layla, Lucas\nNot yet: –"]
    lines = results(await close(room, facilitator, poll), facilitator.chat_id).splitlines()
    assert lines[3:] == [
        "Strongly agree: 3 (50 %)",
        "Agree: 1 (17 %)",
        "Neither agree nor disagree: 0 (0 %)",
        "Disagree: 1 (17 %)",
        "Strongly disagree: 1 (17 %)",
        "Support 67 %, threshold 60 %.",
        "✅ Passed.",
    ]
    async with room.db.transaction() as session:
        ballots = list((await session.execute(select(SecretBallotRow))).scalars())
        open_answers = (await session.execute(select(PollAnswerRow))).scalars().all()
        voters = list((await session.execute(select(PollRecipientRow))).scalars())
    assert len(ballots) == 6
    assert open_answers == []
    assert set(SecretBallotRow.__table__.columns.keys()) == {"id", "poll_id", "ballot"}
    assert set(PollRecipientRow.__table__.columns.keys()) == {"poll_id", "participant_id", "voted"}
    assert all(v.voted for v in voters)


async def test_composed_poll_is_labelled_and_only_facilitators_may_start_or_close(room: FlowHarness) -> None:
    facilitator, _, people = await open_room(room)
    await room.send(room.press(facilitator, "pk:new"))
    await room.send(room.press(facilitator, "pk:single"))
    await room.send(Text(facilitator, "Pause café maintenant ?"))
    await room.send(Text(facilitator, "Oui\nNon"))
    started = await room.send(room.press(facilitator, "ps:_:t"))
    sent = ballots_sent(started)
    assert len(sent) == 3
    ballot = next(iter(sent.values()))
    assert "Pause café maintenant ?" in ballot.text
    assert labels(ballot) == ["Oui", "Non"]
    assert "(" in ballot.text.split("\n\n")[1]  # the "written by your facilitator" label

    member = people[0]
    for command in ("poll", "tables", "pin"):
        refused = texts(await room.send(Command(member, command, "1 2")))
        assert refused
        assert refused[0].startswith("Cette commande est réservée")
    for button in ("pt:car-free-2035", "pk:new", "ps:car-free-2035:s", f"pf:{1}:close"):
        answer = await room.send(room.press(member, button))
        assert not ballots_sent(answer)


async def test_a_poll_closes_by_its_timer_and_the_session_end_asks_for_feedback(room: FlowHarness) -> None:
    facilitator, _, people = await open_room(room)
    poll, _ = await start(room, facilitator, "car-free-2035")  # duration 15m
    await room.send(room.press(people[0], f"pv:{poll}:c:0"))
    job = PollJob(room.db, room.kit, wake=lambda: None)
    await job(room.clock.now())
    async with room.db.transaction() as session:
        assert (await SqlStore(session, room.kit.assembly.id).polls.get(poll)).closed is False  # type: ignore[union-attr]
    room.clock.advance(timedelta(minutes=16))
    await job(room.clock.now())
    await job(room.clock.now())  # a second run sends nothing twice
    async with room.db.transaction() as session:
        rows = list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
    results_rows = [r for r in rows if r.kind == "SendMessage" and r.payload["text"].startswith("📊")]
    assert sorted(r.chat_id for r in results_rows) == sorted(
        [facilitator.chat_id, *(p.chat_id for p in people)]
    )
    assert "1 answer" in next(r.payload["text"] for r in results_rows if r.chat_id == facilitator.chat_id)

    room.clock.set(S1_START + timedelta(hours=8))
    await job(room.clock.now())
    await job(room.clock.now())
    async with room.db.transaction() as session:
        asked = list(
            (
                await session.execute(select(OutboxMessage).where(OutboxMessage.topic == "feedback:s1"))
            ).scalars()
        )
    assert sorted(r.chat_id for r in asked) == sorted(p.chat_id for p in people)
    member = people[2]  # Arabic
    first = next(r for r in asked if r.chat_id == member.chat_id)
    assert first.payload["text"].startswith("شكراً لمشاركتك في")
    await room.send(room.press(member, "fb:s1:0:4"))
    await room.send(room.press(member, "fb:s1:1:2"))
    await room.send(Text(member, "ok"))  # too short to tell its language: stored without one
    async with room.db.transaction() as session:
        (comment,) = (await session.execute(select(FeedbackCommentRow))).scalars()
        ratings = sorted(
            (r.question, r.value) for r in (await session.execute(select(FeedbackRatingRow))).scalars()
        )
    assert (comment.text, comment.language) == ("ok", None)
    assert ratings == [("heard", 4), ("informed", 2)]
    forged = await room.send(room.press(member, "fb:s1:7:9"))
    assert notices(forged) == ["هذا الزر لم يعد صالحاً."]
