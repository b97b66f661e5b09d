"""`assembly-bot sessions list|rsvps|code|attend`: the sessions, who comes, check-in codes, attendance."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.bootstrap import Core
from bot.cli.common import (
    Access,
    CliError,
    assembly_for,
    bot_username,
    open_core,
    organiser_core,
    writable_file,
)
from bot.cli.options import add_assembly_options, add_bot_username_option, whole
from bot.jobs.session_mirror import sync_sessions
from bot.store.quotas import sync_quotas
from bot.store.read import attendance
from bot.store.sessions import SessionRecord, SqlSessions, session_rows
from flows.numbers import ROW_ID_MAX
from flows.ports import Presence
from flows.sessions.checkin import LINK_PREFIX

_NOT_MIRRORED = "start the bot, or run `assembly-bot sessions sync`, to store it"

FAR_AHEAD = timedelta(days=1)
"""A session starting later than this is not one anybody can be marked present at yet."""


async def _session(core: Core, key: str) -> SessionRecord:
    assembly = core.kit.assembly
    async with core.db.transaction() as session:
        found = next((s for s in await session_rows(session, assembly.id) if s.key == key), None)
    if found is None and assembly.session(key) is not None:
        raise CliError(f"session '{key}' is not in the store yet: {_NOT_MIRRORED}")
    if found is None:
        known = ", ".join(s.id for s in assembly.sessions) or "none"
        raise CliError(f"no session '{key}' in assembly {assembly.id} (sessions: {known})", 2)
    return found


def _status(row: SessionRecord, now: datetime) -> str:
    """What an organiser needs to know of a session at a glance."""
    if row.cancelled_at:
        return "cancelled"
    if row.ends_at <= now:
        return "held"
    if row.starts_at <= now:
        return "under way"
    return "moved" if row.revision > 1 else "planned"


async def _list(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)
    from rich.table import Table  # noqa: PLC0415 (rich loads only when printing)

    async with organiser_core(args, Access.READ) as core:
        assembly = core.kit.assembly
        async with core.db.transaction() as session:
            stored = await session_rows(session, assembly.id)
        table = Table("session", "title", "starts", "ends", "status", "check-in code")
        now = core.kit.clock.now()
        for row in stored:
            definition = assembly.session(row.key)
            title = assembly.text(definition.title if definition else row.title, assembly.fallback_language)
            status = _status(row, now)
            starts, ends = row.starts_at.astimezone(assembly.zone), row.ends_at.astimezone(assembly.zone)
            table.add_row(
                row.key, title, f"{starts:%Y-%m-%d %H:%M}", f"{ends:%H:%M}", status, row.checkin_code
            )
        console = Console()
        console.print(table)
        known = {row.key for row in stored}
        for definition in assembly.sessions:
            if definition.id not in known:
                console.print(f"session '{definition.id}' is not in the store yet: {_NOT_MIRRORED}")


async def _rsvps(args: argparse.Namespace) -> None:
    """Per session: confirmed participants coming, not coming, silent, present, late; details for one."""
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)
    from rich.table import Table  # noqa: PLC0415 (rich loads only when printing)

    console = Console()
    async with organiser_core(args, Access.READ) as core:
        assembly = core.kit.assembly
        async with core.db.transaction() as session:
            stored = await session_rows(session, assembly.id)
            book = await attendance.register(session, assembly.id)
        if args.session:
            wanted = await _session(core, args.session)
            stored = [row for row in stored if row.key == wanted.key]
        answers, present = book.rsvps, book.presences
        summary = Table("session", "coming", "can't come", "no answer", "present", "late")
        for row in stored:
            keys = [(row.key, pid) for pid, _ in book.confirmed]
            coming = sum(1 for k in keys if k in answers and answers[k].answer == "coming")
            absent = sum(1 for k in keys if k in answers and answers[k].answer == "absent")
            late = sum(1 for k in keys if k in present and present[k].late)
            here = sum(1 for k in keys if k in present)
            summary.add_row(
                row.key, str(coming), str(absent), str(len(keys) - coming - absent), str(here), str(late)
            )
        console.print(summary)
        if not args.session:
            return
        (row,) = stored
        details = Table("participant", "language", "answer", "reason", "checked in")
        for pid, language in book.confirmed:
            answer, presence = answers.get((row.key, pid)), present.get((row.key, pid))
            checked = ""
            if presence is not None:
                checked = f"{presence.at.astimezone(assembly.zone):%H:%M}"
                checked += " late" if presence.late else ""
                checked += " (by hand)" if presence.method == "manual" else ""
            details.add_row(
                str(pid),
                language,
                answer.answer if answer else "",
                (answer.reason or "") if answer else "",
                checked,
            )
        console.print(details)


async def _code(args: argparse.Namespace) -> None:
    """The session's check-in code, its deep link and QR code (terminal, and PNG with --qr)."""
    import segno  # noqa: PLC0415 (only this command draws QR codes)
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)

    if args.qr is not None:
        writable_file(args.qr)
    async with organiser_core(args, Access.READ) as core:
        row = await _session(core, args.session)
    username = await bot_username(args.bot_username, core.kit.assembly)
    link = f"https://t.me/{username}?start={LINK_PREFIX}-{row.checkin_code}"
    console = Console()
    console.print(f"Check-in code for {row.key}: [bold]{row.checkin_code}[/bold]")
    console.print(f"Link: {link}")
    qr = segno.make(link, error="m")
    if args.qr:
        try:
            qr.save(str(args.qr), scale=10, border=4)
        except OSError as error:
            raise CliError(f"cannot write {args.qr}: {error.strerror}") from None
        console.print(f"QR code written to {args.qr}")
    else:
        qr.terminal(compact=True)


async def _attend(args: argparse.Namespace) -> None:
    """Mark a participant present by hand; late when after the start plus `checkin.late_after`."""
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)

    console = Console()
    async with organiser_core(args, Access.WRITE) as core:
        assembly = core.kit.assembly
        row = await _session(core, args.session)
        now = core.kit.clock.now()
        if row.starts_at - now > FAR_AHEAD and not args.anyway:
            raise CliError(
                f"{row.key} starts {row.starts_at.astimezone(assembly.zone):%Y-%m-%d %H:%M}, not today: "
                "nothing recorded (add --anyway to record it all the same)",
                2,
            )
        late = args.late if args.late is not None else now > row.starts_at + assembly.checkin.late_after
        async with core.db.transaction() as session:
            store = SqlSessions(session, assembly.id)
            if not await store.is_confirmed(args.participant):
                raise CliError(
                    f"participant {args.participant} is not a confirmed participant of {assembly.id}"
                )
            said = (await store.rsvps(args.participant)).get(row.key)
            if said is not None and said.answer == "absent":
                reason = f" ({said.reason})" if said.reason else ""
                console.print(f"Note: participant {args.participant} had said they can't come{reason}.")
            recorded = await store.check_in(args.participant, row.key, Presence(now, late, "manual"))
            earlier = (await store.presences(args.participant))[row.key]
        if recorded:
            console.print(
                f"Participant {args.participant} marked present at {row.key}{' (late)' if late else ''}."
            )
        else:
            when = earlier.at.astimezone(assembly.zone)
            console.print(f"Participant {args.participant} was already checked in at {when:%H:%M}.")


async def _sync(args: argparse.Namespace) -> None:
    """Apply the definition's session changes now, as the bot does at start-up, telling people."""
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)

    settings, assembly = assembly_for(args)
    async with open_core(settings, assembly) as core, core.db.transaction() as session:
        notices = await sync_sessions(session, assembly, core.kit.translations, core.kit.clock.now())
        await sync_quotas(session, assembly)
    Console().print(
        f"Sessions of {assembly.id} mirrored from the definition; {notices} notices queued "
        "(the running bot sends them)."
    )


def register(commands: Any) -> None:
    sessions = commands.add_parser("sessions", help="sessions: list, answers, check-in code, attendance")
    verbs = sessions.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="the sessions with their times and check-in codes")
    add_assembly_options(listing)
    listing.set_defaults(handler=_list)
    rsvps = verbs.add_parser("rsvps", help="who is coming, who is not, who checked in")
    add_assembly_options(rsvps)
    rsvps.add_argument("--session", metavar="S", help="details for session S")
    rsvps.set_defaults(handler=_rsvps)
    code = verbs.add_parser("code", help="show a session's check-in code, link and QR code")
    add_assembly_options(code)
    code.add_argument("--session", metavar="S", required=True)
    add_bot_username_option(code)
    code.add_argument("--qr", type=Path, metavar="FILE.png", help="write the QR code as a PNG instead")
    code.set_defaults(handler=_code)
    attend = verbs.add_parser("attend", help="mark a participant present by hand")
    add_assembly_options(attend)
    attend.add_argument("--session", metavar="S", required=True)
    attend.add_argument(
        "--participant",
        type=whole(1, ROW_ID_MAX),
        required=True,
        metavar="PID",
        help="id from `sessions rsvps`",
    )
    attend.add_argument(
        "--anyway", action="store_true", help="record it even for a session that does not start within a day"
    )
    late = attend.add_mutually_exclusive_group()
    late.add_argument("--late", dest="late", action="store_true", default=None, help="record as late")
    late.add_argument("--on-time", dest="late", action="store_false", help="record as on time")
    attend.set_defaults(handler=_attend)
    sync = verbs.add_parser(
        "sync", help="apply the definition's session changes now and queue their notices to participants"
    )
    add_assembly_options(sync)
    sync.set_defaults(handler=_sync)
