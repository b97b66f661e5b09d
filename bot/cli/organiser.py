"""Organisers' commands: `announce`, `sessions list|rsvps|code|attend` and `roles invite`, on the store.

Each command mirrors the definition's sessions first (as the bot does at start-up), so it works
before the bot's first run; anything to send goes to the outbox for the running bot's sender.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from bot.adapters.clock import SystemClock
from bot.adapters.i18n import Catalogs
from bot.bootstrap import make_api
from bot.cli.common import CliError, assembly_for, open_database, read_settings, with_assembly
from bot.jobs.reminders import sync_sessions
from bot.organiser.announce import AnnouncementError, load_texts, progress, queue_announcement
from bot.store import outbox
from bot.store.database import Database
from bot.store.models import AttendanceRow, ParticipantRow, RsvpRow, SessionRow
from bot.store.quotas import sync_quotas
from bot.store.roles import create_invite
from bot.store.sessions import CONFIRMED, SqlSessions, session_row, session_rows
from flows.assembly import Assembly
from flows.ports import ROLES, Presence
from flows.roles import LINK_PREFIX as ROLE_PREFIX
from flows.sessions.checkin import LINK_PREFIX

console = Console()


@contextlib.asynccontextmanager
async def open_store(args: argparse.Namespace) -> AsyncIterator[tuple[Database, Assembly]]:
    """The store, migrated, with the definition's sessions and quotas mirrored; `--assembly` must match."""
    settings, assembly = assembly_for(args)
    db = await open_database(settings, assembly)
    try:
        async with db.transaction() as session:
            translations = Catalogs(assembly.languages, assembly.zone)
            await sync_sessions(session, assembly, translations, SystemClock().now())
            await sync_quotas(session, assembly)
        yield db, assembly
    finally:
        await db.dispose()


async def _session(db: Database, assembly: Assembly, key: str) -> SessionRow:
    async with db.transaction() as session:
        row = await session_row(session, assembly.id, key)
    if row is None:
        known = ", ".join(s.id for s in assembly.sessions) or "none"
        raise CliError(f"no session '{key}' in assembly {assembly.id} (sessions: {known})", 2)
    return row


async def _announce(args: argparse.Namespace) -> None:
    async with open_store(args) as (db, assembly):
        try:
            texts = load_texts(args.file, assembly)
            announcement, recipients = await queue_announcement(db, assembly, texts, args.session)
        except AnnouncementError as error:
            raise CliError(str(error), 2) from None
        audience = f"session {args.session}" if args.session else "all confirmed participants"
        console.print(f"Announcement {announcement} queued for {recipients} participants ({audience}).")
        if args.no_wait or recipients == 0:
            console.print("The running bot (`assembly-bot run`) sends it.")
            return
        console.print("The running bot sends it; Ctrl-C stops watching (the messages stay queued).")
        await _watch(db, announcement)


async def _watch(db: Database, announcement: int) -> None:
    """A progress bar over the announcement's outbox rows until none is pending."""
    counts = await progress(db, announcement)
    total = sum(counts.values())
    columns = (TextColumn("delivering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("delivering", total=total)
        while True:
            counts = await progress(db, announcement)
            bar.update(task, completed=total - counts.get(outbox.PENDING, 0))
            if not counts.get(outbox.PENDING):
                break
            await asyncio.sleep(0.5)
    outcome = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    console.print(f"Done: {outcome}.")


async def _list(args: argparse.Namespace) -> None:
    async with open_store(args) as (db, assembly):
        async with db.transaction() as session:
            rows = await session_rows(session, assembly.id)
        table = Table("session", "title", "starts", "ends", "status", "check-in code")
        for row in rows:
            definition = assembly.session(row.key)
            title = assembly.text(definition.title if definition else row.title, assembly.fallback_language)
            status = "cancelled" if row.cancelled_at else f"revision {row.revision}"
            starts, ends = row.starts_at.astimezone(assembly.zone), row.ends_at.astimezone(assembly.zone)
            table.add_row(
                row.key, title, f"{starts:%Y-%m-%d %H:%M}", f"{ends:%H:%M}", status, row.checkin_code
            )
        console.print(table)


async def _rsvps(args: argparse.Namespace) -> None:
    """Per session: confirmed participants coming, not coming, silent, present, late; details for one."""
    async with open_store(args) as (db, assembly):
        async with db.transaction() as session:
            sessions = await session_rows(session, assembly.id)
            confirmed = (
                await session.execute(
                    select(ParticipantRow.id, ParticipantRow.language)
                    .where(ParticipantRow.assembly_id == assembly.id, ParticipantRow.status == CONFIRMED)
                    .order_by(ParticipantRow.id)
                )
            ).all()
            answers = {
                (r.session_id, r.participant_id): r
                for r in (await session.execute(select(RsvpRow))).scalars()
            }
            present = {
                (r.session_id, r.participant_id): r
                for r in (await session.execute(select(AttendanceRow))).scalars()
            }
        if args.session:
            wanted = await _session(db, assembly, args.session)
            sessions = [row for row in sessions if row.id == wanted.id]
        summary = Table("session", "coming", "can't come", "no answer", "present", "late")
        for row in sessions:
            keys = [(row.id, pid) for pid, _ in confirmed]
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
        (row,) = sessions
        details = Table("participant", "language", "answer", "reason", "checked in")
        for pid, language in confirmed:
            answer, presence = answers.get((row.id, pid)), present.get((row.id, pid))
            checked = ""
            if presence is not None:
                checked = f"{presence.checked_in_at.astimezone(assembly.zone):%H:%M}"
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

    async with open_store(args) as (db, assembly):
        row = await _session(db, assembly, args.session)
    username = args.bot or await _bot_username()
    link = f"https://t.me/{username}?start={LINK_PREFIX}-{row.checkin_code}"
    console.print(f"Check-in code for {row.key}: [bold]{row.checkin_code}[/bold]")
    console.print(f"Link: {link}")
    qr = segno.make(link, error="m")
    if args.qr:
        qr.save(str(args.qr), scale=10, border=4)
        console.print(f"QR code written to {args.qr}")
    else:
        qr.terminal(compact=True)


async def _bot_username() -> str:
    settings = read_settings()
    if settings.telegram_bot_token is None:
        raise CliError("give the bot's username with --bot, or set TELEGRAM_BOT_TOKEN to ask the Bot API", 2)
    api = make_api("aiogram", settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        _, username = await api.identity()
    except Exception as error:
        raise CliError(
            f"cannot ask the Bot API for the bot's username ({type(error).__name__}); use --bot"
        ) from None
    finally:
        await api.close()
    return username


async def _attend(args: argparse.Namespace) -> None:
    """Mark a participant present by hand; late when after the start plus `checkin.late_after`."""
    async with open_store(args) as (db, assembly):
        row = await _session(db, assembly, args.session)
        now = SystemClock().now()
        late = args.late if args.late is not None else now > row.starts_at + assembly.checkin.late_after
        async with db.transaction() as session:
            store = SqlSessions(session, assembly.id)
            if not await store.is_confirmed(args.participant):
                raise CliError(
                    f"participant {args.participant} is not a confirmed participant of {assembly.id}"
                )
            recorded = await store.check_in(args.participant, row.key, Presence(now, late, "manual"))
            earlier = (await store.presences(args.participant))[row.key]
        if recorded:
            console.print(
                f"Participant {args.participant} marked present at {row.key}{' (late)' if late else ''}."
            )
        else:
            when = earlier.at.astimezone(assembly.zone)
            console.print(f"Participant {args.participant} was already checked in at {when:%H:%M}.")


async def _invite(args: argparse.Namespace) -> None:
    """A one-time role invite: shown once here, stored only as a hash, single use, expiring."""
    if not 1 <= args.expires_hours <= 24 * 30:
        raise CliError("--expires-hours must be between 1 and 720", 2)
    async with open_store(args) as (db, assembly), db.transaction() as session:
        code = await create_invite(
            session, assembly.id, args.role, SystemClock().now(), timedelta(hours=args.expires_hours)
        )
    username = args.bot or await _bot_username()
    console.print(f"One-time {args.role} invite for {assembly.id}, valid {args.expires_hours} h:")
    console.print(f"https://t.me/{username}?start={ROLE_PREFIX}-{code}", markup=False, soft_wrap=True)
    console.print("Send it to one person only; it works once and is not stored in readable form.")


def add_organiser_commands(commands: Any) -> None:
    """Register `announce` and `sessions ...` on the `assembly-bot` sub-command parser."""
    announce = commands.add_parser(
        "announce",
        help="send a translated announcement to confirmed participants",
        description="Queue a message for every confirmed participant (or those expected at one session) "
        "in their language, and watch the running bot deliver it.",
    )
    with_assembly(announce)
    announce.add_argument("--file", type=Path, required=True, help="YAML file with one text per language")
    announce.add_argument(
        "--session", metavar="S", help="only those expected at session S (not who declined)"
    )
    announce.add_argument("--no-wait", action="store_true", help="queue and exit without watching delivery")
    announce.set_defaults(handler=_announce)

    sessions = commands.add_parser("sessions", help="sessions: list, answers, check-in code, attendance")
    verbs = sessions.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="the sessions with their times and check-in codes")
    with_assembly(listing)
    listing.set_defaults(handler=_list)
    rsvps = verbs.add_parser("rsvps", help="who is coming, who is not, who checked in")
    with_assembly(rsvps)
    rsvps.add_argument("--session", metavar="S", help="details for session S")
    rsvps.set_defaults(handler=_rsvps)
    code = verbs.add_parser("code", help="show a session's check-in code, link and QR code")
    with_assembly(code)
    code.add_argument("--session", metavar="S", required=True)
    code.add_argument("--bot", metavar="USERNAME", help="the bot's username (default: ask the Bot API)")
    code.add_argument("--qr", type=Path, metavar="FILE.png", help="write the QR code as a PNG instead")
    code.set_defaults(handler=_code)
    attend = verbs.add_parser("attend", help="mark a participant present by hand")
    with_assembly(attend)
    attend.add_argument("--session", metavar="S", required=True)
    attend.add_argument(
        "--participant", type=int, required=True, metavar="PID", help="id from `sessions rsvps`"
    )
    late = attend.add_mutually_exclusive_group()
    late.add_argument("--late", dest="late", action="store_true", default=None, help="record as late")
    late.add_argument("--on-time", dest="late", action="store_false", help="record as on time")
    attend.set_defaults(handler=_attend)

    roles = commands.add_parser("roles", help="facilitator and organiser roles")
    role_verbs = roles.add_subparsers(dest="verb", required=True, metavar="VERB")
    invite = role_verbs.add_parser("invite", help="print a one-time invite link for a role")
    with_assembly(invite)
    invite.add_argument("--role", choices=list(ROLES), required=True)
    invite.add_argument("--expires-hours", type=int, default=72, metavar="H", help="validity (default 72)")
    invite.add_argument("--bot", metavar="USERNAME", help="the bot's username (default: ask the Bot API)")
    invite.set_defaults(handler=_invite)
