"""End to end on aiogram and python-telegram-bot: roles by invite link, tables, polls for a table and for the
session in several languages, refusals, a secret ballot that cannot be joined back, and feedback.

Time is a `ManualClock` set inside session s1; the poll job runs every 0.2 s of real time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from conftest import ManualClock, RunningBot, eventually
from polls_room import S1_START, check_in, invite, room_assembly
from sqlalchemy import select

from bot.emulator import Emulator, SimulatedUser
from bot.store.models import (
    FeedbackCommentRow,
    FeedbackRatingRow,
    InboundUpdate,
    PollAnswerRow,
    PollRecipientRow,
    SecretBallotRow,
)
from flows.assembly import Assembly

PEOPLE = ((6101, "fr", "woman"), (6102, "nl", "man"), (6103, "ar", "woman"), (6104, "de", "man"))


@pytest.fixture
async def room_bot(
    assembly: Assembly, emulator: Emulator, sqlite_url: str, runtime: str
) -> AsyncIterator[RunningBot]:
    clock = ManualClock(S1_START + timedelta(minutes=10))
    bot = RunningBot(room_assembly(assembly), emulator, sqlite_url, runtime, clock)
    await bot.start()
    yield bot
    await bot.stop()


async def _said(user: SimulatedUser, count: int) -> str:
    text = (await user.wait_for_messages(count))[-1].text
    assert text is not None
    return text


async def _join(bot: RunningBot, user: SimulatedUser, role: str) -> None:
    assert bot.app is not None
    assert bot.clock is not None
    code = await invite(bot.app.db, bot.assembly, role, bot.clock.now())
    await user.send_text(f"/start role-{code}")
    await user.wait_for_messages(1)


async def _start_poll(facilitator: SimulatedUser, template: str, scope: str) -> None:
    """/poll, pick the template, pick the audience, each once its button has arrived."""
    since = len(facilitator.messages)

    def offered(data: str) -> bool:
        return any(
            b.callback_data == data for m in facilitator.messages[since:] for row in m.buttons for b in row
        )

    await facilitator.send_text("/poll")
    await eventually(lambda: offered(f"pt:{template}"))
    await facilitator.press(f"pt:{template}")
    await eventually(lambda: offered(f"ps:{template}:{scope}"))
    await facilitator.press(f"ps:{template}:{scope}")
    await eventually(lambda: "answered" in (facilitator.messages[-1].text or ""))


async def _room(
    bot: RunningBot, emulator: Emulator
) -> tuple[SimulatedUser, SimulatedUser, list[SimulatedUser]]:
    assert bot.app is not None
    facilitator = emulator.user(6001, "Sofia", "en")
    organiser = emulator.user(6002, "Omar", "en")
    await check_in(bot.app.db, bot.assembly, PEOPLE)
    await _join(bot, facilitator, "facilitator")
    await _join(bot, organiser, "organiser")
    people = [emulator.user(uid, f"P{uid}", language) for uid, language, _ in PEOPLE]
    await organiser.send_text("/tables")
    overview = await _said(organiser, 2)
    assert overview.splitlines()[1:] == ["Table 1: 2 participants – Sofia", "Table 2: 2 participants"]
    for person in people:
        await person.wait_for_messages(1)  # "you sit at table N"
    return facilitator, organiser, people


async def test_polls_for_a_table_and_the_session_in_several_languages(
    room_bot: RunningBot, emulator: Emulator
) -> None:
    facilitator, organiser, people = await _room(room_bot, emulator)
    assert ("chat", facilitator.id, "") in emulator.commands
    assert {"poll", "dashboard"} <= {name for name, _ in emulator.commands[("chat", facilitator.id, "")]}
    assert "tables" in [name for name, _ in emulator.commands[("chat", organiser.id, "")]]
    assert all(("chat", p.id, "") not in emulator.commands for p in people)
    seat = {p.id: (await _said(p, 1)) for p in people}
    at_one = [p for p in people if "Sofia" in seat[p.id]]
    assert len(at_one) == 2
    assert {seat[p.id] for p in at_one} <= {
        "🪑 Vous êtes à la table 1. Votre table est animée par Sofia.",
        "🪑 Je zit aan tafel 1. Je begeleider is Sofia.",
        "🪑 مكانك على الطاولة 1. الميسّر لطاولتك: Sofia.",
        "🪑 Sie sitzen an Tisch 1. Ihre Moderation: Sofia.",
    }

    # A proposal for the whole session: everyone answers in their language; one changes their mind.
    await _start_poll(facilitator, "car-free-2035", "s")
    live = facilitator.messages[-1]
    assert live.text is not None
    assert "0 of 4 answered" in live.text
    ballots = {p.id: (await p.wait_for_messages(2))[-1] for p in people}
    assert ballots[6101].button_texts == ["D'accord", "Abstention", "Pas d'accord", "Blocage"]
    assert ballots[6102].button_texts == ["Akkoord", "Onthouding", "Niet akkoord", "Blokkeren"]
    assert ballots[6103].button_texts == ["موافق", "امتناع", "غير موافق", "اعتراض"]
    await people[0].press("Pas d'accord")
    await people[0].press("D'accord")
    await people[1].press("Akkoord")
    await people[2].press("موافق")
    await people[3].press("Nicht einverstanden")
    await eventually(lambda: live.text is not None and "4 of 4 answered" in live.text)
    await facilitator.press("⏹ Close the poll")
    messages = await facilitator.wait_for_messages(6)
    result = next(m.text for m in messages if m.text and m.text.startswith("📊"))
    assert result.splitlines()[1:] == [
        "4 answers",
        "",
        "Agree: 3 (75 %)",
        "Abstain: 0 (0 %)",
        "Disagree: 1 (25 %)",
        "Block: 0 (0 %)",
        "Quorum not reached: 4 answers, at least 5 are needed.",
        "Support 75 %, threshold 80 %.",
        "❌ Not passed.",
    ]
    await eventually(lambda: any(m.photo for m in facilitator.messages))
    await eventually(lambda: any((m.text or "").startswith("📊 Résultats") for m in people[0].messages))
    answered = len(people[0].callback_answers)
    await people[0].press("Abstention")
    await eventually(lambda: len(people[0].callback_answers) > answered)
    assert people[0].callback_answers[-1] == "Ce sondage est clôturé ; votre réponse n'a pas été enregistrée."

    # A ranking for the facilitator's table only; the other table's people cannot answer it.
    await _start_poll(facilitator, "measures", "t")
    table = [p for p in people if p in at_one]
    others = [p for p in people if p not in at_one]
    for person in table:
        await eventually(lambda person=person: "pv:" in str(person.messages[-1].buttons))
    poll = int(table[0].messages[-1].buttons[0][0].callback_data.split(":")[1])  # type: ignore[union-attr]
    before = len(others[0].callback_answers)
    await others[0].press_data(f"pv:{poll}:R:0123", message_id=others[0].messages[-1].message_id)
    await others[0].press_data("pv:forged", message_id=others[0].messages[-1].message_id)
    await eventually(lambda: len(others[0].callback_answers) == before + 2)
    for person in table:
        await person.press_data(f"pv:{poll}:R:1023")
    await eventually(lambda: "2 of 2 answered" in (facilitator.messages[-1].text or ""))
    await facilitator.press("⏹ Close the poll")
    await eventually(lambda: any((m.text or "").startswith("📊 Results: Rank") for m in facilitator.messages))
    assert room_bot.app is not None
    async with room_bot.app.db.transaction() as session:
        rows = list(
            (await session.execute(select(PollAnswerRow).where(PollAnswerRow.poll_id == poll))).scalars()
        )
    assert [row.ballot for row in rows] == [{"r": [1, 0, 2, 3]}, {"r": [1, 0, 2, 3]}]


async def test_secret_ballot_refusals_and_feedback_after_the_session(
    room_bot: RunningBot, emulator: Emulator
) -> None:
    facilitator, _, people = await _room(room_bot, emulator)
    await _start_poll(facilitator, "heat-pumps", "s")
    labels = ("Tout à fait d'accord", "Akkoord", "موافق بشدة", "Nicht einverstanden")
    for person, label in zip(people, labels, strict=True):
        await person.wait_for_messages(2)
        await person.press(label)
    await eventually(lambda: "4 of 4 answered" in (facilitator.messages[-1].text or ""))
    assert room_bot.app is not None
    async with room_bot.app.db.transaction() as session:
        ballots = list((await session.execute(select(SecretBallotRow))).scalars())
        voters = list((await session.execute(select(PollRecipientRow))).scalars())
        log = [u.event for u in (await session.execute(select(InboundUpdate))).scalars()]
    assert sorted(b.ballot["c"] for b in ballots) == [0, 0, 1, 3]
    assert {v.participant_id for v in voters if v.voted}
    assert all(v.voted for v in voters)
    # Nothing to join on: the ballots carry a random key and the choice; the update log forgot the votes.
    assert set(SecretBallotRow.__table__.columns.keys()) == {"id", "poll_id", "ballot"}
    assert not any(e and "pv:" in str(e.get("data", "")) for e in log)

    # Participants and a stranger try every facilitator and organiser command.
    stranger = emulator.user(6999, "Eve", "en")
    for user in (people[1], stranger):
        for command in ("/poll", "/tables", "/pin 1 2"):
            count = len(user.messages)
            await user.send_text(command)
            reply = await _said(user, count + 1)
            assert reply.startswith(("Deze opdracht is voor", "This command is for"))

    room_bot.clock.set(S1_START + timedelta(hours=8, minutes=1))  # type: ignore[union-attr]
    fr = people[0]
    invitation = (await fr.wait_for_messages(len(fr.messages) + 1, timeout=15))[-1]
    while not (invitation.text or "").startswith("Merci d'avoir participé"):
        invitation = (await fr.wait_for_messages(len(fr.messages) + 1, timeout=15))[-1]
    await fr.press("4")
    await eventually(lambda: "informations" in (fr.messages[-1].text or ""))
    await fr.press("5")
    await fr.wait_for_messages(len(fr.messages) + 1)
    await fr.send_text("Les échanges à notre table étaient riches et tout le monde a pu parler librement.")
    await eventually(lambda: fr.messages[-1].text == "Merci pour votre avis !")
    async with room_bot.app.db.transaction() as session:
        ratings = sorted(
            (r.question, r.value) for r in (await session.execute(select(FeedbackRatingRow))).scalars()
        )
        (comment,) = (await session.execute(select(FeedbackCommentRow))).scalars()
    assert ratings == [("heard", 4), ("informed", 5)]
    assert comment.language == "fr"


async def _close_and_read(facilitator: SimulatedUser) -> list[str]:
    """Close the facilitator's newest poll and return the lines of the results it sends."""
    since = len(facilitator.messages)
    await facilitator.press("⏹ Close the poll")

    def results() -> list[str]:
        return [m.text for m in facilitator.messages[since:] if (m.text or "").startswith("📊")]  # type: ignore[misc]

    await eventually(lambda: bool(results()))
    return results()[0].splitlines()


async def _poll_of(person: SimulatedUser, count: int) -> tuple[int, int]:
    """(poll id, ballot message id) of the ballot a participant has just received."""
    ballot = (await person.wait_for_messages(count))[-1]
    first = ballot.buttons[0][0].callback_data or ""
    assert first.startswith("pv:"), ballot.text
    return int(first.split(":")[1]), ballot.message_id


async def test_every_other_kind_for_the_session_counts_what_was_answered(
    room_bot: RunningBot, emulator: Emulator
) -> None:
    """Single with "none of the above", multiple, score, open text, gradients, instant runoff and a dot
    vote, each started by the facilitator for the whole session and answered in French and Dutch."""
    facilitator, _, people = await _room(room_bot, emulator)
    lea, jan = people[0], people[1]
    answers: list[tuple[str, tuple[str, str], list[str]]] = [
        (
            "lunch",
            ("c:0", "c:2"),
            ["Soup (en): 1 (50 %)", "Salad (en): 0 (0 %)", "None of the above: 1 (50 %)"],
        ),
        (
            "topics",
            ("M:3", "M:6"),
            ["Heat (en): 1 (50 %)", "Transport (en): 2 (100 %)", "Food (en): 1 (50 %)"],
        ),
        ("confidence", ("c:5", "c:2"), ["Average 3.5, median 3.5", "2: 1", "5: 1"]),
        ("gradient", ("c:0", "c:5"), ["Support 100 %, threshold 75 %.", "✅ Passed."]),
        ("runoff", ("R:012", "R:120"), ["1. B (en): 3 Borda points", "2. A (en): 2 Borda points"]),
        ("budget-dots", ("D:a000", "D:2341"), ["Housing: 12 (60 %)", "Mobility: 3 (15 %)"]),
    ]
    for template, (mine, theirs), expected in answers:
        counts = [len(p.messages) + 1 for p in (lea, jan)]
        await _start_poll(facilitator, template, "s")
        (poll, lea_ballot), (_, jan_ballot) = [
            await _poll_of(p, n) for p, n in zip((lea, jan), counts, strict=True)
        ]
        await lea.press_data(f"pv:{poll}:{mine}", message_id=lea_ballot)
        await jan.press_data(f"pv:{poll}:{theirs}", message_id=jan_ballot)
        await eventually(lambda: "2 of 4 answered" in (facilitator.messages[-1].text or ""))
        lines = await _close_and_read(facilitator)
        assert lines[1] == "2 answers", (template, lines)
        for line in expected:
            assert line in lines, (template, line, lines)

    # Open text: typed after pressing the ballot's button, in each person's own words.
    counts = [len(p.messages) + 1 for p in (lea, jan)]
    await _start_poll(facilitator, "ideas", "s")
    (poll, lea_ballot), (_, jan_ballot) = [
        await _poll_of(p, n) for p, n in zip((lea, jan), counts, strict=True)
    ]
    for person, ballot, words in ((lea, lea_ballot, "Plus d'arbres"), (jan, jan_ballot, "Deelfietsen")):
        await person.press_data(f"pv:{poll}:t", message_id=ballot)
        await eventually(lambda person=person, ballot=ballot: person.messages[-1].message_id != ballot)
        await person.send_text(words)
    await eventually(lambda: "2 of 4 answered" in (facilitator.messages[-1].text or ""))
    assert (await _close_and_read(facilitator))[3:] == ["• Plus d'arbres", "• Deelfietsen"]
