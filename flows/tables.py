"""Tables in a session: organisers assign and pin, participants ask `/mytable`, late arrivals get a seat."""

from __future__ import annotations

from datetime import datetime

from flows.actions import Action, SendMessage
from flows.assembly import Assembly, Session
from flows.engine import Router, StepResult, Turn
from flows.events import Command, Event
from flows.numbers import parse_id, parse_int
from flows.ports import FACILITATOR, ORGANISER, Translator
from flows.roles import refusal
from flows.seating import Plan, assign, met_counts, place_late, table_count


def current_session(assembly: Assembly, now: datetime) -> Session | None:
    """The session under way: from when its check-in opens until it ends."""
    for session in assembly.sessions:
        opens = assembly.start_of(session) - assembly.checkin.opens_before
        if not session.cancelled and opens <= now <= assembly.end_of(session):
            return session
    return None


def _say(turn: Turn[Event], text: str, *more: Action) -> StepResult:
    return StepResult((SendMessage(turn.participant.chat_id, text), *more), turn.state)


def seat_notice(tr: Translator, table: int, facilitator: str | None, chat_id: int) -> SendMessage:
    text = tr.gettext("You sit at table {table}.").format(table=tr.number(table))
    if facilitator:
        text += " " + tr.gettext("Your facilitator is {name}.").format(name=facilitator)
    return SendMessage(chat_id, "🪑 " + text)


async def staff(turn: Turn[Event]) -> set[int]:
    """Facilitators and organisers: they run the session, they are not seated, asked or counted."""
    roles = turn.ctx.store.roles
    return set(await roles.holders(FACILITATOR)) | set(await roles.holders(ORGANISER))


async def seat_session(turn: Turn[Event], session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """Assign the checked-in participants of `session` to tables, once; returns (seating, facilitators)."""
    ctx = turn.ctx
    tables, config = ctx.store.tables, ctx.assembly.tables
    seating = await tables.seating(session.id)
    if seating:
        return seating, await tables.facilitators(session.id)
    roles = ctx.store.roles
    exclude = await staff(turn)
    people = [p for p in await tables.checked_in(session.id) if p not in exclude]
    if not people:
        return {}, {}
    count = table_count(len(people), config.size, config.count, config.min_result)
    plan = Plan(
        people=people,
        tables=count,
        features=await tables.features(people),
        balance=config.balance,
        cluster=config.cluster,
        met=met_counts(await tables.earlier_seatings(session.id)),
        pins=await tables.pins(),
    )
    seating = assign(plan, seed=sum(map(ord, session.id)))
    facilitators = dict(zip(range(1, count + 1), await roles.holders(FACILITATOR), strict=False))
    await tables.seat(session.id, seating, facilitators)
    return seating, facilitators


async def my_table(turn: Turn[Command]) -> StepResult:
    """/mytable: the participant's table in the session under way (a seat is found for late arrivals)."""
    tr, ctx = turn.tr, turn.ctx
    session = current_session(ctx.assembly, ctx.clock.now())
    if session is None:
        return _say(turn, tr.gettext("There is no session under way right now."))
    me, tables = turn.participant.id, ctx.store.tables
    facilitators = await tables.facilitators(session.id)
    mine = [table for table, person in facilitators.items() if person == me]
    if mine:
        text = tr.gettext("You facilitate table {table}.").format(table=tr.number(mine[0]))
        return _say(turn, text)
    if me not in await tables.checked_in(session.id):
        return _say(turn, tr.gettext("Please check in first (/checkin); then I can tell you your table."))
    seating = await tables.seating(session.id)
    if not seating:
        return _say(turn, tr.gettext("The tables have not been assigned yet. Please ask again in a moment."))
    table = seating.get(me)
    if table is None:
        count = max(seating.values())
        table = place_late(seating, count, (await tables.pins()).get(me))
        await tables.seat(session.id, {me: table}, {})
    names = await ctx.store.roles.names(list(facilitators.values()))
    facilitator = names.get(facilitators.get(table, 0))
    notice = seat_notice(tr, table, facilitator, turn.participant.chat_id)
    return StepResult((notice,), turn.state)


async def assign_tables(turn: Turn[Command]) -> StepResult:
    """/tables [SESSION]: organisers seat the checked-in participants and everyone is told their table."""
    denied = await refusal(turn, ORGANISER)
    if denied is not None:
        return denied
    tr, ctx = turn.tr, turn.ctx
    wanted = turn.event.argument.strip()
    session = ctx.assembly.session(wanted) if wanted else current_session(ctx.assembly, ctx.clock.now())
    if session is None:
        return _say(
            turn, tr.gettext("Name a session, e.g. /tables s1, or use it while a session is under way.")
        )
    fresh = not await ctx.store.tables.seating(session.id)
    seating, facilitators = await seat_session(turn, session)
    if not seating:
        return _say(turn, tr.gettext("Nobody is checked in at this session yet."))
    names = await ctx.store.roles.names(list(facilitators.values()))
    title = ctx.assembly.text(session.title, tr.language)
    lines = [tr.gettext("Tables for {title}:").format(title=title)]
    for table in sorted(set(seating.values())):
        size = sum(1 for t in seating.values() if t == table)
        line = tr.ngettext("Table {table}: {count} participant", "Table {table}: {count} participants", size)
        line = line.format(table=tr.number(table), count=tr.number(size))
        if table in facilitators:
            line += " – " + names.get(facilitators[table], "?")
        lines.append(line)
    notices: list[Action] = []
    if fresh:
        people = await ctx.store.participants(list(seating))
        for person in people:
            person_tr = ctx.translations.for_language(person.language)
            facilitator = names.get(facilitators.get(seating[person.id], 0))
            notices.append(seat_notice(person_tr, seating[person.id], facilitator, person.chat_id))
    return _say(turn, "\n".join(lines), *notices)


MAX_TABLE = 100
"""The highest table number /pin accepts."""


async def pin(turn: Turn[Command]) -> StepResult:
    """/pin PARTICIPANT TABLE (or `off`): organisers keep someone at one table in every session."""
    denied = await refusal(turn, ORGANISER)
    if denied is not None:
        return denied
    tr = turn.tr
    words = turn.event.argument.split()
    usage = tr.gettext("Write /pin followed by the participant number and a table number (or 'off').")
    person = parse_id(words[0]) if len(words) == 2 else None
    table = None if len(words) != 2 or words[1] == "off" else parse_int(words[1], 1, MAX_TABLE)
    if person is None or (table is None and words[1] != "off"):
        return _say(turn, usage)
    if not await turn.ctx.store.sessions.is_confirmed(person):
        return _say(
            turn, tr.gettext("Participant {number} is not a confirmed participant.").format(number=person)
        )
    await turn.ctx.store.tables.pin(person, table)
    if table is None:
        return _say(turn, tr.gettext("Participant {number} is no longer pinned.").format(number=person))
    text = tr.gettext("Participant {number} will sit at table {table}.").format(number=person, table=table)
    return _say(turn, text)


def install(router: Router) -> None:
    router.commands.update({"mytable": my_table, "tables": assign_tables, "pin": pin})
