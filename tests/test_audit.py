"""The audit log: each privileged action, done through its real path, leaves exactly one row naming
the staff member (or the command line, or the bot) and never a participant's name, phone or words;
the database refuses to change or delete a row; organisers read it on the dashboard and export it."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from conftest import FlowHarness, mirror_sessions
from polls_room import PEOPLE, S1_START, check_in, close, invite, room_assembly, start
from prometheus_client import REGISTRY
from sqlalchemy import delete, select, update

from bot.adapters.charts import BarCharts
from bot.bootstrap import build_kit
from bot.cli.main import main
from bot.dashboard.app import COOKIE, make_app
from bot.jobs.digest import send_digests
from bot.logs import update_context
from bot.organiser.announce import queue_announcement
from bot.organiser.exports import export
from bot.organiser.lottery.confirmations import expire_overdue
from bot.organiser.lottery.selection import run_selection
from bot.store import audit, dashboard_access, roles
from bot.store.database import Database
from bot.store.models import AuditRow
from bot.store.participants import SqlStore
from bot.telegram.health import serve
from flows.assembly import Assembly
from flows.events import Command, Sender
from flows.status import ParticipantStatus

PRIVATE = ("Zoë Verhaegen", "+32470999888", "I cannot come on Saturdays because of my shift")
"""What participants gave: none of it may reach the audit log."""


async def _as(flow: FlowHarness, sender: Sender, command: str, argument: str = "") -> None:
    """A command handled as the runner handles it: inside the update's context (update and chat)."""
    with update_context(1, sender.chat_id):
        await flow.send(Command(sender, command, argument))


async def _join(flow: FlowHarness, role: str, user_id: int, name: str) -> Sender:
    code = await invite(flow.db, flow.kit.assembly, role, flow.clock.now())
    sender = Sender(user_id, user_id, name, "en")
    await _as(flow, sender, "start", f"role-{code}")
    return sender


async def _pool(db: Database, assembly: Assembly, size: int) -> None:
    """Complete registrations with a name, a phone number and a free-text answer each."""
    rng, now = random.Random(5), datetime.now(UTC)
    reg = assembly.registration
    assert reg is not None
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        for n in range(size):
            person = await store.add_participant(30_000 + n, 30_000 + n, rng.choice(assembly.languages))
            for question in reg.features:
                await store.registrations.save_answer(
                    person.id, question.id, rng.choice(question.values), now
                )
            for question in reg.questions:
                if question.kind == "text":
                    await store.registrations.save_answer(person.id, question.id, PRIVATE[0], now)
                elif question.kind == "phone":
                    await store.registrations.save_answer(person.id, question.id, PRIVATE[1], now)
            await store.registrations.set_status(person.id, ParticipantStatus.REGISTERED, now)


async def _perform_every_action(db: Database, assembly: Assembly, tmp_path: Path) -> int:
    """Each privileged action once, as its real path does it; returns the facilitator's participant id."""
    flow = FlowHarness(db, room_assembly(assembly))
    await flow.prepare()
    room = flow.kit.assembly
    # Registrations and the lottery (the command line's path), then the deadlines passing.
    await _pool(db, room, 40)
    kit = build_kit(room)
    now = datetime.now(UTC)
    draws = REGISTRY.get_sample_value("assembly_bot_draws_total") or 0.0
    await run_selection(
        db, room, kit.translations, seats=6, seed=77, algorithm="library-legacy", reserves=4, now=now
    )
    assert REGISTRY.get_sample_value("assembly_bot_draws_total") == draws + 1  # and its time is measured
    async with db.transaction() as session:
        await expire_overdue(session, room, now + timedelta(days=30), kit.translations)

    # Staff join by invite; the organiser seats the room and pins someone; the facilitator polls.
    await mirror_sessions(db, room, flow.clock.now())
    flow.clock.set(S1_START + timedelta(minutes=10))
    seated = await check_in(db, room, PEOPLE)
    facilitator = await _join(flow, "facilitator", 900, "Sam")
    organiser = await _join(flow, "organiser", 901, "Noor")
    await _as(flow, organiser, "tables")
    await _as(flow, organiser, "digest")  # the digest in chat, now
    await _as(flow, organiser, "pin", f"{seated[0]} 2")
    with update_context(2, facilitator.chat_id):
        poll, _ = await start(flow, facilitator, "lunch")
        await close(flow, facilitator, poll)

    # The organiser signs in to the dashboard; the command line exports and announces; the digest goes.
    async with db.transaction() as session:
        organiser_id = (await SqlStore(session, room.id).participant(901)).id  # type: ignore[union-attr]
        token = await dashboard_access.SqlDashboardLinks(session, room.id).issue_link(
            organiser_id, flow.clock.now(), timedelta(minutes=15)
        )
    async with db.transaction() as session:
        assert await dashboard_access.sign_in(session, room, token, flow.clock.now()) is not None
    await export(db, room, "json", tmp_path / "export", translations=kit.translations)
    await queue_announcement(db, room, {language: PRIVATE[2] for language in room.languages})
    await send_digests(db, room, kit.translations, BarCharts(), now)

    # The command line withdraws the facilitator's role (after their poll).
    async with db.transaction() as session:
        facilitator_id = (await SqlStore(session, room.id).participant(900)).id  # type: ignore[union-attr]
        assert (
            await roles.revoke(session, room.id, facilitator_id, ["facilitator"], audit.operator()) == set()
        )
        # Withdrawing a role no longer held changes nothing and records nothing.
        await roles.revoke(session, room.id, facilitator_id, ["facilitator"], audit.operator())

    # A participant erases their data.
    async with db.transaction() as session:
        await SqlStore(session, room.id).registrations.erase(seated[1], ParticipantStatus.FORGOTTEN)

    return facilitator_id


@pytest.mark.both_backends
async def test_every_privileged_action_leaves_one_row_without_personal_data(
    db: Database, assembly: Assembly, tmp_path: Path
) -> None:
    facilitator_id = await _perform_every_action(db, assembly, tmp_path)
    room_id = assembly.id
    async with db.transaction() as session:
        rows = list((await session.execute(select(AuditRow).order_by(AuditRow.id))).scalars())
    assert Counter(row.action for row in rows) == {
        "lottery": 1,
        "confirmations_expired": 1,
        "role_granted": 2,
        "role_revoked": 1,
        "tables_assigned": 1,
        "pin": 1,
        "poll_started": 1,
        "poll_closed": 1,
        "dashboard_sign_in": 1,
        "export": 1,
        "announcement": 1,
        "digest_sent": 2,
        "erasure": 1,
    }
    assert {row.assembly_id for row in rows} == {room_id}
    asked, scheduled = (row for row in rows if row.action == "digest_sent")
    assert (asked.actor, asked.detail) == ("Noor (organiser)", {"recipients": 1, "requested": True})
    assert (scheduled.actor, scheduled.detail["recipients"]) == (audit.BOT, 2)
    by_action = {row.action: row for row in rows}
    assert by_action["tables_assigned"].actor == by_action["pin"].actor == "Noor (organiser)"
    assert by_action["poll_started"].actor == by_action["poll_closed"].actor == "Sam (facilitator)"
    assert by_action["dashboard_sign_in"].actor == "Noor (organiser)"
    assert by_action["lottery"].actor.startswith("command line (")
    assert by_action["role_revoked"].actor == by_action["lottery"].actor
    assert by_action["role_revoked"].detail == {"role": "facilitator", "participant": facilitator_id}
    assert by_action["confirmations_expired"].actor == audit.BOT
    assert by_action["erasure"].actor == audit.NOBODY
    assert by_action["erasure"].detail == {}
    draw = by_action["lottery"].detail
    assert (draw["seed"], draw["algorithm"], draw["seats"], draw["pool"]) == (77, "library-legacy", 6, 40)
    assert "sortition-algorithms" in draw["libraries"]
    assert "highspy" in draw["libraries"]
    assert len(draw["input_sha256"]) == 64
    everything = " ".join(f"{row.actor} {row.action} {row.detail}" for row in rows)
    for private in PRIVATE:
        assert private not in everything

    # Append-only: the database itself refuses to rewrite or remove what happened.
    for statement in (update(AuditRow).values(actor="someone else"), delete(AuditRow)):
        with pytest.raises(Exception, match="append-only"):
            async with db.transaction() as session:
                await session.execute(statement)


async def test_organisers_read_the_log_on_the_dashboard_and_export_it(
    db: Database, sqlite_url: str, assembly: Assembly, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    flow = FlowHarness(db, assembly)
    await flow.prepare()
    organiser = await _join(flow, "organiser", 901, "Noor")
    facilitator = await _join(flow, "facilitator", 900, "Sam")
    cookies = {}
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        for user, who in ((901, organiser), (900, facilitator)):
            person = await store.participant(user)
            assert person is not None
            token = await dashboard_access.SqlDashboardLinks(session, assembly.id).issue_link(
                person.id, flow.clock.now(), timedelta(minutes=15)
            )
            opened = await dashboard_access.sign_in(session, assembly, token, flow.clock.now())
            assert opened is not None
            cookies[who.user_id] = opened[0]
    listener = await serve(make_app(db, flow.kit, secure_cookies=False), "127.0.0.1", 0)
    port = listener.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/audit", cookies={COOKIE: cookies[901]}) as page:
                html = await page.text()
                assert page.status == 200
            async with http.get(f"http://127.0.0.1:{port}/audit", cookies={COOKIE: cookies[900]}) as refused:
                assert refused.status == 403
                assert "Dashboard sign-in" not in await refused.text()
    finally:
        await listener.cleanup()
    assert html.count("Role granted") == 2
    assert html.count("Dashboard sign-in") == 2
    assert "Noor (organiser)" in html
    assert "Sam (facilitator)" in html

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    out = tmp_path / "audit.csv"
    assert (
        await asyncio.to_thread(main, ["audit", "export", "--assembly", assembly.id, "--out", str(out)]) == 0
    )
    exported = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["action"] for row in exported] == ["role_granted"] * 2 + ["dashboard_sign_in"] * 2
    assert json.loads(exported[0]["detail"]) == {"role": "organiser"}
    assert exported[0]["actor"] == "Noor (organiser)"
    # The export is itself recorded, after what it wrote.
    async with db.transaction() as session:
        assert [entry.action async for entry in audit.entries(session, assembly.id)][-1] == "export"
