"""`assembly-bot roles invite`: a one-time link that makes its first user a facilitator or organiser;
`roles revoke` withdraws a role."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from rich.console import Console

from bot.cli.common import CliError, bot_username, organiser_core
from bot.cli.options import add_assembly_options
from bot.store import audit
from bot.store.roles import create_invite, revoke
from flows.ports import ROLES
from flows.roles import LINK_PREFIX


async def _invite(args: argparse.Namespace) -> None:
    """A one-time role invite: shown once here, stored only as a hash, single use, expiring."""
    if not 1 <= args.expires_hours <= 24 * 30:
        raise CliError("--expires-hours must be between 1 and 720", 2)
    async with organiser_core(args) as core, core.db.transaction() as session:
        assembly = core.kit.assembly
        code = await create_invite(
            session, assembly.id, args.role, core.kit.clock.now(), timedelta(hours=args.expires_hours)
        )
    username = await bot_username(args.bot)
    console = Console()
    console.print(f"One-time {args.role} invite for {assembly.id}, valid {args.expires_hours} h:")
    console.print(f"https://t.me/{username}?start={LINK_PREFIX}-{code}", markup=False, soft_wrap=True)
    console.print("Send it to one person only; it works once and is not stored in readable form.")


async def _revoke(args: argparse.Namespace) -> None:
    async with organiser_core(args) as core, core.db.transaction() as session:
        revoked = await revoke(session, core.kit.assembly.id, args.participant, args.role, audit.operator())
    if not revoked:
        raise CliError(f"participant {args.participant} does not hold the {args.role} role in this assembly")
    print(f"participant {args.participant} is no longer {args.role}")


def register(commands: Any) -> None:
    roles = commands.add_parser("roles", help="facilitator and organiser roles")
    verbs = roles.add_subparsers(dest="verb", required=True, metavar="VERB")
    invite = verbs.add_parser("invite", help="print a one-time invite link for a role")
    add_assembly_options(invite)
    invite.add_argument("--role", choices=list(ROLES), required=True)
    invite.add_argument("--expires-hours", type=int, default=72, metavar="H", help="validity (default 72)")
    invite.add_argument("--bot", metavar="USERNAME", help="the bot's username (default: ask the Bot API)")
    invite.set_defaults(handler=_invite)
    withdraw = verbs.add_parser("revoke", help="withdraw a facilitator or organiser role")
    add_assembly_options(withdraw)
    withdraw.add_argument(
        "--participant", type=int, required=True, metavar="PID", help="the participant number"
    )
    withdraw.add_argument("--role", choices=list(ROLES), required=True)
    withdraw.set_defaults(handler=_revoke)
