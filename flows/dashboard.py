"""/dashboard: a one-time sign-in link to the read-only web dashboard, for facilitators and organisers."""

from __future__ import annotations

from datetime import timedelta

from flows.actions import SendMessage
from flows.assembly import Assembly
from flows.digest.command import configured_recipients
from flows.engine import Router, StepResult, Turn
from flows.events import Command
from flows.ports import FACILITATOR, ORGANISER

LINK_VALID = timedelta(minutes=15)
"""Short, because the link is a key: long enough to open it from the chat, too short to be worth stealing."""


def viewer_role(assembly: Assembly, user_id: int, roles: set[str]) -> str | None:
    """The role someone sees the dashboard with, or None: the one rule for /dashboard and every page
    view. People named in `digest.recipients` are organisers without a role invite."""
    if ORGANISER in roles or user_id in configured_recipients(assembly):
        return ORGANISER
    return FACILITATOR if FACILITATOR in roles else None


async def dashboard_command(turn: Turn[Command]) -> StepResult:
    tr, chat = turn.tr, turn.participant.chat_id
    roles = await turn.ctx.store.roles.roles(turn.participant.id)
    if viewer_role(turn.ctx.assembly, turn.participant.user_id, roles) is None:
        refusal = tr.gettext("Only facilitators and organisers can open the dashboard.")
        return StepResult((SendMessage(chat, refusal),), turn.state)
    if not turn.ctx.dashboard_url:
        missing = tr.gettext(
            "The dashboard is not set up for this assembly yet. Please ask the person who runs the bot."
        )
        return StepResult((SendMessage(chat, missing),), turn.state)
    token = await turn.ctx.store.dashboard.issue_link(turn.participant.id, turn.ctx.clock.now(), LINK_VALID)
    link = f"{turn.ctx.dashboard_url.rstrip('/')}/login/{token}"
    text = tr.gettext(
        "Your link to the dashboard:\n{link}\n\nIt works once, within {minutes} minutes. Do not forward it: "
        "it opens the assembly's results. Send /dashboard again for a new one."
    ).format(link=link, minutes=tr.number(LINK_VALID.seconds // 60))
    return StepResult((SendMessage(chat, text, ephemeral=True),), turn.state)


def install(router: Router) -> None:
    router.commands["dashboard"] = dashboard_command
