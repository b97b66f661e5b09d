"""Facilitator and organiser roles: joining through a one-time invite link, per-chat menus, checks."""

from __future__ import annotations

from flows.actions import Action, SendMessage, SetMenu
from flows.basics import MENU, help_text
from flows.engine import Router, StepResult, Turn, reply
from flows.events import Command, Event
from flows.markers import N_
from flows.ports import FACILITATOR, ORGANISER, Translator

LINK_PREFIX = "role"
"""Invite links look like `https://t.me/<bot>?start=role-<code>`."""

FACILITATOR_MENU: tuple[tuple[str, str], ...] = (
    ("poll", N_("Start a poll for your table or the whole session")),
    ("dashboard", N_("A sign-in link to the results dashboard")),
)
ORGANISER_MENU: tuple[tuple[str, str], ...] = (
    ("tables", N_("Assign the tables of the current session")),
    ("pin", N_("Pin a participant to a table")),
    ("digest", N_("The assembly's digest, now")),
    ("register_by_phone", N_("Register someone without Telegram, by phone")),
)


def menu(tr: Translator, roles: set[str]) -> tuple[tuple[str, str], ...]:
    """The commands one person sees: everyone's, plus those of their roles."""
    entries = list(MENU)
    if FACILITATOR in roles or ORGANISER in roles:
        entries += FACILITATOR_MENU
    if ORGANISER in roles:
        entries += ORGANISER_MENU
    return tuple((name, tr.gettext(description)) for name, description in entries)


async def help_(turn: Turn[Event]) -> StepResult:
    """/help: everyone's commands, and a staff member's own."""
    held = await turn.ctx.store.roles.roles(turn.participant.id)
    return reply(turn, help_text(turn.tr, menu(turn.tr, held)))


async def refusal(turn: Turn[Event], role: str) -> StepResult | None:
    """None when the sender holds `role` (organisers may do what facilitators do), else a refusal.

    Checked in the store on every privileged action, never remembered from an earlier step.
    """
    roles = await turn.ctx.store.roles.roles(turn.participant.id)
    if role in roles or (role == FACILITATOR and ORGANISER in roles):
        return None
    tr = turn.tr
    if role == ORGANISER:
        text = tr.gettext("This command is for the organisers of the assembly.")
    else:
        text = tr.gettext("This command is for facilitators of the assembly.")
    return StepResult((SendMessage(turn.participant.chat_id, text),), turn.state)


async def join(turn: Turn[Command]) -> StepResult:
    """/start role-CODE: spend the invite, grant the role, show the role's commands in this chat only."""
    event, tr = turn.event, turn.tr
    code = event.argument.partition("-")[2]
    store = turn.ctx.store.roles
    role = await store.redeem(code, turn.participant.id, event.sender.first_name, turn.ctx.clock.now())
    chat = turn.participant.chat_id
    if role is None:
        text = tr.gettext(
            "This invitation is not valid: it may have been used already or have expired. "
            "Please ask the organisers for a new one."
        )
        return StepResult((SendMessage(chat, text),), turn.state)
    name = turn.ctx.assembly.text(turn.ctx.assembly.name, tr.language)
    if role == ORGANISER:
        text = tr.gettext("Welcome! You are now an organiser of the {assembly}.").format(assembly=name)
    else:
        text = tr.gettext("Welcome! You are now a facilitator of the {assembly}.").format(assembly=name)
    hint = tr.gettext("Your new commands are now in the menu of this chat.")
    roles = await store.roles(turn.participant.id)
    return StepResult((SetMenu(chat, menu(tr, roles)), SendMessage(chat, f"{text}\n{hint}")), turn.state)


def withdrawn(
    tr: Translator, assembly_name: str, chat_id: int, role: str, left: set[str]
) -> tuple[Action, ...]:
    """What a person is told when an organiser withdraws their role: their menu shrinks to what they
    still hold (a participant's when nothing is left), and a note says why."""
    if role == ORGANISER:
        text = tr.gettext("{assembly}: your organiser role has ended.")
    else:
        text = tr.gettext("{assembly}: your facilitator role has ended.")
    hint = tr.gettext("Your menu now shows the commands you still have.")
    return (
        SetMenu(chat_id, menu(tr, left)),
        SendMessage(chat_id, f"{text.format(assembly=assembly_name)}\n{hint}"),
    )


def install(router: Router) -> None:
    router.start_links[LINK_PREFIX] = join
    router.commands["help"] = help_
