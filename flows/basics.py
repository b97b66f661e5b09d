"""What every participant can do at any time: /start, /help, /language, /cancel, and the fallback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from flows.actions import Action, AnswerButton, Button, EditMessage, Keyboard, SendMessage, clip, rows
from flows.buttons import ButtonData
from flows.engine import IDLE, Router, StepResult, Turn, reply
from flows.events import ButtonPress, Command, ContactShared, Event, Media, Text
from flows.markers import N_
from flows.ports import Translator

MENU: tuple[tuple[str, str], ...] = (
    ("start", N_("Welcome and main menu")),
    ("sessions", N_("Your sessions and answers")),
    ("calendar", N_("Your sessions in your calendar")),
    ("checkin", N_("Check in at a session")),
    ("mytable", N_("Your table at today's session")),
    ("language", N_("Choose your language")),
    ("help", N_("What I can do")),
    ("cancel", N_("Stop what you are doing")),
    ("mydata", N_("See the data I keep about you")),
    ("forget", N_("Erase your data")),
)
"""The command menu; its descriptions are registered per language with setMyCommands."""
ECHOED_COMMAND = 40
"""How much of an unknown command's name the answer repeats."""
MEDIA_ANSWER = N_(
    "I can only read text: not voice messages, photos, stickers, files or locations. "
    "Please write your message as text."
)


@dataclass(frozen=True)
class LanguageButton(ButtonData, prefix="lang"):
    """`lang:<code>` switches to a language; `lang:keep` keeps the current one (offered with a switch)."""

    code: str


@dataclass(frozen=True)
class MenuButton(ButtonData, prefix="menu"):
    """`menu:language` and `menu:help`, under the welcome message."""

    target: Literal["language", "help"]


def menu_commands(tr: Translator) -> list[tuple[str, str]]:
    return [(name, tr.gettext(description)) for name, description in MENU]


def help_text(tr: Translator, commands: Sequence[tuple[str, str]]) -> str:
    lines = [tr.gettext("Here is what I can do:")]
    lines += [f"/{name} – {description}" for name, description in commands]
    return "\n".join(lines)


def _menu_buttons(tr: Translator) -> Keyboard:
    return rows(
        Button(tr.gettext("🌐 Language"), MenuButton("language").pack()),
        Button(tr.gettext("❓ Help"), MenuButton("help").pack()),
    )


async def start(turn: Turn[Event]) -> StepResult:
    assembly, tr = turn.ctx.assembly, turn.tr
    welcome = assembly.text(assembly.welcome, tr.language)
    hint = tr.gettext("Use the buttons below or type /help at any time.")
    return reply(turn, f"{welcome}\n\n{hint}", buttons=_menu_buttons(tr))


async def help_(turn: Turn[Event]) -> StepResult:
    return reply(turn, help_text(turn.tr, menu_commands(turn.tr)))


def native_name(turn: Turn[Event], code: str) -> str:
    """A language's name for itself, capitalised for a button: "Français", "Nederlands"."""
    name = turn.ctx.translations.for_language(code).language_name(code)
    return name[:1].upper() + name[1:]


def _language_buttons(turn: Turn[Event]) -> Keyboard:
    languages = turn.ctx.assembly.languages
    return rows(*(Button(native_name(turn, code), LanguageButton(code).pack()) for code in languages))


async def language(turn: Turn[Event]) -> StepResult:
    return reply(turn, turn.tr.gettext("Choose your language:"), buttons=_language_buttons(turn))


async def cancel(turn: Turn[Event]) -> StepResult:
    tr = turn.tr
    if turn.state.flow is None:
        text = tr.gettext("There is nothing to cancel right now.")
    else:
        text = tr.gettext("Cancelled. Type /start whenever you want to begin again.")
    return StepResult((SendMessage(turn.participant.chat_id, text, remove_keyboard=True),), IDLE)


async def menu_button(turn: Turn[ButtonPress], button: MenuButton) -> StepResult:
    result = await (language if button.target == "language" else help_)(turn)
    return StepResult((AnswerButton(turn.event.query_id), *result.actions), result.state)


async def choose_language(turn: Turn[ButtonPress], button: LanguageButton) -> StepResult:
    """Apply a language button, from /language or from a detected-language offer."""
    event, code = turn.event, button.code
    chat = turn.participant.chat_id
    if code == "keep":
        name = turn.tr.language_name(turn.tr.language)
        done = turn.tr.gettext("I will keep writing to you in {language}.").format(language=name)
        return StepResult((AnswerButton(event.query_id), SendMessage(chat, done)), turn.state)
    if code not in turn.ctx.assembly.languages:
        return await stale_button(turn)
    await turn.ctx.store.set_language(turn.participant.id, code)
    tr = turn.ctx.translations.for_language(code)
    done = tr.gettext("From now on I will write to you in {language}.").format(
        language=tr.language_name(code)
    )
    actions: list[Action] = [AnswerButton(event.query_id)]
    if event.message_id is not None:
        actions.append(EditMessage(chat, event.message_id, f"✓ {native_name(turn, code)}"))
    actions.append(SendMessage(chat, done, buttons=_menu_buttons(tr)))
    return StepResult(tuple(actions), turn.state)


async def stale_button(turn: Turn[ButtonPress]) -> StepResult:
    notice = turn.tr.gettext("This button is no longer valid.")
    return StepResult((AnswerButton(turn.event.query_id, notice),), turn.state)


def _offer_language(turn: Turn[Event], text: str) -> StepResult | None:
    """Offer a switch when free text is confidently in another offered language."""
    detected = turn.ctx.detector.detect(text)
    offered = turn.ctx.assembly.languages
    if detected is None or detected not in offered or detected == turn.tr.language:
        return None
    tr, other = turn.tr, turn.ctx.translations.for_language(detected)
    question = "\n".join(
        t.gettext("It looks like you are writing in {language}. Shall I switch?").format(
            language=t.language_name(detected)
        )
        for t in (tr, other)
    )
    keep = tr.gettext("Keep {language}").format(language=tr.language_name(tr.language))
    buttons = rows(
        Button(native_name(turn, detected), LanguageButton(detected).pack()),
        Button(keep, LanguageButton("keep").pack()),
    )
    return reply(turn, question, buttons=buttons)


async def fallback(turn: Turn[Event]) -> StepResult:
    """A short, localized answer for anything no flow expects; nothing is stored."""
    event, tr = turn.event, turn.tr
    hint = tr.gettext("Type /help to see what I can do.")
    if isinstance(event, ButtonPress):
        return await stale_button(turn.about(event))
    if isinstance(event, Command):
        # The name is echoed, so a very long one is shortened (Telegram's own are at most 32 characters).
        name = clip(event.name, ECHOED_COMMAND)
        unknown = tr.gettext("I don't know the command /{command}.").format(command=name)
        return reply(turn, f"{unknown} {hint}")
    if isinstance(event, Text):
        offer = _offer_language(turn, event.text)
        if offer is not None:
            return offer
        sorry = tr.gettext("Sorry, I did not understand that.")
        return reply(turn, f"{sorry} {hint}")
    if isinstance(event, ContactShared):
        not_asked = tr.gettext("I did not ask for a phone number, so I have not kept it.")
        return reply(turn, not_asked)
    if isinstance(event, Media):
        return reply(turn, tr.gettext(MEDIA_ANSWER))
    return StepResult((), turn.state)


def install(router: Router) -> None:
    """Register the always-available commands and buttons."""
    router.commands.update({"start": start, "help": help_, "language": language, "cancel": cancel})
    router.button(LanguageButton, choose_language)
    router.button(MenuButton, menu_button)


def build_router() -> Router:
    router = Router(fallback=fallback)
    install(router)
    return router
