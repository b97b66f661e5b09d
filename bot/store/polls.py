"""Polls in the store: the flows' `PollStore` port.

Who has answered is `poll_recipients.voted`; what was answered is `poll_answers` (open polls, one
row per participant, replaced on change) or `poll_ballots` (secret polls: a random key, the poll and
the choice; no participant, no time, no sequence). A secret ballot therefore cannot be changed: the
store keeps nothing that could find it again, which is the point.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import audit
from bot.store.models import (
    ParticipantRow,
    PollAnswerRow,
    PollRecipientRow,
    PollRow,
    SecretBallotRow,
    SessionRow,
)
from bot.store.sessions import session_row
from flows.polls.votes import Ballot, Choice, Choices, Dots, Ranking, Written
from flows.ports import Participant, Poll, PollSpec


def ballot_to_json(ballot: Ballot) -> dict[str, Any]:
    """A ballot as stored in `poll_answers.ballot` and `poll_ballots.ballot`: one key per kind of answer
    (`c`, `m`, `d`, `r`, `t`), which the report views (report_poll_options) unpack in SQL."""
    match ballot:
        case Choice(index, None):
            return {"c": index}
        case Choice(index, reason):
            return {"c": index, "reason": reason}
        case Choices(indices):
            return {"m": list(indices)}
        case Dots(points):
            return {"d": list(points)}
        case Ranking(order):
            return {"r": list(order)}
        case Written(text):
            return {"t": text}


def ballot_from_json(data: Mapping[str, Any]) -> Ballot:
    if "c" in data:
        return Choice(int(data["c"]), data.get("reason"))
    if "m" in data:
        return Choices(tuple(data["m"]))
    if "d" in data:
        return Dots(tuple(data["d"]))
    if "r" in data:
        return Ranking(tuple(data["r"]))
    return Written(str(data["t"]))


def spec_from_json(data: Mapping[str, Any]) -> PollSpec:
    fields = dict(data)
    fields["options"] = tuple(fields.get("options", ()))
    return PollSpec(**fields)


def view(row: PollRow, session_key: str) -> Poll:
    return Poll(
        id=row.id,
        spec=spec_from_json(row.spec),
        session=session_key,
        table=row.table_no,
        facilitator_id=row.facilitator_id or 0,
        closed=row.closed_at is not None,
        closes_at=row.closes_at,
    )


@dataclass(frozen=True)
class OpenPoll:
    """A poll still open, with the answer count its facilitator's live message last showed."""

    poll: Poll
    shown: int


async def open_polls(session: AsyncSession, assembly_id: str) -> list[OpenPoll]:
    """The assembly's open polls, oldest first."""
    query = (
        select(PollRow, SessionRow.key)
        .join(SessionRow, SessionRow.id == PollRow.session_id)
        .where(SessionRow.assembly_id == assembly_id, PollRow.closed_at.is_(None))
        .order_by(PollRow.id)
    )
    return [OpenPoll(view(row, key), row.shown) for row, key in (await session.execute(query)).tuples()]


async def set_shown(session: AsyncSession, poll_id: int, answered: int) -> None:
    """The live message now shows `answered`: the next change is measured from here."""
    (await session.get_one(PollRow, poll_id)).shown = answered


async def progress(session: AsyncSession, poll_id: int) -> tuple[int, int]:
    """(answered, recipients) of a poll."""
    query = select(func.count(), func.count().filter(PollRecipientRow.voted)).where(
        PollRecipientRow.poll_id == poll_id
    )
    total, answered = (await session.execute(query)).one()
    return int(answered), int(total)


class SqlPolls:
    """Implements `flows.ports.PollStore` on the caller's session; never commits."""

    def __init__(self, session: AsyncSession, assembly_id: str) -> None:
        self.session, self.assembly_id = session, assembly_id

    async def create(
        self,
        spec: PollSpec,
        session_id: str,
        *,
        table: int | None,
        facilitator_id: int,
        recipients: Sequence[int],
        now: datetime,
        closes_at: datetime | None,
    ) -> Poll:
        session = await session_row(self.session, self.assembly_id, session_id)
        if session is None:
            raise LookupError(f"session {session_id!r} is not in the store")
        row = PollRow(
            session_id=session.id,
            table_no=table,
            facilitator_id=facilitator_id,
            spec=dataclasses.asdict(spec),
            created_at=now,
            closes_at=closes_at,
        )
        self.session.add(row)
        await self.session.flush()
        self.session.add_all(PollRecipientRow(poll_id=row.id, participant_id=p) for p in recipients)
        await self.session.flush()
        await audit.record(
            self.session,
            self.assembly_id,
            "poll_started",
            actor=await audit.staff(self.session, self.assembly_id, facilitator_id),
            now=now,
            poll=row.id,
            session_key=session_id,
            table=table,
            kind=spec.kind,
            recipients=len(recipients),
        )
        return view(row, session_id)

    async def get(self, poll_id: int) -> Poll | None:
        query = (
            select(PollRow, SessionRow.key)
            .join(SessionRow, SessionRow.id == PollRow.session_id)
            .where(PollRow.id == poll_id, SessionRow.assembly_id == self.assembly_id)
        )
        found = (await self.session.execute(query)).tuples().one_or_none()
        return None if found is None else view(*found)

    async def is_recipient(self, poll_id: int, participant_id: int) -> bool:
        return await self.session.get(PollRecipientRow, (poll_id, participant_id)) is not None

    async def has_voted(self, poll_id: int, participant_id: int) -> bool:
        row = await self.session.get(PollRecipientRow, (poll_id, participant_id))
        return row is not None and row.voted

    async def answer(self, poll: Poll, participant_id: int, ballot: Ballot, now: datetime) -> bool:
        stored = ballot_to_json(ballot)
        if poll.spec.secret:
            # Spend the right to vote and drop the ballot in the box in one step: the UPDATE only
            # succeeds once, so a double press (or two workers) cannot add a second ballot.
            spent = await self.session.execute(
                update(PollRecipientRow)
                .where(
                    PollRecipientRow.poll_id == poll.id,
                    PollRecipientRow.participant_id == participant_id,
                    PollRecipientRow.voted.is_(False),
                )
                .values(voted=True)
            )
            if spent.rowcount != 1:  # type: ignore[attr-defined]
                return False
            self.session.add(SecretBallotRow(id=uuid.uuid4().hex, poll_id=poll.id, ballot=stored))
            await self.session.flush()
            return True
        row = await self.session.get(PollAnswerRow, (poll.id, participant_id))
        if row is None:
            self.session.add(
                PollAnswerRow(poll_id=poll.id, participant_id=participant_id, ballot=stored, answered_at=now)
            )
        else:
            row.ballot, row.answered_at = stored, now
        recipient = await self.session.get_one(PollRecipientRow, (poll.id, participant_id))
        recipient.voted = True
        await self.session.flush()
        return True

    async def ballots(self, poll_id: int) -> list[Ballot]:
        return (await self.ballots_of([poll_id]))[poll_id]

    async def ballots_of(self, poll_ids: Sequence[int]) -> dict[int, list[Ballot]]:
        """Each poll's ballots, secret ones first, in two queries however many polls (a page of the
        dashboard reads those of every open-text and instant-runoff poll on it)."""
        found: dict[int, list[Ballot]] = {poll_id: [] for poll_id in poll_ids}
        for table in (SecretBallotRow, PollAnswerRow):
            query = select(table.poll_id, table.ballot).where(table.poll_id.in_(poll_ids))
            for poll_id, ballot in (await self.session.execute(query)).tuples():
                found[poll_id].append(ballot_from_json(ballot))
        return found

    async def voters(self, poll_id: int) -> list[tuple[int, bool]]:
        query = (
            select(PollRecipientRow.participant_id, PollRecipientRow.voted)
            .where(PollRecipientRow.poll_id == poll_id)
            .order_by(PollRecipientRow.participant_id)
        )
        return [(p, bool(v)) for p, v in (await self.session.execute(query)).tuples()]

    async def close(self, poll_id: int, now: datetime) -> bool:
        closed = await self.session.execute(
            update(PollRow).where(PollRow.id == poll_id, PollRow.closed_at.is_(None)).values(closed_at=now)
        )
        if closed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        actor = await audit.staff(self.session, self.assembly_id)
        await audit.record(self.session, self.assembly_id, "poll_closed", actor=actor, now=now, poll=poll_id)
        return True

    async def recipients(self, poll_id: int) -> list[Participant]:
        query = (
            select(ParticipantRow)
            .join(PollRecipientRow, PollRecipientRow.participant_id == ParticipantRow.id)
            .where(PollRecipientRow.poll_id == poll_id, ParticipantRow.blocked_at.is_(None))
            .order_by(ParticipantRow.id)
        )
        return [
            Participant(r.id, r.telegram_user_id, r.chat_id, r.language)
            for r in (await self.session.execute(query)).scalars()
        ]

    async def sibling_ballots(self, poll: Poll) -> list[Ballot]:
        session = await session_row(self.session, self.assembly_id, poll.session)
        if session is None or poll.spec.template is None:
            return []
        query = select(PollRow.id, PollRow.spec).where(
            PollRow.session_id == session.id, PollRow.table_no.is_not(None), PollRow.closed_at.is_not(None)
        )
        ids = [
            i
            for i, spec in (await self.session.execute(query)).tuples()
            if spec.get("template") == poll.spec.template
        ]
        found = await self.ballots_of(ids)
        return [ballot for poll_id in ids for ballot in found[poll_id]]
