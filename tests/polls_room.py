"""A small room for poll and table tests: six checked-in participants in five languages, two tables of
three, a facilitator and an organiser who joined through real invites, and extra poll templates so
every kind is covered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import FlowHarness, add_confirmed, mirror_sessions

from bot.store.database import Database
from bot.store.participants import SqlStore
from bot.store.roles import create_invite
from bot.store.sessions import SqlSessions
from flows.actions import Action, AnswerButton, SendMessage
from flows.assembly import Assembly, PollTemplate, Tables
from flows.events import Command, Sender
from flows.ports import Presence

S1_START = datetime(2027, 3, 6, 8, 30, tzinfo=UTC)
LANGUAGES = ("fr", "nl", "en", "de", "ar")
PEOPLE = (
    (801, "fr", "woman"),
    (802, "nl", "man"),
    (803, "ar", "woman"),
    (804, "de", "man"),
    (805, "en", "woman"),
    (806, "fr", "man"),
)

NAMES = {801: "Amélie", 802: "Jan", 803: "Layla", 804: "Jonas", 805: "Grace", 806: "Lucas"}
"""The first names they gave when registering: what staff see of them."""


def _texts(label: str) -> dict[str, str]:
    return {code: f"{label} ({code})" for code in LANGUAGES}


EXTRA = [
    {
        "id": "lunch",
        "kind": "single",
        "none_option": True,
        "question": _texts("Lunch"),
        "options": [_texts("Soup"), _texts("Salad")],
    },
    {
        "id": "topics",
        "kind": "multiple",
        "question": _texts("Topics"),
        "options": [_texts("Heat"), _texts("Transport"), _texts("Food")],
    },
    {"id": "confidence", "kind": "score", "score_max": 5, "question": _texts("Confidence")},
    {"id": "ideas", "kind": "text", "question": _texts("Ideas")},
    {
        "id": "gradient",
        "kind": "scale",
        "scale": "gradients",
        "threshold": 0.75,
        "question": _texts("Gradient"),
    },
    {
        "id": "runoff",
        "kind": "ranking",
        "method": "irv",
        "question": _texts("Runoff"),
        "options": [_texts("A"), _texts("B"), _texts("C")],
    },
    {"id": "table-vote", "kind": "proposal", "question": _texts("Table vote"), "quorum": 2},
]


def room_assembly(assembly: Assembly) -> Assembly:
    """The example assembly with tables of three balanced by gender, and every kind of template."""
    extra = [PollTemplate(**data) for data in EXTRA]
    return assembly.model_copy(
        update={
            "tables": Tables(size=3, balance=["gender"], min_result=2),
            "polls": [*assembly.polls, *extra],
        }
    )


async def invite(db: Database, assembly: Assembly, role: str, now: datetime, hours: int = 1) -> str:
    async with db.transaction() as session:
        return await create_invite(session, assembly.id, role, now, timedelta(hours=hours))


async def join(flow: FlowHarness, role: str, user_id: int, language: str = "en") -> Sender:
    code = await invite(flow.db, flow.kit.assembly, role, flow.clock.now())
    sender = flow.sender(user_id, language)
    await flow.send(Command(sender, "start", f"role-{code}"))
    return sender


async def check_in(db: Database, assembly: Assembly, people: tuple[tuple[int, str, str], ...]) -> list[int]:
    ids = []
    for user_id, language, gender in people:
        person = await add_confirmed(db, assembly, user_id, language)
        async with db.transaction() as session:
            registrations = SqlStore(session, assembly.id).registrations
            await registrations.save_answer(person.id, "gender", gender, S1_START)
            if user_id in NAMES:
                await registrations.save_answer(person.id, "first_name", NAMES[user_id], S1_START)
            await SqlSessions(session, assembly.id).check_in(
                person.id, "s1", Presence(S1_START, late=False, method="code")
            )
        ids.append(person.id)
    return ids


async def open_room(flow: FlowHarness) -> tuple[Sender, Sender, list[Sender]]:
    """(facilitator, organiser, participants) with tables assigned for session s1, under way."""
    assembly = flow.kit.assembly
    await mirror_sessions(flow.db, assembly, flow.clock.now())
    flow.clock.set(S1_START + timedelta(minutes=10))
    await check_in(flow.db, assembly, PEOPLE)
    facilitator = await join(flow, "facilitator", 900)
    organiser = await join(flow, "organiser", 901)
    await flow.send(Command(organiser, "tables"))
    return facilitator, organiser, [flow.sender(uid, None) for uid, _, _ in PEOPLE]


def texts(actions: tuple[Action, ...], chat: int | None = None) -> list[str]:
    return [a.text for a in actions if isinstance(a, SendMessage) and (chat is None or a.chat_id == chat)]


def notices(actions: tuple[Action, ...]) -> list[str]:
    return [a.text for a in actions if isinstance(a, AnswerButton)]


def poll_id(actions: tuple[Action, ...]) -> int:
    """The id of the poll just started, read from the facilitator's live-message buttons."""
    for action in actions:
        if isinstance(action, SendMessage):
            for row in action.buttons:
                for button in row:
                    if button.data.startswith("pf:"):
                        return int(button.data.split(":")[1])
    raise LookupError("no poll was started")


def ballots_sent(actions: tuple[Action, ...]) -> dict[int, SendMessage]:
    return {
        a.chat_id: a
        for a in actions
        if isinstance(a, SendMessage) and any(b.data.startswith("pv:") for row in a.buttons for b in row)
    }


def labels(message: SendMessage) -> list[str]:
    return [b.text for row in message.buttons for b in row]


def data(message: SendMessage) -> list[str]:
    return [b.data for row in message.buttons for b in row]


async def start(
    flow: FlowHarness, facilitator: Sender, template: str, scope: str = "s"
) -> tuple[int, tuple[Action, ...]]:
    await flow.send(flow.press(facilitator, f"pt:{template}"))
    started = await flow.send(flow.press(facilitator, f"ps:{template}:{scope}"))
    return poll_id(started), started


async def close(flow: FlowHarness, facilitator: Sender, poll: int) -> tuple[Action, ...]:
    return await flow.send(flow.press(facilitator, f"pf:{poll}:close"))


def results(actions: tuple[Action, ...], chat: int) -> str:
    (text,) = [t for t in texts(actions, chat) if t.startswith("📊")]
    return text
