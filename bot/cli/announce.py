"""`assembly-bot announce`: a translated message for confirmed participants, queued for the running bot."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import Access, CliError, organiser_core
from bot.cli.options import add_assembly_options
from bot.organiser.announce import AnnouncementError, load_texts, progress, queue_announcement
from bot.store import outbox
from bot.store.database import Database

if TYPE_CHECKING:
    from rich.console import Console


async def _announce(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)

    console = Console()
    async with organiser_core(args, Access.WRITE) as core:
        assembly = core.kit.assembly
        try:
            texts = load_texts(args.file, assembly)
            announcement, recipients = await queue_announcement(core.db, assembly, texts, args.session)
        except AnnouncementError as error:
            raise CliError(str(error), 2) from None
        audience = f"session {args.session}" if args.session else "all confirmed participants"
        console.print(f"Announcement {announcement} queued for {recipients} participants ({audience}).")
        if args.no_wait or recipients == 0:
            console.print("The running bot (`assembly-bot run`) sends it.")
            return
        console.print("The running bot sends it; Ctrl-C stops watching (the messages stay queued).")
        await _watch(core.db, assembly.id, announcement, console)


async def _watch(db: Database, assembly_id: str, announcement: int, console: Console) -> None:
    """A progress bar over the announcement's outbox rows until none is pending."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415 (rich loads only when printing)

    counts = await progress(db, assembly_id, announcement)
    total = sum(counts.values())
    columns = (TextColumn("delivering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("delivering", total=total)
        while True:
            counts = await progress(db, assembly_id, announcement)
            bar.update(task, completed=total - counts.get(outbox.PENDING, 0))
            if not counts.get(outbox.PENDING):
                break
            await asyncio.sleep(0.5)
    outcome = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    console.print(f"Done: {outcome}.")


def register(commands: Any) -> None:
    announce = commands.add_parser(
        "announce",
        help="send a translated announcement to confirmed participants",
        description="Queue a message for every confirmed participant (or those expected at one session) "
        "in their language, and watch the running bot deliver it.",
    )
    add_assembly_options(announce)
    announce.add_argument("--file", type=Path, required=True, help="YAML file with one text per language")
    announce.add_argument(
        "--session", metavar="S", help="only those expected at session S (not who declined)"
    )
    announce.add_argument("--no-wait", action="store_true", help="queue and exit without watching delivery")
    announce.set_defaults(handler=_announce)
