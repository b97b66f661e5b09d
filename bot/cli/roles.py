"""`assembly-bot roles invite`: a one-time link that makes its first user a facilitator or organiser."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from rich.console import Console

from bot.cli.common import bot_username, organiser_core
from bot.cli.options import add_assembly_options, add_bot_username_option, whole_number
from bot.store.roles import create_invite
from flows.ports import ROLES
from flows.roles import LINK_PREFIX


async def _invite(args: argparse.Namespace) -> None:
    """A one-time role invite: shown once here, stored only as a hash, single use, expiring."""
    async with organiser_core(args) as core:
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


def register(commands: Any) -> None:
    roles = commands.add_parser("roles", help="facilitator and organiser roles")
    verbs = roles.add_subparsers(dest="verb", required=True, metavar="VERB")
    invite = verbs.add_parser("invite", help="print a one-time invite link for a role")
    add_assembly_options(invite)
    invite.add_argument("--role", choices=list(ROLES), required=True)
    invite.add_argument(
        "--expires-hours",
        type=whole_number(1, 24 * 30),
        default=72,
        metavar="H",
        help="validity (default 72)",
    )
    add_bot_username_option(invite)
    invite.set_defaults(handler=_invite)
