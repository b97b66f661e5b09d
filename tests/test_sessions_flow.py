"""Transcripts of RSVP, /sessions and check-in at the flow level, on real stores and catalogs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import FlowHarness, add_confirmed, mirror_sessions
from sqlalchemy import select

from bot.store.models import SessionRow
from flows.actions import AnswerButton, SendMessage
from flows.events import Command, Text

S1_START = datetime(2027, 3, 6, 8, 30, tzinfo=UTC)


def _texts(actions: tuple[object, ...]) -> list[str]:
    return [a.text for a in actions if isinstance(a, SendMessage)]


def _notices(actions: tuple[object, ...]) -> list[str]:
    return [a.text for a in actions if isinstance(a, AnswerButton)]


async def _code(flow: FlowHarness, key: str) -> str:
    async with flow.db.transaction() as session:
        return (
            await session.execute(select(SessionRow.checkin_code).where(SessionRow.key == key))
        ).scalar_one()


async def test_unconfirmed_people_and_forged_or_closed_buttons_get_clear_answers(flow: FlowHarness) -> None:
    await mirror_sessions(flow.db, flow.kit.assembly, flow.clock.now())
    stranger = flow.sender(700, "en")
    assert _texts(await flow.send(Command(stranger, "sessions"))) == [
        "Your sessions will appear here once your participation is confirmed."
    ]
    assert _notices(await flow.send(flow.press(stranger, "rsvp:s1:yes"))) == [
        "This button is no longer valid."
    ]
    assert _texts(await flow.send(Command(stranger, "start", "checkin-ABC123")))[0].startswith(
        "Check-in is for confirmed participants of the assembly."
    )

    await add_confirmed(flow.db, flow.kit.assembly, 701, "en")
    member = flow.sender(701, "en")
    assert _notices(await flow.send(flow.press(member, "rsvp:s1:maybe"))) == [
        "This button is no longer valid."
    ]
    assert _notices(await flow.send(flow.press(member, "rsvp:s9:yes"))) == [
        "This session is no longer open for answers."
    ]
    flow.clock.set(S1_START + timedelta(hours=8))  # s1 is over
    assert _notices(await flow.send(flow.press(member, "rsvp:s1:yes"))) == [
        "This session is no longer open for answers."
    ]


async def test_reason_is_optional_limited_and_answers_show_in_sessions(flow: FlowHarness) -> None:
    await mirror_sessions(flow.db, flow.kit.assembly, flow.clock.now())
    await add_confirmed(flow.db, flow.kit.assembly, 710, "de")
    member = flow.sender(710, "de")
    asked = await flow.send(flow.press(member, "rsvp:s2:no"))
    assert _texts(asked)[0].startswith("Danke, dass Sie uns Bescheid geben, dass Sie nicht zu Sitzung 2")
    too_long = _texts(await flow.send(Text(member, "x" * 1001)))
    assert too_long == ["Das ist etwas lang: Bitte bleiben Sie unter 1.000 Zeichen."]
    skipped = await flow.send(flow.press(member, "rsvp:s2:skip"))
    assert _texts(skipped) == ["In Ordnung, mehr ist nicht nötig."]
    assert _texts(await flow.send(Text(member, "hallo")))[0].startswith("Entschuldigung")  # no longer waiting
    await flow.send(flow.press(member, "rsvp:s3:yes"))
    (overview,) = _texts(await flow.send(Command(member, "sessions")))
    blocks = overview.split("\n\n")
    assert blocks[0] == "Ihre nächsten Sitzungen:"
    assert blocks[2].startswith(
        "2. Sitzung 2: Fachleute und Zeugen anhören\nSamstag, 20. März 2027, von 09:30 bis 16:30"
    )
    assert blocks[2].endswith(
        "Online: https://meet.example.brussels/assemblee-climat-s2\nIhre Antwort: Sie können nicht kommen"
    )
    assert blocks[3].endswith("Ihre Antwort: Sie kommen")
    assert blocks[1].endswith("Sie haben noch nicht geantwortet.")


async def test_check_in_opens_before_start_counts_late_and_keeps_the_first(flow: FlowHarness) -> None:
    await mirror_sessions(flow.db, flow.kit.assembly, flow.clock.now())
    await add_confirmed(flow.db, flow.kit.assembly, 720, "en")
    member = flow.sender(720, "en")
    code = await _code(flow, "s1")
    flow.clock.set(S1_START - timedelta(hours=2))
    assert _texts(await flow.send(Command(member, "checkin", code))) == [
        "Check-in for Session 1: getting to know each other and the climate opens on "
        "Saturday, March 6, 2027 at 8:30."
    ]
    flow.clock.set(S1_START - timedelta(minutes=10))
    assert _texts(await flow.send(Command(member, "checkin", f" {code.lower()} "))) == [
        "Welcome! You are checked in for Session 1: getting to know each other and the climate."
    ]
    flow.clock.set(S1_START + timedelta(hours=1))
    assert _texts(await flow.send(Command(member, "start", f"checkin-{code}"))) == [
        "You were already checked in for Session 1: getting to know each other and the climate at 9:20."
    ]
    assert _texts(await flow.send(Command(member, "start")))[0].startswith("Welcome! I am the assistant")
