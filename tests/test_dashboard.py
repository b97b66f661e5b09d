"""The dashboard's store side on SQLite and PostgreSQL: /dashboard links, sign-in, sessions that end
when the role or the person goes, and results whose numbers match the rows they count."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict
from datetime import timedelta
from statistics import mean

import pytest
from conftest import FlowHarness, add_confirmed, mirror_sessions
from dashboard_data import populate_results
from polls_room import join
from sqlalchemy import delete, func, select
from test_reports import T0

from bot.store import dashboard_access, outbox
from bot.store.database import Database
from bot.store.models import DashboardLinkRow, DashboardSessionRow, OutboxMessage, RoleRow
from bot.store.participants import SqlStore
from bot.store.read import dashboard as dashboard_reports
from flows.actions import SendMessage
from flows.assembly import Assembly
from flows.events import Command
from flows.polls.compose import spec_of
from flows.polls.results import tally_of
from flows.polls.votes import Choice

DASHBOARD_URL = "https://dashboard.example.org/"


async def _link(flow: FlowHarness, user_id: int, language: str) -> str:
    """The token of the link the bot sends on /dashboard (checked to be a link to DASHBOARD_URL)."""
    (reply,) = await flow.send(Command(flow.sender(user_id, language), "dashboard", ""))
    assert isinstance(reply, SendMessage)
    assert reply.ephemeral
    found = re.search(r"https://dashboard\.example\.org/login/(\S+)", reply.text)
    assert found, reply.text
    return found.group(1)


async def test_dashboard_links_only_for_facilitators_and_organisers(flow: FlowHarness) -> None:
    stranger = flow.sender(555, "de")
    (refusal,) = await flow.send(Command(stranger, "dashboard", ""))
    assert isinstance(refusal, SendMessage)
    assert (
        refusal.text
        == "Nur Moderatorinnen, Moderatoren und das Organisationsteam können das Dashboard öffnen."
    )

    facilitator = await join(flow, "facilitator", 900, "fr")
    (unset,) = await flow.send(Command(facilitator, "dashboard", ""))
    assert isinstance(unset, SendMessage)
    assert "pas encore installé" in unset.text

    flow.kit = dataclasses.replace(flow.kit, dashboard_url=DASHBOARD_URL)
    token = await _link(flow, 900, "fr")
    async with flow.db.transaction() as session:
        stored = (await session.execute(select(DashboardLinkRow.token_hash))).scalars().all()
        viewer = await dashboard_access.link_viewer(session, flow.kit.assembly, token, flow.clock.now())
    assert token not in stored  # only its hash
    assert viewer is not None
    assert (viewer.role, viewer.language) == ("facilitator", "fr")

    # The reply holding the link is forgotten by the outbox once it is sent.
    async with flow.db.transaction() as session:
        (row,) = outbox.enqueue(
            session, flow.kit.assembly.id, 900, [SendMessage(900, "link", ephemeral=True)]
        )
        await session.flush()
        await outbox.mark_sent(session, row.id, 1, None)
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.both_backends
async def test_a_link_opens_one_session_once_and_only_in_its_assembly(flow: FlowHarness) -> None:
    flow.kit = dataclasses.replace(flow.kit, dashboard_url=DASHBOARD_URL)
    assembly = flow.kit.assembly
    await join(flow, "organiser", 901, "nl")
    token = await _link(flow, 901, "nl")
    other = assembly.model_copy(update={"id": "another-assembly"})
    now = flow.clock.now()
    async with flow.db.transaction() as session:
        assert await dashboard_access.sign_in(session, other, token, now) is None
        opened = await dashboard_access.sign_in(session, assembly, token, now)
    assert opened is not None
    secret, viewer = opened
    assert viewer.role == "organiser"
    async with flow.db.transaction() as session:
        assert await dashboard_access.sign_in(session, assembly, token, now) is None  # used
        assert await dashboard_access.session_viewer(session, assembly, secret, now) == viewer
        assert await dashboard_access.session_viewer(session, other, secret, now) is None
        later = now + dashboard_access.SESSION_VALID
        assert await dashboard_access.session_viewer(session, assembly, secret, later) is None

    # A link not used within its 15 minutes no longer opens anything.
    late = await _link(flow, 901, "nl")
    async with flow.db.transaction() as session:
        assert await dashboard_access.sign_in(session, assembly, late, now + timedelta(minutes=16)) is None


@pytest.mark.both_backends
async def test_sessions_end_when_the_role_or_the_person_goes(flow: FlowHarness) -> None:
    flow.kit = dataclasses.replace(flow.kit, dashboard_url=DASHBOARD_URL)
    assembly, now = flow.kit.assembly, flow.clock.now()
    secrets: dict[int, str] = {}
    for user_id in (900, 901):
        await join(flow, "facilitator", user_id, "en")
        token = await _link(flow, user_id, "en")
        async with flow.db.transaction() as session:
            opened = await dashboard_access.sign_in(session, assembly, token, now)
        assert opened is not None
        secrets[user_id] = opened[0]

    # The role is withdrawn in the store: the open session shows nothing from the next page on.
    async with flow.db.transaction() as session:
        revoked = await SqlStore(session, assembly.id).participant(900)
        assert revoked is not None
        await session.execute(delete(RoleRow).where(RoleRow.participant_id == revoked.id))
    async with flow.db.transaction() as session:
        assert await dashboard_access.session_viewer(session, assembly, secrets[900], now) is None
        assert await dashboard_access.session_viewer(session, assembly, secrets[901], now) is not None

    # /forget: the person's sessions and links go with their data.
    await flow.send(Command(flow.sender(901, "en"), "forget", ""))
    await flow.send(flow.press(flow.sender(901, "en"), "fg:yes"))
    async with flow.db.transaction() as session:
        assert await dashboard_access.session_viewer(session, assembly, secrets[901], now) is None
        owners = set((await session.execute(select(DashboardSessionRow.participant_id))).scalars())
        owners |= set((await session.execute(select(DashboardLinkRow.participant_id))).scalars())
    assert owners == {revoked.id}


@pytest.mark.both_backends
async def test_poll_results_match_the_ballots_counted_again(db: Database, assembly: Assembly) -> None:
    data = await populate_results(db, assembly)
    async with db.transaction() as session:
        results = {
            r.poll.id: r for r in await dashboard_reports.poll_results(session, assembly.id, minimum=2)
        }
        closed, still_open = await dashboard_reports.poll_counts(session, assembly.id)
    assert (closed, still_open) == (len(data.ballots) + 1, 1)
    assert results[data.open_poll].tally is None
    assert results[data.small_table_poll].answers == 1
    kinds: Counter[tuple[str, bool]] = Counter()
    for poll_id, cast in data.ballots.items():
        result = results[poll_id]
        expected = tally_of(result.poll, cast)
        assert result.tally is not None
        assert result.answers == len(cast) == result.tally.answers
        assert result.tally.counts == expected.counts, result.poll.spec.kind
        assert (result.tally.average, result.tally.middle, result.tally.support) == (
            expected.average,
            expected.middle,
            expected.support,
        )
        assert (result.tally.blocked, result.tally.winner) == (expected.blocked, expected.winner)
        kinds[result.poll.spec.kind, result.poll.spec.secret] += 1
    assert {kind for kind, _ in kinds} == {
        "single",
        "multiple",
        "scale",
        "proposal",
        "score",
        "dots",
        "ranking",
        "text",
    }
    assert ("single", True) in kinds
    assert ("scale", True) in kinds


@pytest.mark.both_backends
@pytest.mark.parametrize("language", [None, "fr", "ar"])
async def test_feedback_by_participants_language_matches_the_rows(
    db: Database, assembly: Assembly, language: str | None
) -> None:
    data = await populate_results(db, assembly)
    async with db.transaction() as session:
        figures = await dashboard_reports.feedback(session, assembly.id, language)
    speaks = lambda person: language is None or data.people[person] == language  # noqa: E731
    values: dict[str, list[int]] = defaultdict(list)
    for person, question, value in data.ratings:
        if speaks(person):
            values[question].append(value)
    assert {(r.session_key, r.question): (r.answers, round(r.average, 9)) for r in figures.ratings} == {
        ("s1", q): (len(v), round(mean(v), 9)) for q, v in values.items()
    }
    comments = [(text, detected) for person, text, detected in data.comments if speaks(person)]
    assert sorted((c.text, c.language) for c in figures.comments) == sorted(comments)
    assert figures.comments_by_language == Counter(detected or "und" for _, detected in comments)
    assert comments  # the filter leaves something to compare


@pytest.mark.both_backends
async def test_another_assemblys_polls_and_feedback_stay_out(db: Database, assembly: Assembly) -> None:
    """Two assemblies in one store: each dashboard counts only its own."""
    data = await populate_results(db, assembly)
    other = data.assembly.model_copy(update={"id": "another-assembly"})
    await mirror_sessions(db, other, T0)
    person = await add_confirmed(db, other, 99_001, "fr")
    async with db.transaction() as session:
        store = SqlStore(session, other.id)
        spec = spec_of(other.polls[0])
        poll = await store.polls.create(
            spec, "s1", table=None, facilitator_id=person.id, recipients=[person.id], now=T0, closes_at=None
        )
        await store.polls.answer(poll, person.id, Choice(0), T0)
        await store.polls.close(poll.id, T0)
        await store.feedback.rate("s1", person.id, other.feedback.ratings[0].id, 1)
        await store.feedback.comment("s1", person.id, "from elsewhere", "fr")
    async with db.transaction() as session:
        ours = await dashboard_reports.poll_results(session, assembly.id, minimum=2)
        theirs = await dashboard_reports.poll_results(session, other.id, minimum=1)
        our_feedback = await dashboard_reports.feedback(session, assembly.id, None)
        counts = await dashboard_reports.poll_counts(session, assembly.id)
    assert [r.poll.id for r in theirs] == [poll.id]
    assert theirs[0].tally is not None
    assert theirs[0].tally.counts[0] == 1
    assert poll.id not in {r.poll.id for r in ours}
    assert len(ours) == len(data.ballots) + 2
    assert counts == (len(data.ballots) + 1, 1)
    assert sum(r.answers for r in our_feedback.ratings) == len(data.ratings)
    assert "from elsewhere" not in {c.text for c in our_feedback.comments}
