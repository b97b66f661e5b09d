"""Secret ballots: no running result anywhere, and no result on any surface below the small-result
minimum, whatever the poll's scope. Each surface that can show a poll is listed in SURFACES; the guard
changes the stored ballot and checks that no surface shows anything different."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from conftest import FlowHarness
from polls_room import open_room, room_assembly
from pydantic import ValidationError
from sqlalchemy import select, update

from bot.dashboard.app import COOKIE, make_app
from bot.jobs.polls import PollJob
from bot.organiser.exports import export
from bot.store import dashboard_access, outbox
from bot.store.database import Database
from bot.store.models import OutboxMessage, PollRow, SecretBallotRow
from bot.store.participants import SqlStore
from flows.actions import AnswerButton, EditMessage, SendDocument, SendMessage, SendPhoto
from flows.assembly import Assembly, PollTemplate
from flows.events import Command, Sender
from flows.polls.compose import spec_of
from flows.polls.live import live_tag
from flows.polls.results import close_poll
from flows.ports import Poll

DASHBOARD_URL = "https://dashboard.example.org/"
MINIMUM = 2
"""The room's `tables.min_result`."""


def test_a_secret_template_always_hides_its_results() -> None:
    texts = {"en": "Question?"}
    normalised = PollTemplate(id="quiet", kind="single", secret=True, question=texts, options=[texts, texts])
    assert normalised.hide_results
    with pytest.raises(ValidationError, match="a secret ballot always hides its results"):
        PollTemplate(
            id="loud", kind="single", secret=True, hide_results=False, question=texts, options=[texts, texts]
        )


@pytest.fixture
async def room(db: Database, assembly: Assembly) -> FlowHarness:
    harness = FlowHarness(db, room_assembly(assembly))
    harness.kit = dataclasses.replace(harness.kit, dashboard_url=DASHBOARD_URL)
    await harness.prepare()
    return harness


class Surfaces:
    """Everything a facilitator, an organiser or a participant can see of some polls, each surface as a
    comparable value."""

    def __init__(self, room: FlowHarness, polls: list[Poll], organiser: Sender, tmp: Path) -> None:
        self.room, self.polls, self.organiser, self.tmp = room, polls, organiser, tmp
        self.runs = 0

    async def live(self) -> object:
        """The facilitator's live messages as the live-count job edits them while the polls are open."""
        room = self.room
        async with room.db.transaction() as session:
            await session.execute(update(PollRow).values(shown=0))
        await PollJob(room.db, room.kit, wake=lambda: None).refresh_counts()
        async with room.db.transaction() as session:
            rows = (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind == "EditMessage")
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
            edits = [outbox.decode(row) for row in rows]
        return {edit.message_id: edit.text for edit in edits if isinstance(edit, EditMessage)}

    async def chat(self) -> object:
        """The results sent on closing (this closes the poll): to the facilitator and, as the poll
        shares its results, to each participant."""
        room = self.room
        actions = []
        for poll in self.polls:
            async with room.db.transaction() as session:
                actions += await close_poll(room.kit.context(SqlStore(session, room.kit.assembly.id)), poll)
        assert actions
        return [
            (type(a).__name__, a.chat_id, a.text if isinstance(a, SendMessage) else a.data)
            for a in actions
            if isinstance(a, SendMessage | SendPhoto)
        ]

    async def dashboard(self) -> object:
        """The dashboard's polls page and each poll's chart, as an organiser signed in sees them."""
        room = self.room
        (reply,) = await room.send(Command(self.organiser, "dashboard", ""))
        assert isinstance(reply, SendMessage)
        found = re.search(r"/login/(\S+)", reply.text)
        assert found
        async with room.db.transaction() as session:
            opened = await dashboard_access.sign_in(
                session, room.kit.assembly, found.group(1), room.clock.now()
            )
        assert opened is not None
        app = make_app(room.db, room.kit, secure_cookies=False)
        async with TestClient(TestServer(app)) as client:
            client.session.cookie_jar.update_cookies({COOKIE: opened[0]})
            page = await client.get("/polls")
            assert page.status == 200
            seen: list[object] = [await page.text()]
            for poll in self.polls:
                chart = await client.get(f"/polls/{poll.id}.png")
                seen += [chart.status, await chart.read()]
            return seen

    async def digest(self) -> object:
        """What /digest sends an organiser: its text and its CSV (the chart is of registrations)."""
        actions = await self.room.send(Command(self.organiser, "digest", ""))
        texts = [a.text for a in actions if isinstance(a, SendMessage)]
        return texts, [a.data for a in actions if isinstance(a, SendDocument)]

    async def exports(self) -> object:
        """Every export format that holds rows as text, personal columns included."""
        self.runs += 1
        files: list[bytes] = []
        for fmt in ("csv", "json"):
            out = self.tmp / f"{fmt}-{self.runs}"
            for path in await export(
                self.room.db,
                self.room.kit.assembly,
                fmt,
                out,
                include_personal=True,
                translations=self.room.kit.translations,
            ):
                files.append(path.read_bytes())
        return files


OPEN_SURFACES = ("live",)
CLOSED_SURFACES = ("chat", "dashboard", "digest", "exports")


async def _secret_poll(
    room: FlowHarness,
    facilitator: Sender,
    people: list[Sender],
    table: int | None,
    template_id: str = "heat-pumps",
) -> Poll:
    """A secret poll (by default the agreement scale) shared with participants, stored as a definition
    without `hide_results` used to start one: the rule holds for polls started before it, too."""
    template = room.kit.assembly.poll(template_id)
    assert template is not None
    spec = dataclasses.replace(spec_of(template), secret=True, hide_results=False, share_results=True)
    async with room.db.transaction() as session:
        store = SqlStore(session, room.kit.assembly.id)
        staff = await store.participant(facilitator.user_id)
        members = [await store.participant(p.user_id) for p in people]
        assert staff is not None
        assert all(members)
        poll = await store.polls.create(
            spec,
            "s1",
            table=table,
            facilitator_id=staff.id,
            recipients=[m.id for m in members if m],
            now=room.clock.now(),
            closes_at=None,
        )
        (live,) = outbox.enqueue(
            session,
            room.kit.assembly.id,
            facilitator.chat_id,
            [SendMessage(facilitator.chat_id, "live", tag=live_tag(poll))],
        )
        await session.flush()
        await outbox.mark_sent(session, live.id, 4000 + poll.id, None)
    return poll


async def _see(surfaces: Surfaces, names: tuple[str, ...]) -> dict[str, object]:
    return {name: await getattr(surfaces, name)() for name in names}


async def _reopen(room: FlowHarness, polls: list[Poll]) -> None:
    async with room.db.transaction() as session:
        await session.execute(
            update(PollRow).where(PollRow.id.in_([p.id for p in polls])).values(closed_at=None)
        )


async def _change_every_ballot(room: FlowHarness, choice: int) -> None:
    async with room.db.transaction() as session:
        await session.execute(update(SecretBallotRow).values(ballot={"c": choice}))


async def test_no_surface_shows_a_secret_ballot_below_the_minimum(room: FlowHarness, tmp_path: Path) -> None:
    facilitator, organiser, people = await open_room(room)
    whole = await _secret_poll(room, facilitator, people[:3], None)
    table = await _secret_poll(room, facilitator, people[3:], 1)
    surfaces = Surfaces(room, [whole, table], organiser, tmp_path)
    assert set(OPEN_SURFACES + CLOSED_SURFACES) == {
        name for name in vars(Surfaces) if not name.startswith("_")
    }, "a new surface must be listed here"

    for poll, voter in ((whole, people[0]), (table, people[3])):
        await room.send(room.press(voter, f"pv:{poll.id}:c:0"))  # "Strongly agree"
    seen = await _see(surfaces, OPEN_SURFACES)
    live = seen["live"]
    assert isinstance(live, dict)
    assert [text.splitlines()[-1] for text in live.values()] == ["1 of 3 answered"] * 2
    seen |= await _see(surfaces, CLOSED_SURFACES)  # "chat" closes the polls
    chat = seen["chat"]
    assert isinstance(chat, list)
    assert [kind for kind, _, _ in chat] == ["SendMessage"] * 8  # no chart, to nobody
    to_facilitator = [text for _, chat_id, text in chat if chat_id == facilitator.chat_id]
    assert len(to_facilitator) == 2
    for text in to_facilitator:
        assert "Too few answers to show the result of this secret ballot (at least 2 are needed)." in text
        assert "Strongly agree" not in text

    # Each one ballot becomes another: not one surface changes, for the whole session or a table.
    await _reopen(room, [whole, table])
    await _change_every_ballot(room, 4)
    again = await _see(surfaces, OPEN_SURFACES)
    again |= await _see(surfaces, CLOSED_SURFACES)
    for name, value in seen.items():
        assert again[name] == value, name

    # With the minimum reached the result is shown, so the same change does show: the check can fail.
    surfaces = Surfaces(room, [whole], organiser, tmp_path)
    await _reopen(room, [whole])
    await room.send(room.press(people[1], f"pv:{whole.id}:c:0"))
    assert "Strongly" not in str(await surfaces.live())  # still no running result while open
    shown = await surfaces.chat()
    assert isinstance(shown, list)
    await _reopen(room, [whole])
    await _change_every_ballot(room, 3)
    assert await surfaces.chat() != shown
    assert "Strongly agree: 1 (50 %)" in shown[0][2]


async def test_an_open_table_poll_shows_its_running_result_only_from_the_minimum(room: FlowHarness) -> None:
    """The same rule for a poll that is not secret: a table's running result waits for the minimum."""
    facilitator, _, people = await open_room(room)
    poll = await _secret_poll(room, facilitator, people[:3], 1)
    async with room.db.transaction() as session:
        open_spec = dataclasses.replace(poll.spec, secret=False)
        await session.execute(
            update(PollRow).where(PollRow.id == poll.id).values(spec=dataclasses.asdict(open_spec))
        )
    poll = dataclasses.replace(poll, spec=open_spec)
    surfaces = Surfaces(room, [poll], facilitator, Path())
    await room.send(room.press(people[0], f"pv:{poll.id}:c:0"))
    assert "Strongly agree" not in str(await surfaces.live())
    await room.send(room.press(people[1], f"pv:{poll.id}:c:1"))
    assert "Strongly agree: 1 (50 %)" in str(await surfaces.live())


async def test_a_secret_block_asks_for_no_reason(room: FlowHarness) -> None:
    """Words can tell who wrote them, and a ballot without its voter could not be erased with them."""
    facilitator, _, people = await open_room(room)
    poll = await _secret_poll(room, facilitator, people[:3], None, "car-free-2035")
    cast = await room.send(room.press(people[0], f"pv:{poll.id}:c:3"))
    notices = [a.text for a in cast if isinstance(a, AnswerButton)]
    assert "Votre vote secret est enregistré. Merci !" in notices
    async with room.db.transaction() as session:
        assert list((await session.execute(select(SecretBallotRow.ballot))).scalars()) == [{"c": 3}]
