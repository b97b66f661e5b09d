"""The run-one-step loop: stored conversation state + one event -> actions + new state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.actions import Action
from flows.assembly import Assembly
from flows.events import ButtonPress, Command, Event
from flows.languages import match_language
from flows.ports import Charts, Clock, LanguageDetector, Participant, Store, Translations, Translator


@dataclass(frozen=True)
class ConversationState:
    """Where a participant is in a multi-step flow; `flow=None` means idle."""

    flow: str | None = None
    step: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


IDLE = ConversationState()


@dataclass(frozen=True)
class Kit:
    """Everything a flow step may use except the store: built once by the composition root and
    shared by every transaction, while the store is bound to one transaction at a time."""

    assembly: Assembly
    translations: Translations
    detector: LanguageDetector
    clock: Clock
    charts: Charts
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
    def dashboard_url(self) -> str | None:
        return self.kit.dashboard_url


@dataclass(frozen=True)
class Turn:
    """One event being handled for one participant."""

    ctx: Context
    event: Event
    participant: Participant
    state: ConversationState
    tr: Translator


@dataclass(frozen=True)
class StepResult:
    """What a step does; `erased` says it erased the sender, so the runtime keeps no trace of this update."""

    actions: tuple[Action, ...]
    state: ConversationState
    erased: bool = False


Handler = Callable[[Turn], Awaitable[StepResult]]
FlowHandler = Callable[[Turn], Awaitable[StepResult | None]]


@dataclass
class Router:
    """Which handler owns a command, a button prefix, or an active flow.

    Commands and button prefixes win over the active flow, so /cancel, /help and
    /language work at every step; a flow returns None for events it does not
    expect, and the fallback answers them. A deep link (`/start checkin-K7P3QX`)
    goes to the handler of its prefix; plain /start stays with the start command.
    """

    fallback: Handler
    commands: dict[str, Handler] = field(default_factory=dict)
    buttons: dict[str, Handler] = field(default_factory=dict)
    flows: dict[str, FlowHandler] = field(default_factory=dict)
    start_links: dict[str, Handler] = field(default_factory=dict)

    async def route(self, turn: Turn) -> StepResult:
        event = turn.event
        if isinstance(event, Command) and event.name == "start" and event.argument:
            prefix = event.argument.split("-", 1)[0]
            if prefix in self.start_links:
                return await self.start_links[prefix](turn)
        if isinstance(event, Command) and event.name in self.commands:
            return await self.commands[event.name](turn)
        if isinstance(event, ButtonPress):
            prefix = event.data.split(":", 1)[0]
            if prefix in self.buttons:
                return await self.buttons[prefix](turn)
        flow = self.flows.get(turn.state.flow or "")
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
    tr = ctx.translations.for_language(participant.language)
    return await router.route(Turn(ctx, event, participant, state, tr))
