"""The run-one-step loop: stored conversation state + one event -> actions + new state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from flows.actions import Action, Keyboard, SendMessage
from flows.assembly import Assembly
from flows.buttons import SEPARATOR, ButtonData
from flows.events import ButtonPress, Command, Event
from flows.languages import match_language
from flows.ports import (
    Calendars,
    Charts,
    Clock,
    LanguageDetector,
    Participant,
    Store,
    Translations,
    Translator,
)


@dataclass(frozen=True)
class Step:
    """Where a conversation stands in its flow: a stage (each flow names its own, usually as a StrEnum),
    and for a stage about one item of several (registration's questions) that item's id.

    Stored as `stage` or `stage.item` (`conversations.step`); `encode` and `decode` are the only places
    that know it, so a conversation saved by an earlier version continues where it was.
    """

    stage: str
    item: str | None = None

    def encode(self) -> str:
        return self.stage if self.item is None else f"{self.stage}.{self.item}"

    @classmethod
    def decode(cls, token: str | None) -> Step | None:
        if token is None:
            return None
        stage, dot, item = token.partition(".")
        return cls(stage, item if dot else None)


@dataclass(frozen=True)
class ConversationState:
    """Where a participant is in a multi-step flow; `flow=None` means idle."""

    flow: str | None = None
    step: Step | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


IDLE = ConversationState()
IDLE_FLOW = ""
"""The key in `Router.flows` of the handler that sees what an idle participant sends, before the fallback."""


@dataclass(frozen=True)
class Kit:
    """Everything a flow step may use except the store: built once by the composition root and
    shared by every transaction, while the store is bound to one transaction at a time."""

    assembly: Assembly
    translations: Translations
    detector: LanguageDetector
    clock: Clock
    charts: Charts
    calendars: Calendars
    router: Router
    dashboard_url: str | None = None
    """Where the web dashboard is served (DASHBOARD_URL); None when this deployment has none."""

    def context(self, store: Store) -> Context:
        return Context(self, store)


@dataclass(frozen=True)
class Context:
    """The kit and the store of the current transaction: everything one flow step may use."""

    kit: Kit
    store: Store

    @property
    def assembly(self) -> Assembly:
        return self.kit.assembly

    @property
    def translations(self) -> Translations:
        return self.kit.translations

    @property
    def detector(self) -> LanguageDetector:
        return self.kit.detector

    @property
    def clock(self) -> Clock:
        return self.kit.clock

    @property
    def charts(self) -> Charts:
        return self.kit.charts

    @property
    def calendars(self) -> Calendars:
        return self.kit.calendars

    @property
    def dashboard_url(self) -> str | None:
        return self.kit.dashboard_url


EventT_co = TypeVar("EventT_co", bound=Event, covariant=True)
OtherEventT = TypeVar("OtherEventT", bound=Event)
ButtonT = TypeVar("ButtonT", bound=ButtonData)


@dataclass(frozen=True)
class Turn(Generic[EventT_co]):
    """One event being handled for one participant; `Turn[Command]` is a turn whose event is a command."""

    ctx: Context
    event: EventT_co
    participant: Participant
    state: ConversationState
    tr: Translator

    def about(self, event: OtherEventT) -> Turn[OtherEventT]:
        """The same turn, typed by the kind of event the router found it to be."""
        return Turn(self.ctx, event, self.participant, self.state, self.tr)


@dataclass(frozen=True)
class StepResult:
    """What a step does; `erased` says it erased the sender, so the runtime keeps no trace of this update."""

    actions: tuple[Action, ...]
    state: ConversationState
    erased: bool = False


def reply(
    turn: Turn[Event],
    text: str,
    *first: Action,
    buttons: Keyboard = (),
    state: ConversationState | None = None,
) -> StepResult:
    """A message to the sender after `first` (usually a button's acknowledgement); the conversation
    stays where it is unless `state` moves it."""
    message = SendMessage(turn.participant.chat_id, text, buttons=buttons)
    return StepResult((*first, message), turn.state if state is None else state)


Handler = Callable[[Turn[Event]], Awaitable[StepResult]]
CommandHandler = Callable[[Turn[Command]], Awaitable[StepResult]]
ButtonHandler = Callable[[Turn[ButtonPress], ButtonT], Awaitable[StepResult | None]]
"""None lets the next handler of the same prefix (or the fallback) have the press."""
FlowHandler = Callable[[Turn[Event]], Awaitable[StepResult | None]]


@dataclass(frozen=True)
class _ButtonRoute(Generic[ButtonT]):
    """A kind of button and its handler, which gets the button's data already unpacked."""

    kind: type[ButtonT]
    handler: ButtonHandler[ButtonT]

    async def __call__(self, turn: Turn[ButtonPress]) -> StepResult | None:
        button = self.kind.unpack(turn.event.data)
        return None if button is None else await self.handler(turn, button)


@dataclass
class Router:
    """Which handler owns a command, a kind of button, or an active flow.

    Commands and button prefixes win over the active flow, so /cancel, /help and
    /language work at every step; a flow returns None for events it does not
    expect, and the fallback answers them (as it answers a button whose data does
    not unpack). A deep link (`/start checkin-K7P3QX`) goes to the handler of its
    prefix; plain /start stays with the start command. A flow in `holds` keeps the chat while
    under way: every command goes to its handler, which lets through the ones it allows, so that
    no other conversation starts in the middle of it.
    """

    fallback: Handler
    commands: dict[str, CommandHandler] = field(default_factory=dict)
    buttons: dict[str, list[_ButtonRoute[Any]]] = field(default_factory=dict)
    flows: dict[str, FlowHandler] = field(default_factory=dict)
    start_links: dict[str, CommandHandler] = field(default_factory=dict)
    holds: dict[str, CommandHandler] = field(default_factory=dict)

    def button(self, kind: type[ButtonT], handler: ButtonHandler[ButtonT]) -> None:
        """Send presses of `kind` to `handler`; kinds sharing a prefix are tried in the order added."""
        self.buttons.setdefault(kind.prefix, []).append(_ButtonRoute(kind, handler))

    async def route(self, turn: Turn[Event]) -> StepResult:
        event = turn.event
        if isinstance(event, Command) and turn.state.flow in self.holds:
            return await self.holds[turn.state.flow or ""](turn.about(event))
        if isinstance(event, Command) and event.name == "start" and event.argument:
            prefix = event.argument.split("-", 1)[0]
            if prefix in self.start_links:
                return await self.start_links[prefix](turn.about(event))
        if isinstance(event, Command) and event.name in self.commands:
            return await self.commands[event.name](turn.about(event))
        if isinstance(event, ButtonPress):
            routes = self.buttons.get(event.data.partition(SEPARATOR)[0])
            if routes is not None:
                for route in routes:
                    result = await route(turn.about(event))
                    if result is not None:
                        return result
                return await self.fallback(turn)
        flow = self.flows.get(turn.state.flow or IDLE_FLOW)
        if flow is not None:
            result = await flow(turn)
            if result is not None:
                return result
        return await self.fallback(turn)


async def run_step(ctx: Context, router: Router, state: ConversationState, event: Event) -> StepResult:
    """Handle one event for its sender, creating the participant on first contact."""
    sender = event.sender
    participant = await ctx.store.participant(sender.user_id)
    if participant is None:
        language = (
            match_language(sender.language_code, ctx.assembly.languages) or ctx.assembly.fallback_language
        )
        participant = await ctx.store.add_participant(sender.user_id, sender.chat_id, language)
    if participant.language not in ctx.assembly.languages:
        return await _in_fallback_language(ctx, router, state, event, participant)
    tr = ctx.translations.for_language(participant.language)
    return await router.route(Turn[Event](ctx, event, participant, state, tr))


async def _in_fallback_language(
    ctx: Context, router: Router, state: ConversationState, event: Event, participant: Participant
) -> StepResult:
    """The participant's language is no longer offered: switch them to the fallback language, tell
    them once (the switch is stored, so the next message finds an offered language), then answer."""
    fallback = ctx.assembly.fallback_language
    await ctx.store.set_language(participant.id, fallback)
    participant = replace(participant, language=fallback)
    tr = ctx.translations.for_language(fallback)
    text = tr.gettext(
        "The language you used with me is no longer offered, so I will write to you in {language} "
        "from now on. Send /language to choose another one."
    ).format(language=tr.language_name(fallback))
    result = await router.route(Turn[Event](ctx, event, participant, state, tr))
    told = SendMessage(participant.chat_id, text)
    return replace(result, actions=(told, *result.actions))
