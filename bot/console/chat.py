"""The console runtime: one participant talks to the flows in a terminal, without Telegram.

Typed lines become the same neutral events a Telegram adapter produces, run through the same flows
and store; the flows' actions are printed. Numbered buttons stand in for inline keyboards and polls.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console, JustifyMethod
from rich.text import Text as RichText

from bot.store import outbox
from bot.store.database import Database
from bot.store.participants import SqlStore, ensure_assembly
from bot.telegram.runner import handle_event
from flows import actions as act
from flows.engine import ConversationState, Kit
from flows.events import ButtonPress, Command, ContactShared, Event, PollAnswer, Sender, Text, parse_command
from flows.languages import match_language
from flows.markers import N_
from flows.numbers import ROW_ID_MAX, parse_int
from flows.polls.compose import expects_lines
from flows.ports import Translator
from flows.registration.steps import expects_number

ReadLine = Callable[[], Awaitable[str | None]]
"""The next typed line without its newline, or None at the end of input."""

HINT = N_(
    "Type a message or a /command. A number presses that button (#2 presses button 2 when a question"
    " asks for a number); :contact followed by a phone number shares it; :quit leaves."
)
CHOOSE_ONE = N_("Type the number of your choice.")
CHOOSE_MANY = N_("Type the numbers of your choices, separated by commas.")
SAVED = N_("File saved: {path}")
LINES = N_("Type one option per line; an empty line (or: done) ends the list.")
ENDS_LIST = ("", "done")


def right_to_left(text: str) -> bool:
    """True when the first letter with a direction is Arabic or Hebrew script."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


@dataclass
class Choices:
    """What typing a number means now: a button of the newest keyboard, or an option of a poll."""

    message_id: int
    buttons: tuple[act.Button, ...] = ()
    poll_id: str | None = None
    options: int = 0


@dataclass
class ConsoleChat:
    """One participant's terminal conversation; `run` ends at :quit or the end of input."""

    db: Database
    kit: Kit
    sender: Sender
    console: Console
    files: Path
    after: Callable[[], Awaitable[None]] | None = None
    """Run after each typed event, e.g. to deliver what the flows queued for other people."""
    queue: bool = False
    """Queue every action in the outbox, as the bot's runner does, for `after` to deliver: a
    facilitator's poll reaches other people, and its live count edits the message once sent."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _keyboards: dict[int, tuple[act.Button, ...]] = field(default_factory=dict)
    _choices: Choices | None = None

    @property
    def numbered(self) -> list[str]:
        """The labels that typing 1, 2, 3 ... would press now (what the screen shows as [n])."""
        return [button.text for button in self._choices.buttons] if self._choices else []

    async def run(self, read_line: ReadLine) -> None:
        async with self.db.transaction() as session:
            await ensure_assembly(session, self.kit.assembly)
        self._note((await self._translator()).gettext(HINT))
        while (line := await read_line()) is not None:
            line = line.strip()
            if line == ":quit":
                break
            state = await self._state()
            if line and expects_lines(state):
                line = await self._lines(line, read_line)
            event = self._event(line, expects_number(self.kit.assembly, state))
            if event is not None:
                await self._handle(event)
                if self.after is not None:
                    await self.after()
                if expects_lines(await self._state()):
                    self._note((await self._translator()).gettext(LINES))

    async def _lines(self, first: str, read_line: ReadLine) -> str:
        """A list typed one line at a time, as the single message of lines that Telegram would send."""
        lines = [first]
        while (line := await read_line()) is not None and line.strip().casefold() not in ENDS_LIST:
            lines.append(line.strip())
        return "\n".join(lines)

    async def _state(self) -> ConversationState:
        async with self.db.transaction() as session:
            return await SqlStore(session, self.kit.assembly.id).load_state(self.sender.user_id)

    def _event(self, line: str, number_asked: bool = False) -> Event | None:
        """What a typed line is: `#n` always presses button n; bare numbers press buttons or vote,
        except while a question asks for a number, which they then answer."""
        sender, choices = self.sender, self._choices
        if not line:
            return None
        if line.startswith(":contact"):
            return ContactShared(sender, line.removeprefix(":contact").strip(), own=True)
        pressed = line.removeprefix("#") if line.startswith("#") else None
        index = parse_int(pressed, 1, ROW_ID_MAX) if pressed is not None else None
        if index is not None and choices is not None and index <= len(choices.buttons):
            data = choices.buttons[index - 1].data
            return ButtonPress(sender, data, choices.message_id, f"console-{next(self._ids)}")
        numbers = [parse_int(part, 1, ROW_ID_MAX) for part in line.split(",")]
        if choices is not None and not number_asked and all(n is not None for n in numbers):
            picked = [n - 1 for n in numbers if n is not None]
            if choices.poll_id is not None and all(0 <= i < choices.options for i in picked):
                return PollAnswer(sender, choices.poll_id, tuple(sorted(set(picked))))
            if len(picked) == 1 and 0 <= picked[0] < len(choices.buttons):
                data = choices.buttons[picked[0]].data
                return ButtonPress(sender, data, choices.message_id, f"console-{next(self._ids)}")
        # Anything else is what it would be on Telegram: a command, or text the flows answer.
        command = parse_command(line)
        return Command(sender, *command) if command is not None else Text(sender, line)

    async def _handle(self, event: Event) -> None:
        async with self.db.transaction() as session:
            result = await handle_event(session, self.kit, event)
            if self.queue:
                outbox.enqueue_each(session, self.kit.assembly.id, self.sender.chat_id, result.actions)
                return
        for action in result.actions:
            await self.show(action)

    async def show(self, action: act.Action) -> int | None:
        """Print one action as this terminal's chat; returns the message id it was given, if new."""
        return self._render(action, await self._translator())

    async def _translator(self) -> Translator:
        """The participant's language once they exist, else what their "device" language maps to."""
        assembly = self.kit.assembly
        async with self.db.transaction() as session:
            participant = await SqlStore(session, assembly.id).participant(self.sender.user_id)
        language = (
            participant.language
            if participant is not None
            else match_language(self.sender.language_code, assembly.languages) or assembly.fallback_language
        )
        return self.kit.translations.for_language(language)

    def _render(self, action: act.Action, tr: Translator) -> int | None:
        match action:
            case act.SendMessage():
                message_id = next(self._ids)
                self._say(action.text)
                self._offer(message_id, action.buttons, action.text)
                if action.contact_button:
                    self._note(f"[:contact] {action.contact_button}")
                return message_id
            case act.EditMessage():
                self._say(f"✎ {action.text}")
                self._offer(action.message_id, action.buttons, action.text)
            case act.AnswerButton() if action.text:
                self._note(f"⚠ {action.text}")
            case act.SendPoll():
                message_id = next(self._ids)
                self._say(f"📊 {action.question}")
                for number, option in enumerate(action.options, 1):
                    self._say(f"  {number}. {option}")
                self._note(tr.gettext(CHOOSE_MANY if action.multiple else CHOOSE_ONE))
                poll_id = f"console-poll-{message_id}"
                self._choices = Choices(message_id, poll_id=poll_id, options=len(action.options))
                return message_id
            case act.SendVenue():
                self._say(f"📍 {action.title}\n{action.address} ({action.latitude}, {action.longitude})")
                return next(self._ids)
            case act.SendPhoto() | act.SendDocument():
                self.files.mkdir(parents=True, exist_ok=True)
                path = self.files / f"{next(self._ids)}-{Path(action.filename).name}"
                path.write_bytes(action.data)
                if action.caption:
                    self._say(action.caption)
                self._note(tr.gettext(SAVED).format(path=path))
        return None

    def _offer(self, message_id: int, keyboard: act.Keyboard, text: str) -> None:
        """Number a message's buttons; the newest message with buttons is what numbers press."""
        buttons = tuple(button for row in keyboard for button in row)
        if buttons:
            self._keyboards[message_id] = buttons
            self._choices = Choices(message_id, buttons)
            for number, button in enumerate(buttons, 1):
                self._say(f"  [{number}] {button.text}", like=text)
            return
        shown = self._keyboards.pop(message_id, None)
        if shown is not None and self._choices is not None and self._choices.message_id == message_id:
            # An edit took the active keyboard away: numbers press the newest one still shown.
            newest = max(self._keyboards, default=None)
            self._choices = None if newest is None else Choices(newest, self._keyboards[newest])

    def _say(self, text: str, like: str | None = None) -> None:
        """Print a line; buttons are aligned `like` their message, so a list reads one way."""
        # Terminals do not reorder right-to-left text; right-aligning keeps Arabic readable.
        justify: JustifyMethod = "right" if right_to_left(like or text) else "left"
        self.console.print(RichText(text), justify=justify, markup=False, highlight=False)

    def _note(self, text: str) -> None:
        self.console.print(RichText(text, style="dim"), markup=False, highlight=False)
