"""`assembly-bot roles list|revoke`: staff are named as they are known, and a withdrawn role leaves
the person with a participant's menu and no privileged command."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest import FlowHarness
from sqlalchemy import select

from bot.cli.main import main
from bot.store.database import Database
from bot.store.models import OutboxMessage
from bot.store.outbox import decode
from bot.store.roles import create_invite
from flows.actions import SendMessage, SetMenu
from flows.assembly import Assembly
from flows.basics import MENU
from flows.events import Command, Sender


async def _join(flow: FlowHarness, db: Database, person: Sender, role: str) -> None:
    async with db.transaction() as session:
        code = await create_invite(session, flow.kit.assembly.id, role, flow.clock.now(), timedelta(hours=1))
    await flow.send(Command(person, "start", f"role-{code}"))


async def test_revoke_by_first_name_gives_back_a_participants_menu(
    flow: FlowHarness,
    db: Database,
    assembly: Assembly,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    marie, omar = Sender(701, 701, "Marie", "fr"), Sender(702, 702, "Omar", "ar")
    await _join(flow, db, marie, "facilitator")
    await _join(flow, db, omar, "organiser")

    assert await asyncio.to_thread(main, ["roles", "list", "--assembly", assembly.id]) == 0
    listed = capsys.readouterr().out
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in listed.splitlines() if "│" in line]
    assert [row[:2] for row in rows] == [["Marie", "facilitator"], ["Omar", "organiser"]]

    revoke = ["roles", "revoke", "--assembly", assembly.id, "--name"]
    assert await asyncio.to_thread(main, [*revoke, "Nadia"]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(f"nobody called 'Nadia' holds a role in {assembly.id} (staff: Marie, Omar)")
    )
    assert await asyncio.to_thread(main, [*revoke, "marie"]) == 0
    assert "Marie no longer holds facilitator" in capsys.readouterr().out

    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.chat_id == 701, OutboxMessage.topic == "role-revoked"
                )
            )
        ).scalars()
        menu, notice = [decode(row) for row in rows]
    fr = flow.kit.translations.for_language("fr")
    assert isinstance(menu, SetMenu)
    assert menu.commands == tuple((name, fr.gettext(text)) for name, text in MENU)
    assert isinstance(notice, SendMessage)
    assert notice.text.startswith("Assemblée citoyenne bruxelloise sur le climat : votre rôle de facilitat")
    (refused,) = await flow.send(Command(marie, "poll"))
    assert isinstance(refused, SendMessage)
    assert refused.text == fr.gettext("This command is for facilitators of the assembly.")
    (allowed, *_) = await flow.send(Command(omar, "tables"))
    assert isinstance(allowed, SendMessage)
    assert allowed.text != flow.kit.translations.for_language("ar").gettext(
        "This command is for the organisers of the assembly."
    )
