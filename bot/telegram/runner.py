"""The update loop: fetch, record before acknowledging, run each update once through the flows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot import metrics
from bot.jobs.scheduler import Scheduler
from bot.logs import update_context
from bot.metrics import timed_update
from bot.store import outbox, updates
from bot.store.database import Database, Session, unavailable
from bot.store.locks import take_turns, wait_turn
from bot.store.participants import Known, SqlStore, ensure_assembly, read_people
from bot.store.updates import Claimed, Received
from bot.telegram.api import RetryLater, TelegramApi, Transient, Unauthorized
from bot.telegram.fleet import Fleet
from bot.telegram.sender import OutboxSender
from flows.actions import AnswerButton, SendMessage
from flows.basics import menu_commands
from flows.engine import Kit, StepResult, run_step
from flows.events import ButtonPress, Event
from flows.markers import N_
from flows.ports import Translator

log = logging.getLogger(__name__)

StartupStep = Callable[[Session], Awaitable[None]]
"""Work done once at start-up inside the preparing transaction, e.g. mirroring sessions into the store."""

SCAN = 1.0
"""Seconds between looks for recorded updates no worker is handling: those another worker recorded,
or left when it died or the store went away."""

BATCH = 32
"""Updates handled in one transaction at most. Under load, one commit (and on SQLite one turn of the
write lock and one sync to disk) serves many updates; a calm bot's batch is its one update."""

LANES = 4
"""Batches handled side by side on PostgreSQL, each over its own share of the chats (so a chat's
updates stay in order); SQLite has one writer, so one lane."""

CROWDED = 16
"""Updates fetched or being handled at once from which presses are acknowledged at once."""

APOLOGY = N_("Sorry, something went wrong on our side. Please try again in a moment.")


async def handle_event(session: Session, kit: Kit, event: Event, known: Known | None = None) -> StepResult:
    """One flow step inside the caller's transaction: load state, run, save state. `known`: the
    people its batch read already (`read_people`)."""
    store = SqlStore(session, kit.assembly.id, known)
    await store.mark_reachable(event.sender.user_id)
    state = await store.load_state(event.sender.user_id)
    result = await run_step(kit.context(store), kit.router, state, event)
    participant = await store.participant(event.sender.user_id)
    if participant is not None:
        await store.save_state(participant.id, result.state)
    return result


@dataclass(frozen=True)
class Handled:
    """What the sender needs to know of one handled update."""

    answered: bool
    erased: bool
    messages: bool


@dataclass
class Outcome:
    """What handled updates left for the sender: button answers, messages for these chats."""

    answered: bool = False
    chats: set[int] = field(default_factory=set)

    def add(self, other: Outcome) -> None:
        self.answered = self.answered or other.answered
        self.chats |= other.chats


class Runner:
    """Long polling with exactly-once handling: an update is stored before the next getUpdates
    call acknowledges it, and marked processed in the same transaction as its replies.

    Recorded updates are handled in batches (`BATCH`), one transaction each, by `LANES` lanes
    that share the chats out (SQLite: one), so each chat's updates keep their order. In a `fleet`,
    only the leader polls (and answers button presses); every worker handles recorded updates,
    each batch holding the locks of its chats."""

    def __init__(
        self,
        db: Database,
        api: TelegramApi,
        kit: Kit,
        sender: OutboxSender,
        *,
        bot_id: int,
        scheduler: Scheduler | None = None,
        startup: Sequence[StartupStep] = (),
        poll_timeout: int = 10,
        fleet: Fleet | None = None,
    ) -> None:
        """`bot_id`: the number of `api`'s token (`bot_id_of`), whose update log this runner keeps."""
        self.db, self.api, self.kit, self.sender, self.fleet = db, api, kit, sender, fleet
        self.bot_id = bot_id
        self.scheduler, self.startup = scheduler, tuple(startup)
        self.poll_timeout = poll_timeout
        self.lanes = 1 if db.single_writer else LANES
        self._wakes = [asyncio.Event() for _ in range(self.lanes)]
        self._handling = 0  # updates in batches being handled
        self._active = 0  # lanes looking for or handling work
        self._calm = asyncio.Condition()
        self.username = ""
        self._storing = 0
        self._crowded = False
        self._stored = asyncio.Event()
        self._stored.set()

    async def prepare(self) -> None:
        """Check the token, record the assembly, register the command menu per language."""
        _, self.username = await self.api.identity()
        assembly, translations = self.kit.assembly, self.kit.translations
        async with self.db.transaction() as session:
            if self.fleet is not None:  # workers starting together prepare one after the other
                await wait_turn(session, self.fleet.startup_key)
            await ensure_assembly(session, assembly, self.bot_id)
            for step in self.startup:
                await step(session)
        # One menu per language, and the fallback's for everyone else: independent calls, sent together.
        menus: list[tuple[Translator, str | None]] = [
            (translations.for_language(language), language) for language in assembly.languages
        ]
        menus.append((translations.for_language(assembly.fallback_language), None))
        sent = [self.api.set_commands(menu_commands(translator), code) for translator, code in menus]
        for outcome in await asyncio.gather(*sent, return_exceptions=True):
            if isinstance(outcome, BaseException):  # the first refusal, once none is left in flight
                raise outcome

    async def run(self) -> None:
        """Run until cancelled: timed work caught up, recovery of recorded updates, polling, the sender."""
        if self.scheduler is not None:
            # Before anything is sent: reminders past their grace period are withdrawn first.
            await self.scheduler.catch_up()
            self.scheduler.start()
        sender = asyncio.create_task(self.sender.run(answers=self.fleet is None))
        scan = asyncio.create_task(self._scan())
        lanes = [asyncio.create_task(self._lane(lane)) for lane in range(self.lanes)]
        try:
            if self.fleet is None:
                metrics.LEADER.set(1)
                await self._poll()
            else:
                await self._in_fleet(self.fleet)
        finally:
            if self.scheduler is not None:
                await self.scheduler.stop()
            for task in (sender, scan, *lanes):
                task.cancel()
            await asyncio.gather(sender, scan, *lanes, return_exceptions=True)

    async def _in_fleet(self, fleet: Fleet) -> None:
        """Poll and answer presses while leading, until cancelled (see `WebhookRunner` for the webhook)."""
        await self._lead(fleet, self._poll)

    async def _lead(self, fleet: Fleet, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` and the button answers whenever this worker leads; a lost lead stops them."""
        keep = asyncio.create_task(fleet.keep_membership())
        try:
            while True:
                await fleet.lead()
                metrics.LEADER.set(1)
                led = asyncio.create_task(self._leading(work))
                lost = asyncio.create_task(fleet.watch())
                try:
                    await asyncio.wait({led, lost}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    metrics.LEADER.set(0)
                    led.cancel()
                    lost.cancel()
                    await asyncio.gather(led, lost, return_exceptions=True)
                    await fleet.step_down()
                if led.done() and not led.cancelled() and led.exception() is not None:
                    raise led.exception()  # type: ignore[misc]
        finally:
            keep.cancel()
            await asyncio.gather(keep, return_exceptions=True)

    async def _leading(self, work: Callable[[], Awaitable[None]]) -> None:
        await asyncio.gather(work(), self.sender.answering())

    async def _scan(self) -> None:
        while True:
            try:
                async with self.db.reading() as session:
                    for chat_id in await updates.pending_chats(session, self.bot_id):
                        self.kick(chat_id)
            except Exception as error:
                if not unavailable(error):
                    raise
                log.warning("cannot look for recorded updates (%s); looking again", type(error).__name__)
            await asyncio.sleep(SCAN)

    async def _poll(self) -> None:
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                batch = await self.api.get_updates(offset, self.poll_timeout)
            except RetryLater as error:
                await asyncio.sleep(error.seconds)
                continue
            except Unauthorized:
                raise
            except Transient as error:
                log.warning("getUpdates failed (%s); retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 1.5, 30.0)
                continue
            backoff = 1.0
            if not batch:
                continue
            self._expect_presses(batch)
            fresh = await self._record(batch)
            # Only now may the next getUpdates confirm this batch to the Bot API.
            offset = max(item.update_id for item in batch) + 1
            self._recorded(fresh)

    def _expect_presses(self, batch: Sequence[Received]) -> None:
        """Fetched presses may be acknowledged (at once when the bot is crowded, see `EarlyAnswers`:
        from `CROWDED` updates fetched or in hand until the lanes run out of work, as a press that
        comes while a backlog is handled waits for it) before the batch is recorded: an
        acknowledgement only stops the spinner, and a batch not recorded is not confirmed to the
        Bot API, which delivers it again after a crash."""
        crowded = self._crowded = self._crowded or self._handling + len(batch) >= CROWDED
        for item in batch:
            if isinstance(item.event, ButtonPress) and item.event.query_id:
                self.sender.expect_answer(item.event.query_id, crowded=crowded)

    def _recorded(self, fresh: Sequence[Received]) -> None:
        """A batch is recorded, so handled even after a crash: its new updates are handled."""
        for chat_id in {item.chat_id for item in fresh if item.event is not None}:
            self.kick(chat_id)

    async def _record(self, batch: list[Received]) -> list[Received]:
        """Store a fetched batch, waiting for the store if it is away: the batch is not confirmed
        to the Bot API before it is stored. Urgent: ahead of the lanes' transactions, as the next
        batch and its presses' answers wait for it."""
        backoff = 0.5
        while True:
            try:
                return await self._store(batch)
            except Exception as error:
                if not unavailable(error):
                    raise
                log.warning("updates not yet recorded (%s); retrying", type(error).__name__)
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, 5.0)

    async def _store(self, batch: Sequence[Received]) -> list[Received]:
        """Record fetched updates in one urgent transaction; meanwhile no lane starts a batch,
        so the batches of a burst do not slow the recording the presses' answers wait for."""
        self._storing += 1
        self._stored.clear()
        try:
            async with self.db.transaction(urgent=True, short=True) as session:
                return await updates.record(session, self.bot_id, batch)
        finally:
            self._storing -= 1
            if not self._storing:
                self._stored.set()

    async def _give_way(self) -> None:
        """Before each batch: recording fetched updates and acknowledging presses go first."""
        await self._stored.wait()
        await self.sender.acknowledged()

    def kick(self, chat_id: int) -> None:
        """`chat_id` has recorded updates: its lane looks for work."""
        self._wakes[abs(chat_id) % self.lanes].set()

    async def _lane(self, lane: int) -> None:
        wake = self._wakes[lane]
        while True:
            await wake.wait()
            wake.clear()
            self._active += 1
            try:
                while await self._handle_batch(lane):
                    pass
            except Exception:
                log.exception("handling updates failed; tried again at the next update or scan")
            finally:
                self._active -= 1
                async with self._calm:
                    self._calm.notify_all()

    async def drain(self) -> None:
        """Handle every recorded update now, lane by lane, sending nothing (for callers without `run`)."""
        for lane in range(self.lanes):
            while (await self._batch(lane)) is not None:
                pass

    async def idle(self) -> None:
        """Wait until no lane has work in hand or waiting (at shutdown, to finish what is in flight)."""
        async with self._calm:
            await self._calm.wait_for(lambda: not self._active and not any(w.is_set() for w in self._wakes))

    async def _handle_batch(self, lane: int) -> bool:
        """Handle the next batch of `lane`; False when there was nothing to do or the store is away
        (the scan brings the rest back)."""
        await self._give_way()
        try:
            outcome = await self._batch(lane)
        except Exception as error:
            if not unavailable(error):
                raise
            log.warning("updates wait for the store (%s)", type(error).__name__)
            return False
        if outcome is None:
            return False
        if outcome.answered:
            self.sender.wake_answers()
        self.sender.queued(outcome.chats)
        return True

    async def _batch(self, lane: int) -> Outcome | None:
        """Handle the next `BATCH` updates of `lane` in one transaction: None when none was left to
        this worker. A batch in which a flow step fails, or that cannot commit (on PostgreSQL, two
        lanes can deadlock on the same counters), is done again update by update."""
        async with self.db.reading() as session:
            heads = await updates.next_batch(session, self.bot_id, BATCH, self.lanes, lane)
        if not heads:
            if not self._handling:  # no lane has work in hand, this one found none: calm again
                self._crowded = False
            return None
        try:
            return await self._handle(heads)
        except Exception as error:
            if unavailable(error):
                raise
            log.warning("a batch failed (%s); its updates one by one", type(error).__name__)
        outcome = Outcome()
        for head in heads:
            outcome.add(await self._handle_alone(head))
        return outcome

    async def _handle_alone(self, head: tuple[int, int]) -> Outcome:
        try:
            return await self._handle([head]) or Outcome()
        except Exception as error:
            if unavailable(error):
                raise
            log.exception("update %s failed", head[0])
            async with self.db.transaction(short=True) as session:
                chat_id = await self._give_up(session, head[0])
            return Outcome(chats={chat_id} if chat_id is not None else set())

    async def _handle(self, heads: Sequence[tuple[int, int]]) -> Outcome | None:
        """Handle `heads` (update id, chat id) still unprocessed and, in a fleet, of chats whose
        turn this worker gets, in one transaction: None when none was left to this worker (another
        holds the chats, or handled them: the scan brings any back).

        An update handled alone runs under a savepoint, so that a failing flow step loses only its
        own work and its person is told. Several run without: a failing step fails the batch, which
        `_batch` does again update by update. Steps seldom fail, and a savepoint per update cost a
        third of the CPU time of a batch (two statements each, and the session's flush at each)."""
        isolated = len(heads) == 1
        outcome: Outcome | None = None
        ids = [update_id for update_id, _ in heads]
        self._handling += len(heads)
        try:
            async with self.db.transaction(short=True) as session:
                if self.fleet is not None:
                    keys = {chat_id: self.fleet.chat_key(chat_id) for _, chat_id in heads}
                    held = await take_turns(session, list(set(keys.values())))
                    ids = [update_id for update_id, chat_id in heads if keys[chat_id] in held]
                batch = await updates.claim(session, self.bot_id, ids)
                senders = [claimed.event.sender.user_id for claimed in batch]
                known = await read_people(session, self.kit.assembly.id, senders) if batch else None
                for done, claimed in enumerate(batch):
                    if done:
                        # Fetching and answering presses get their turn between two steps (on
                        # SQLite a step's statements run without giving the event loop back).
                        await asyncio.sleep(0)
                    if done and self._storing:
                        # A fetched batch waits to be recorded (on SQLite, for this transaction's
                        # write lock), and the next fetch waits for it: the rest in the next batch.
                        break
                    step = await self._step(session, claimed, known, isolated=isolated)
                    outcome = outcome or Outcome()
                    outcome.answered = outcome.answered or step.answered
                    if step.messages:
                        outcome.chats.add(claimed.chat_id)
                    if step.erased:  # it scrubbed rows this batch holds in memory: the rest in a fresh one
                        break
        finally:
            self._handling -= len(heads)
        return outcome

    async def _step(
        self, session: Session, claimed: Claimed, known: Known | None, *, isolated: bool
    ) -> Handled:
        """One update inside the batch's transaction: its step, its replies queued, marked handled.
        `isolated`: under a savepoint, a failing step given up on; otherwise its error is raised."""
        update_id = claimed.update_id
        with update_context(update_id, claimed.chat_id):
            if not isolated:
                return await self._run(session, claimed, known)
            try:
                async with session.begin_nested():
                    return await self._run(session, claimed, known)
            except Exception as error:
                if unavailable(error):
                    raise
                log.exception("update %s failed in a flow", update_id)
                given_up = await self._give_up(session, update_id)
                return Handled(answered=False, erased=False, messages=given_up is not None)

    async def _run(self, session: Session, claimed: Claimed, known: Known | None) -> Handled:
        """The flow step of one update, its replies queued and the update marked handled."""
        update_id = claimed.update_id
        with timed_update():
            result = await handle_event(session, self.kit, claimed.event, known)
            # An erasure scrubbed this update's row already; its reply leaves no trace once sent.
            outbox.enqueue_each(
                session,
                self.kit.assembly.id,
                claimed.chat_id,
                result.actions,
                update_id=None if result.erased else update_id,
                purge_after_send=result.erased,
            )
            await updates.finish(session, self.bot_id, update_id)
        answered = any(isinstance(action, AnswerButton) for action in result.actions)
        messages = not all(isinstance(action, AnswerButton) for action in result.actions)
        return Handled(answered, result.erased, messages)

    async def _give_up(self, session: Session, update_id: int) -> int | None:
        """Mark a failing update handled, so it cannot loop, and tell the person in their language:
        the chat told, None when the update was handled already."""
        assembly = self.kit.assembly
        failed = await updates.finish(session, self.bot_id, update_id, error="flow error")
        if failed is None:
            return None
        participant = await SqlStore(session, assembly.id).participant(failed.event.sender.user_id)
        language = participant.language if participant else assembly.fallback_language
        text = self.kit.translations.for_language(language).gettext(APOLOGY)
        chat_id = failed.chat_id
        outbox.enqueue(session, assembly.id, chat_id, [SendMessage(chat_id, text)], update_id=update_id)
        return chat_id
