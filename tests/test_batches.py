"""Recorded updates are handled many to a transaction: a failing step loses only its own work, a
chat's updates keep their order, and a batch that cannot commit is done again update by update."""

from __future__ import annotations

import dataclasses
from typing import cast

import pytest
from conftest import BOT_ID, FlowHarness
from polls_room import invite
from sqlalchemy import select, text

from bot.store import updates
from bot.store.models import InboundUpdate, OutboxMessage, ParticipantRow
from bot.telegram.api import TelegramApi
from bot.telegram.runner import APOLOGY, Runner
from bot.telegram.sender import OutboxSender
from flows.engine import Router, StepResult, Turn
from flows.events import Command, Event, Sender
from flows.ports import FACILITATOR
from flows.roles import FACILITATOR_MENU

pytestmark = pytest.mark.both_backends

BROKEN = 666
"""The chat whose steps fail in these tests."""


class Breaking(Router):
    """The real flows, except that a step in chat `BROKEN` fails after it has written."""

    async def route(self, turn: Turn[Event]) -> StepResult:
        result = await super().route(turn)
        if turn.event.sender.chat_id == BROKEN:
            raise RuntimeError("a step that fails")
        return result


def _breaking(flows: Router) -> Breaking:
    return Breaking(**{field.name: getattr(flows, field.name) for field in dataclasses.fields(flows)})


def _help(chat_id: int, language: str = "en") -> Command:
    return Command(Sender(chat_id, chat_id, "Sam", language), "help", "")


async def _record(flow: FlowHarness, events: list[Event]) -> list[int]:
    received = [updates.Received(i + 1, event.sender.chat_id, event) for i, event in enumerate(events)]
    async with flow.db.transaction() as session:
        await updates.record(session, BOT_ID, received)
    return [item.update_id for item in received]


async def _replies(flow: FlowHarness) -> list[tuple[int | None, int, str]]:
    """(update id, chat id, text) of every queued reply, in the order they were queued."""
    async with flow.db.reading() as session:
        rows = await session.execute(
            select(OutboxMessage.update_id, OutboxMessage.chat_id, OutboxMessage.payload).order_by(
                OutboxMessage.id
            )
        )
        return [(update_id, chat_id, payload.get("text", "")) for update_id, chat_id, payload in rows]


def _runner(flow: FlowHarness, router: Router) -> Runner:
    kit = dataclasses.replace(flow.kit, router=router)
    idle = OutboxSender(flow.db, cast(TelegramApi, None), kit.assembly.id)  # never run: nothing is sent
    return Runner(flow.db, cast(TelegramApi, None), kit, idle, bot_id=BOT_ID)


async def test_a_failing_step_loses_only_its_own_work_and_its_person_is_told(flow: FlowHarness) -> None:
    runner = _runner(flow, _breaking(flow.kit.router))
    events: list[Event] = [_help(1), _help(2), _help(BROKEN, "fr"), _help(1), _help(3)]
    ids = await _record(flow, events)
    await runner.drain()

    replies = await _replies(flow)
    apology = flow.kit.translations.for_language("fr").gettext(APOLOGY)
    assert apology != APOLOGY
    by_update = {update_id: (chat_id, said) for update_id, chat_id, said in replies}
    assert len(replies) == len(by_update) == 5
    assert [by_update[update_id][0] for update_id in ids] == [1, 2, BROKEN, 1, 3]
    assert by_update[ids[2]][1] == apology
    assert by_update[ids[0]][1] == by_update[ids[3]][1] != apology
    # Chat 1's two answers were queued in the order of its updates (chats may interleave).
    assert [update_id for update_id, chat_id, _ in replies if chat_id == 1] == [ids[0], ids[3]]
    async with flow.db.reading() as session:
        people = set((await session.execute(select(ParticipantRow.chat_id))).scalars())
        rows = await session.execute(select(InboundUpdate.update_id, InboundUpdate.error))
        log = {update_id: error for update_id, error in rows}
    assert people == {1, 2, 3}  # the failing step's first contact was undone with it
    assert log == {ids[0]: None, ids[1]: None, ids[2]: "flow error", ids[3]: None, ids[4]: None}


async def test_a_first_contact_redeeming_an_invitation_has_its_commands_at_once(flow: FlowHarness) -> None:
    """A batch reads its senders at once, and a person added in a step is known to hold no role
    until the step grants one: a newcomer whose first message spends a facilitator's invitation
    gets the facilitators' commands in their menu, and their `/help` in the same batch lists them."""
    code = await invite(flow.db, flow.kit.assembly, FACILITATOR, flow.clock.now())
    ines, sam = Sender(4242, 4242, "Ines", "en"), Sender(4243, 4243, "Sam", "en")
    await _record(
        flow,
        [Command(ines, "start", f"role-{code}"), _help(sam.chat_id), Command(ines, "help", "")],
    )
    await _runner(flow, flow.kit.router).drain()

    async with flow.db.reading() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.kind, OutboxMessage.payload).order_by(
                OutboxMessage.id
            )
        )
        queued = [(chat_id, kind, payload) for chat_id, kind, payload in rows]
    (menu,) = [payload for chat_id, kind, payload in queued if kind == "SetMenu"]
    assert menu["chat_id"] == ines.chat_id
    commands = [name for name, _ in menu["commands"]]
    assert {name for name, _ in FACILITATOR_MENU} <= set(commands)
    helps = {chat_id: payload["text"] for chat_id, kind, payload in queued if kind == "SendMessage"}
    facilitators_only = FACILITATOR_MENU[0][0]
    assert f"/{facilitators_only}" in helps[ines.chat_id]
    assert f"/{facilitators_only}" not in helps[sam.chat_id]


async def test_a_batch_that_cannot_commit_is_done_again_update_by_update(
    flow: FlowHarness, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("a commit refused after every statement succeeded needs a deferred trigger")
    # As a deadlock between two lanes would, the commit fails while chat BROKEN's update is handled
    # without error; once marked failed, it commits.
    async with flow.db.transaction() as session:
        await session.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
            )
        )
        await session.execute(
            text(
                "CREATE CONSTRAINT TRIGGER refuse AFTER UPDATE ON inbound_updates "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"WHEN (NEW.chat_id = {BROKEN} AND NEW.error IS NULL) EXECUTE FUNCTION refuse()"
            )
        )
    runner = _runner(flow, flow.kit.router)
    ids = await _record(flow, [_help(1), _help(BROKEN, "fr"), _help(2)])
    await runner.drain()

    replies = await _replies(flow)
    apology = flow.kit.translations.for_language("fr").gettext(APOLOGY)
    said = {update_id: (chat_id, text) for update_id, chat_id, text in replies}
    assert len(replies) == 3
    assert said[ids[1]] == (BROKEN, apology)
    assert [said[ids[0]][0], said[ids[2]][0]] == [1, 2]
    async with flow.db.reading() as session:
        rows = await session.execute(select(InboundUpdate.update_id, InboundUpdate.error))
        log = {update_id: error for update_id, error in rows}
    assert log == {ids[0]: None, ids[1]: "flow error", ids[2]: None}
