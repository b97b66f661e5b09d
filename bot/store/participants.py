"""Participants and their conversation state: the flows' `Store` port, on one session."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.dashboard_access import SqlDashboardLinks
from bot.store.feedback import SqlFeedback
from bot.store.models import AssemblyRow, ConversationRow, ParticipantRow
from bot.store.polls import SqlPolls
from bot.store.read.digest import SqlReports
from bot.store.registrations import SqlRegistrations
from bot.store.roles import SqlRoles
from bot.store.sessions import SqlSessions, as_participant
from bot.store.tables import SqlTables
from flows.assembly import Assembly
from flows.engine import IDLE, ConversationState, Step
from flows.ports import Participant, Store

Known = dict[int, ParticipantRow | None]
"""Participants' rows by Telegram user id, as read in one unit of work (None: not a participant)."""


async def read_people(session: AsyncSession, assembly_id: str, user_ids: Sequence[int]) -> Known:
    """The rows of these people, in one query: a batch of updates reads its senders at once rather
    than each update its own (`SqlStore(known=...)`)."""
    query = select(ParticipantRow).where(
        ParticipantRow.assembly_id == assembly_id, ParticipantRow.telegram_user_id.in_(list(user_ids))
    )
    known: Known = dict.fromkeys(user_ids)
    known.update((row.telegram_user_id, row) for row in (await session.execute(query)).scalars())
    return known


class BotTaken(ValueError):
    """The bot already speaks for another assembly of the store: each assembly has its own bot."""


async def ensure_assembly(session: AsyncSession, assembly: Assembly, bot_id: int | None = None) -> None:
    """Mirror the definition's id and name into the store, so rows can refer to it; `bot_id`: the
    bot now speaking for it (one bot per assembly: the store refuses a bot already taken)."""
    row = await session.get(AssemblyRow, assembly.id)
    name = assembly.text(assembly.name, assembly.fallback_language)
    if row is None:
        row = AssemblyRow(id=assembly.id, name=name)
        session.add(row)
    else:
        row.name = name
    if bot_id is not None and row.bot_id != bot_id:
        other = select(AssemblyRow.id).where(AssemblyRow.bot_id == bot_id, AssemblyRow.id != assembly.id)
        taken = await session.scalar(other)
        if taken is not None:
            raise BotTaken(
                f"this bot (id {bot_id}) already speaks for assembly {taken} in this database; "
                f"give {assembly.id} a bot of its own (another token from @BotFather)"
            )
        row.bot_id = bot_id


class SqlStore:
    """Implements the flows' `Store` port, with each feature's port as an attribute; never commits."""

    def __init__(self, session: AsyncSession, assembly_id: str, known: Known | None = None) -> None:
        """`known`: people already read in this unit of work (`read_people`), shared with it."""
        self.session = session
        self.assembly_id = assembly_id
        self._sessions = SqlSessions(session, assembly_id)
        self._roles = SqlRoles(session, assembly_id)
        self._tables = SqlTables(session, assembly_id)
        self._polls = SqlPolls(session, assembly_id)
        self._feedback = SqlFeedback(session, assembly_id)
        self._dashboard = SqlDashboardLinks(session, assembly_id)
        self._registrations = SqlRegistrations(session, assembly_id)
        self._reports = SqlReports(session, assembly_id)
        self._known: Known = {} if known is None else known
        self._new: set[int] = set()
        """Participants added in this unit of work who have no conversation row yet."""

    @property
    def sessions(self) -> SqlSessions:
        return self._sessions

    @property
    def roles(self) -> SqlRoles:
        return self._roles

    @property
    def tables(self) -> SqlTables:
        return self._tables

    @property
    def polls(self) -> SqlPolls:
        return self._polls

    @property
    def feedback(self) -> SqlFeedback:
        return self._feedback

    @property
    def dashboard(self) -> SqlDashboardLinks:
        return self._dashboard

    @property
    def registrations(self) -> SqlRegistrations:
        return self._registrations

    @property
    def reports(self) -> SqlReports:
        return self._reports

    async def participants(self, participant_ids: Sequence[int]) -> list[Participant]:
        query = (
            select(ParticipantRow)
            .where(
                ParticipantRow.assembly_id == self.assembly_id, ParticipantRow.id.in_(list(participant_ids))
            )
            .order_by(ParticipantRow.id)
        )
        return [as_participant(row) for row in (await self.session.execute(query)).scalars()]

    async def participant(self, user_id: int) -> Participant | None:
        row = await self._row(user_id)
        return None if row is None else as_participant(row)

    async def add_participant(self, user_id: int, chat_id: int, language: str) -> Participant:
        row = ParticipantRow(
            telegram_user_id=user_id,
            chat_id=chat_id,
            language=language,
            assembly_id=self.assembly_id,
        )
        self.session.add(row)
        await self.session.flush()
        self._known[user_id] = row
        self._new.add(row.id)
        self._roles.added(row.id)
        return as_participant(row)

    async def set_language(self, participant_id: int, language: str) -> None:
        row = await self.session.get_one(ParticipantRow, participant_id)
        row.language = language

    async def mark_reachable(self, user_id: int) -> None:
        """A participant who writes to us has (again) not blocked the bot."""
        row = await self._row(user_id)
        if row is not None and row.blocked_at is not None:
            row.blocked_at = None

    async def _row(self, user_id: int) -> ParticipantRow | None:
        """The participant's row, read once per unit of work: an update asks for it several times
        (reachable, state, the step, saving the state). The session's identity map keeps the row
        current as the step changes it; a row deleted or detached meanwhile is read again, and
        someone unknown stays unknown until `add_participant` (the one place people are added)."""
        if user_id in self._known:
            row = self._known[user_id]
            if row is None:  # a stranger so far: only `add_participant` adds people
                return None
            state = inspect(row)
            if not (state.deleted or state.was_deleted or state.detached) and row.telegram_user_id == user_id:
                return row
        query = select(ParticipantRow).where(
            ParticipantRow.assembly_id == self.assembly_id, ParticipantRow.telegram_user_id == user_id
        )
        row = (await self.session.execute(query)).scalar_one_or_none()
        self._known[user_id] = row
        return row

    async def load_state(self, user_id: int) -> ConversationState:
        row = await self._row(user_id)
        if row is None:
            return IDLE
        conversation = await self.session.get(ConversationRow, row.id)
        if conversation is None:
            return IDLE
        return ConversationState(conversation.flow, Step.decode(conversation.step), dict(conversation.data))

    async def save_state(self, participant_id: int, state: ConversationState) -> None:
        if participant_id in self._new:
            if state == IDLE:  # a first contact that started no conversation: nothing to remember
                return
            self._new.discard(participant_id)
            row = None
        else:
            row = await self.session.get(ConversationRow, participant_id)
        if row is None:
            row = ConversationRow(participant_id=participant_id)
            self.session.add(row)
        row.flow, row.data = state.flow, dict(state.data)
        row.step = None if state.step is None else state.step.encode()


IMPLEMENTS_STORE: Callable[[AsyncSession, str], Store] = SqlStore
"""Where mypy proves that the SQL store implements every port flows use, attribute by attribute."""
