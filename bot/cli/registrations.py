"""`assembly-bot registrations`: people without Telegram. `import` registers them from a CSV file
(consent given on paper; organisers also register them by phone in the chat, /register_by_phone),
`call-list` lists those drawn for staff to phone, `confirm` records the answer they gave on the phone."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, assembly_for, open_core, write_out
from bot.cli.options import add_assembly_options
from bot.organiser.registrations_import import check_file, import_registrations
from bot.store import paper
from bot.store.participants import SqlStore
from flows.confirmation import CONFIRMED, DECLINED, release_seat
from flows.status import ParticipantStatus


async def _import(args: argparse.Namespace) -> None:
    settings, assembly = assembly_for(args)
    if assembly.registration is None:
        raise CliError(f"assembly '{assembly.id}' has no registration section in its definition", 2)
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read {args.file}: {error}") from None
    checked = check_file(assembly, text)
    if checked.problems:
        for problem in checked.problems:
            print(f"{args.file}: row {problem.row}: {problem.reason}", file=sys.stderr)
        rows = len({problem.row for problem in checked.problems})
        raise CliError(f"{rows} row(s) of {args.file} cannot be imported; nothing was imported")
    if args.dry_run:
        print(f"{len(checked.people)} registration(s) in {args.file} are valid; nothing imported (dry run).")
        return
    async with open_core(settings, assembly) as core:
        added = await import_registrations(core.db, assembly, checked.people, core.kit.clock.now())
    version = assembly.registration.consent.version
    print(
        f"{len(added)} people registered from {args.file} (participants {added[0]}-{added[-1]}),"
        f" consent given on paper to notice version {version}; they take part in the next draw."
    )


async def _call_list(args: argparse.Namespace) -> None:
    settings, assembly = assembly_for(args)
    registration = assembly.registration
    personal = (
        [q.id for q in registration.questions if q.kind in ("text", "phone")]
        if registration is not None and args.include_personal
        else []
    )
    async with open_core(settings, assembly) as core, core.db.transaction() as session:
        people = await paper.call_list(session, assembly.id, personal)
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(["participant", "status", "deadline", *personal])
    for person in people:
        deadline = person.deadline.isoformat() if person.deadline else ""
        answers = ["" if person.answers.get(q) is None else str(person.answers[q]) for q in personal]
        writer.writerow([person.participant_id, person.status, deadline, *answers])
    write_out(args.out, output.getvalue())
    if args.out is not None:
        print(f"{len(people)} people to call written to {args.out}", file=sys.stderr)


async def _confirm(args: argparse.Namespace) -> None:
    settings, assembly = assembly_for(args)
    async with open_core(settings, assembly) as core, core.db.transaction() as session:
        now = core.kit.clock.now()
        if not await paper.on_paper(session, assembly.id, args.participant):
            who = f"participant {args.participant}"
            raise CliError(f"{who} was not registered by staff (paper or phone) in '{assembly.id}'")
        store = SqlStore(session, assembly.id).registrations
        seat = await store.seat(args.participant)
        status = await store.status(args.participant)
        if seat is None or status is not ParticipantStatus.SELECTED:
            raise CliError(
                f"participant {args.participant} has no seat waiting for an answer ({status.value})"
            )
        if args.decline:
            await store.close_seat(args.participant, seat.selection_id, DECLINED, now)
            await store.set_status(args.participant, ParticipantStatus.DECLINED, now)
            reached = await release_seat(
                store,
                assembly,
                core.kit.translations,
                participant_id=args.participant,
                selection_id=seat.selection_id,
                now=now,
            )
            offered = (
                "no reserve left" if reached is None else f"offered to participant {reached.participant_id}"
            )
            print(f"participant {args.participant} declined; the seat was {offered}.")
            return
        await store.close_seat(args.participant, seat.selection_id, CONFIRMED, now)
        await store.set_status(args.participant, ParticipantStatus.CONFIRMED, now)
    print(f"participant {args.participant} confirmed their seat.")


def register(commands: Any) -> None:
    """Register `registrations import|call-list|confirm` on the `assembly-bot` sub-command parser."""
    group = commands.add_parser(
        "registrations", help="people without Telegram: paper and phone registrations"
    )
    actions = group.add_subparsers(dest="registrations_command", required=True, metavar="ACTION")
    load = actions.add_parser(
        "import",
        help="register people from a CSV file (consent given on paper)",
        description="One row per person; columns named after question ids, holding option ids as the "
        "definition spells them (several separated by ';'); optional questions may be absent; an "
        "optional `language` column. Checked as the chat checks answers; all rows or none.",
    )
    add_assembly_options(load)
    load.add_argument("file", type=Path, metavar="FILE.csv")
    load.add_argument("--dry-run", action="store_true", help="check every row and change nothing")
    load.set_defaults(handler=_import)
    calls = actions.add_parser("call-list", help="drawn people without Telegram, for staff to phone (CSV)")
    add_assembly_options(calls)
    calls.add_argument(
        "--include-personal",
        action="store_true",
        help="add their names and phone numbers (text and phone answers)",
    )
    calls.add_argument("--out", type=Path, default=None, help="CSV file to write (default: standard output)")
    calls.set_defaults(handler=_call_list)
    confirm = actions.add_parser(
        "confirm", help="record the answer a person without Telegram gave on the phone"
    )
    add_assembly_options(confirm)
    confirm.add_argument("--participant", type=int, required=True, help="their participant id (call list)")
    confirm.add_argument(
        "--decline", action="store_true", help="they cannot come: offer the seat to a reserve"
    )
    confirm.set_defaults(handler=_confirm)
