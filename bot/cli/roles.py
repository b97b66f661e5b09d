"""`assembly-bot roles invite|list|revoke`: give, see and withdraw facilitator and organiser roles.

Staff appear under the first name they gave when they joined, as the other staff see them, never
under internal ids.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from bot.cli.common import Access, CliError, bot_username, organiser_core
from bot.cli.options import add_assembly_options, add_bot_username_option, whole
from bot.store import audit, outbox
from bot.store.roles import create_invite, revoke, staff
from flows.ports import ROLES
from flows.roles import LINK_PREFIX, withdrawn


async def _invite(args: argparse.Namespace) -> None:
    """A one-time role invite: shown once here, stored only as a hash, single use, expiring."""
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)

    async with organiser_core(args, Access.WRITE) as core:
        assembly = core.kit.assembly
        username = await bot_username(args.bot_username, assembly)  # before the invite exists
        async with core.db.transaction() as session:
            code = await create_invite(
                session, assembly.id, args.role, core.kit.clock.now(), timedelta(hours=args.expires_hours)
            )
    console = Console()
    console.print(f"One-time {args.role} invite for {assembly.id}, valid {args.expires_hours} h:")
    console.print(f"https://t.me/{username}?start={LINK_PREFIX}-{code}", markup=False, soft_wrap=True)
    console.print("Send it to one person only; it works once and is not stored in readable form.")


async def _list(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)
    from rich.table import Table  # noqa: PLC0415 (rich loads only when printing)

    async with organiser_core(args, Access.READ) as core, core.db.transaction() as session:
        assembly = core.kit.assembly
        holders = await staff(session, assembly.id)
    table = Table("name", "role", "since", "language")
    for holder in holders:
        since = holder.granted_at.astimezone(assembly.zone)
        table.add_row(holder.name, holder.role, f"{since:%Y-%m-%d %H:%M}", holder.language)
    Console().print(table if holders else f"Nobody holds a role in {assembly.id} yet.")


async def _revoke(args: argparse.Namespace) -> None:
    """Withdraw a role from the person staff know by that first name; the running bot updates their
    command menu and tells them, in their language."""
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)

    async with organiser_core(args, Access.WRITE) as core, core.db.transaction() as session:
        assembly = core.kit.assembly
        named = [h for h in await staff(session, assembly.id, args.name) if args.role in (None, h.role)]
        what = f"the {args.role} role" if args.role else "a role"
        if not named:
            everyone = ", ".join(sorted({h.name for h in await staff(session, assembly.id)})) or "nobody"
            raise CliError(
                f"nobody called '{args.name}' holds {what} in {assembly.id} (staff: {everyone})", 2
            )
        if len({h.participant_id for h in named}) > 1:
            raise CliError(
                f"{len({h.participant_id for h in named})} people called '{args.name}' hold {what}; "
                "ask one of them to join again under a distinct name, then revoke the other",
                2,
            )
        person = named[0]
        taken = [h.role for h in named]
        left = await revoke(session, assembly.id, person.participant_id, taken, audit.operator())
        tr = core.kit.translations.for_language(person.language)
        name = assembly.text(assembly.name, person.language)
        for role in taken:
            notice = withdrawn(tr, name, person.chat_id, role, left)
            outbox.enqueue(session, assembly.id, person.chat_id, notice, topic="role-revoked")
    menu = "the commands of their remaining role" if left else "a participant's"
    Console().print(
        f"{person.name} no longer holds {' or '.join(taken)} in {assembly.id}; their menu goes back to "
        f"{menu} and they are told when the running bot (`assembly-bot run`) sends it.",
        markup=False,
        highlight=False,
    )


def register(commands: Any) -> None:
    roles = commands.add_parser("roles", help="facilitator and organiser roles: invite, list, revoke")
    verbs = roles.add_subparsers(dest="verb", required=True, metavar="VERB")
    invite = verbs.add_parser("invite", help="print a one-time invite link for a role")
    add_assembly_options(invite)
    invite.add_argument("--role", choices=list(ROLES), required=True)
    invite.add_argument(
        "--expires-hours",
        type=whole(1, 24 * 30),
        default=72,
        metavar="H",
        help="validity (default 72)",
    )
    add_bot_username_option(invite)
    invite.set_defaults(handler=_invite)
    listing = verbs.add_parser("list", help="who holds which role, under the name they gave")
    add_assembly_options(listing)
    listing.set_defaults(handler=_list)
    withdraw = verbs.add_parser(
        "revoke",
        help="withdraw a role; the person's menu goes back to a participant's",
        description="Withdraw the role(s) of the person staff know by NAME (the first name shown by "
        "`roles list`); the running bot updates their command menu and tells them in their language.",
    )
    add_assembly_options(withdraw)
    withdraw.add_argument("--name", required=True, help="their first name, as `roles list` shows it")
    withdraw.add_argument(
        "--role", choices=list(ROLES), help="only this role (default: every role they hold)"
    )
    withdraw.set_defaults(handler=_revoke)
