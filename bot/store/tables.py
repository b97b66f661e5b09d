"""Seating in the store: the flows' `TableStore` port over seats, tables, pins and participant features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import audit
from bot.store.models import (
    AnswerRow,
    AttendanceRow,
    ParticipantRow,
    SessionRow,
    TablePin,
    TableRow,
    TableSeatRow,
)
from bot.store.sessions import session_pk


class SqlTables:
    """Implements `flows.ports.TableStore` on the caller's session; never commits."""

    def __init__(self, session: AsyncSession, assembly_id: str) -> None:
        self.session, self.assembly_id = session, assembly_id

    async def _id(self, key: str) -> int:
        return await session_pk(self.session, self.assembly_id, key)

    async def checked_in(self, session_id: str) -> list[int]:
        query = (
            select(AttendanceRow.participant_id)
            .where(AttendanceRow.session_id == await self._id(session_id))
            .order_by(AttendanceRow.participant_id)
        )
        return list((await self.session.execute(query)).scalars())

    async def seating(self, session_id: str) -> dict[int, int]:
        query = select(TableSeatRow.participant_id, TableSeatRow.table_no).where(
            TableSeatRow.session_id == await self._id(session_id)
        )
        return dict((await self.session.execute(query)).tuples().all())

    async def earlier_seatings(self, session_id: str) -> list[dict[int, int]]:
        current = await self._id(session_id)
        query = (
            select(TableSeatRow.session_id, TableSeatRow.participant_id, TableSeatRow.table_no)
            .join(SessionRow, SessionRow.id == TableSeatRow.session_id)
            .where(SessionRow.assembly_id == self.assembly_id, TableSeatRow.session_id != current)
        )
        seatings: dict[int, dict[int, int]] = {}
        for session, participant, table in (await self.session.execute(query)).tuples():
            seatings.setdefault(session, {})[participant] = table
        return list(seatings.values())

    async def seat(
        self, session_id: str, seating: Mapping[int, int], facilitators: Mapping[int, int]
    ) -> None:
        key = await self._id(session_id)
        known = await self.seating(session_id)
        for participant, table in seating.items():
            if participant in known:
                row = await self.session.get_one(TableSeatRow, (key, participant))
                row.table_no = table
            else:
                self.session.add(TableSeatRow(session_id=key, participant_id=participant, table_no=table))
        for table, facilitator in facilitators.items():
            existing = await self.session.get(TableRow, (key, table))
            if existing is None:
                self.session.add(TableRow(session_id=key, table_no=table, facilitator_id=facilitator))
            else:
                existing.facilitator_id = facilitator
        await self.session.flush()
        await audit.record(
            self.session,
            self.assembly_id,
            "tables_assigned",
            actor=await audit.staff(self.session, self.assembly_id),
            session_key=session_id,
            tables=len(set(seating.values())),
            seated=len(seating),
        )

    async def facilitators(self, session_id: str) -> dict[int, int]:
        query = select(TableRow.table_no, TableRow.facilitator_id).where(
            TableRow.session_id == await self._id(session_id), TableRow.facilitator_id.is_not(None)
        )
        return {table: person for table, person in (await self.session.execute(query)).tuples() if person}

    async def pins(self) -> dict[int, int]:
        query = (
            select(TablePin.participant_id, TablePin.table_no)
            .join(ParticipantRow, ParticipantRow.id == TablePin.participant_id)
            .where(ParticipantRow.assembly_id == self.assembly_id)
        )
        return dict((await self.session.execute(query)).tuples().all())

    async def pin(self, participant_id: int, table: int | None) -> None:
        await self.session.execute(delete(TablePin).where(TablePin.participant_id == participant_id))
        if table is not None:
            self.session.add(TablePin(participant_id=participant_id, table_no=table))
        await self.session.flush()
        actor = await audit.staff(self.session, self.assembly_id)
        await audit.record(
            self.session, self.assembly_id, "pin", actor=actor, participant=participant_id, table=table
        )

    async def features(self, participant_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """Each participant's single-valued registration answers by question id, plus `language`
        (the language they use with the bot), so tables can be balanced or clustered by them."""
        ids = list(participant_ids)
        found: dict[int, dict[str, str]] = {pid: {} for pid in ids}
        languages = select(ParticipantRow.id, ParticipantRow.language).where(ParticipantRow.id.in_(ids))
        for pid, language in (await self.session.execute(languages)).all():
            found[pid]["language"] = language
        answers = select(AnswerRow.participant_id, AnswerRow.question_id, AnswerRow.value).where(
            AnswerRow.participant_id.in_(ids)
        )
        for pid, question, value in (await self.session.execute(answers)).all():
            if isinstance(value, str | bool | int):
                found[pid][question] = str(value)
        return found
