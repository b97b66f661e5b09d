"""The outbox sender: Bot API limits, 429 `retry_after`, backoff on server errors, every outcome recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable

from bot.store import outbox
from bot.store.database import Database, unavailable
from bot.telegram.api import ApiError, Blocked, Delivery, RetryLater, TelegramApi, Transient
from bot.telegram.budget import LocalBudget, SendBudget
from bot.telegram.workers import KeyedWorkers
from flows.actions import AnswerButton, SendMessage

log = logging.getLogger(__name__)

LOOK = 1.0
"""Seconds between looks for due messages no one woke the sender for."""

READERS = 2
"""Chats reading their queue at once. A fan-out or a burst of replies starts a drain for each of
hundreds of chats at once; unbounded, their reads took every connection of the store's pool (and
a thread each on SQLite), and the update loop's own reads queued behind them."""

ChatTurns = Callable[[int], contextlib.AbstractAsyncContextManager[bool]]
"""A chat's turn to send among several workers: True inside it when this worker holds it."""


class EarlyAnswers:
    """Button presses received but not yet answered, so a press is acknowledged in time even when
    its flow step waits behind others: Telegram shows a spinner until the answer, and refuses an
    answer to a query that is too old. A press is expected once its update is recorded, by the
    worker that recorded it. Each press is answered once (`SendBudget.first_answer`): by the flow's
    own answer (with its notice) when it comes in time, else by the recording worker, without text.
    In time is `grace` when the bot is crowded (a plenary pressing at once: none, the press is
    acknowledged as soon as it is recorded), `calm` otherwise, when a step is slow only by chance;
    once the bot is crowded, presses that came while it was calm get `grace` too."""

    def __init__(self, grace: float, calm: float) -> None:
        self.grace, self.calm = grace, calm
        self._waiting: dict[str, float] = {}
        self._calm: set[str] = set()  # waiting with the calm delay

    def expect(self, query_id: str, *, crowded: bool) -> None:
        now = time.monotonic()
        if not crowded:
            if query_id not in self._waiting:
                self._waiting[query_id] = now + self.calm
                self._calm.add(query_id)
            return
        # The bot is crowded now: presses still waiting for their steps wait no longer than this one
        # (the first presses of a plenary arrive before the crowd, and would wait behind it).
        for waiting in self._calm:
            self._waiting[waiting] = min(self._waiting[waiting], now + self.grace)
        self._calm.clear()
        self._waiting.setdefault(query_id, now + self.grace)

    def settle(self, query_id: str) -> None:
        """The flow's answer is about to leave (from this worker or another)."""
        self._waiting.pop(query_id, None)
        self._calm.discard(query_id)

    def overdue(self) -> list[str]:
        """Presses past their grace, no longer waited for (the caller acknowledges them)."""
        now = time.monotonic()
        due = [query for query, deadline in self._waiting.items() if deadline <= now]
        for query in due:
            del self._waiting[query]
            self._calm.discard(query)
        return due

    def next_deadline(self) -> float | None:
        return min(self._waiting.values(), default=None)


class OutboxSender:
    """Sends pending outbox rows, in order per chat, never more than the Bot API allows.

    Button answers are not messages: they leave at once, outside their chat's order and the
    message budget. A chat waiting for the budget holds no sending slot: the slots (`concurrency`)
    bound the calls in flight, not the chats that wait. It sends only `assembly_id`'s rows: `api`
    is that assembly's bot.

    With several workers (`turns` given), a chat's next message is sent by whichever worker holds
    that chat's turn, so each row leaves once and in order; `budget` is then the one they share,
    and the queued button answers leave from the leading worker (see `answering`), while each worker
    acknowledges the presses it recorded (see `EarlyAnswers`)."""

    def __init__(
        self,
        db: Database,
        api: TelegramApi,
        assembly_id: str,
        *,
        global_per_second: float = 30.0,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        max_attempts: int = 8,
        concurrency: int = 64,
        answer_grace: float = 0.0,
        calm_grace: float = 2.0,
        budget: SendBudget | None = None,
        turns: ChatTurns | None = None,
    ) -> None:
        self.db, self.api, self.assembly_id, self.max_attempts = db, api, assembly_id, max_attempts
        self.budget = budget or LocalBudget(global_per_second, chat_per_second, chat_burst)
        self.turns = turns
        # Alone, every answer queued here wakes the lane; in a fleet the lane also looks often for
        # answers other workers queued.
        self._answers_look = 5.0 if turns is None else 0.2
        self.workers = KeyedWorkers(self._drain_chat)
        self.early = EarlyAnswers(answer_grace, calm_grace)
        self._in_flight = asyncio.Semaphore(concurrency)
        self._readers = asyncio.Semaphore(READERS)
        # Heads read together for chats whose drain starts (`_start`): taken by its first look.
        self._heads: dict[int, tuple[outbox.Queued | None, bool]] = {}
        self._wake = asyncio.Event()
        self._everyone = False
        self._queued: set[int] = set()
        self._answers_wake = asyncio.Event()
        self._presses = asyncio.Event()
        self._recording: asyncio.Task[None] | None = None
        self._acknowledging = 0
        self._acknowledged = asyncio.Event()
        self._acknowledged.set()
        self._answering: set[int] = set()
        self._answered: dict[int, int | None] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._acks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Messages were queued (by timed work, for any chats): every chat with one due is looked at."""
        self._everyone = True
        self._wake.set()

    def queued(self, chats: Iterable[int]) -> None:
        """Messages were queued for `chats` (by the update steps): those chats, and only those, are
        looked at again, so a burst of replies does not make every waiting chat read its queue anew."""
        self._queued.update(chats)
        self._wake.set()

    def wake_answers(self) -> None:
        """Button answers were queued."""
        self._answers_wake.set()

    def expect_answer(self, query_id: str, *, crowded: bool) -> None:
        """A button press arrived: make sure it is acknowledged in time (see `EarlyAnswers`)."""
        self.early.expect(query_id, crowded=crowded)
        self._presses.set()

    async def acknowledged(self) -> None:
        """Wait until no acknowledgement is due or under way: the update workers give way to them,
        as a burst of steps would otherwise hold the event loop while presses spin."""
        await self._acknowledged.wait()

    async def run(self, *, answers: bool = True) -> None:
        """Find chats with due messages and start a worker for each, and acknowledge the presses
        this worker recorded, until cancelled; with `answers`, the queued button answers too (else
        `answering` runs them where they belong)."""
        lanes = asyncio.create_task(self.answering()) if answers else None
        presses = asyncio.create_task(self._press_loop())
        try:
            look = 0.0
            while True:
                self._wake.clear()
                everyone, self._everyone = self._everyone, False
                chats, self._queued = self._queued, set()
                await self._start(chats)
                if everyone or time.monotonic() >= look:
                    look = time.monotonic() + LOOK
                    await self._look(everyone=everyone)
                # asyncio.timeout, not wait_for: Python 3.11's wait_for returns normally when the wake-up
                # and a cancellation coincide, and this loop would never stop (a hung shutdown).
                await self._nap(self._wake, max(0.0, look - time.monotonic()))
        finally:
            stopping = [task for task in (lanes, presses, *self._acks) if task is not None]
            for task in stopping:
                task.cancel()
            await asyncio.gather(*stopping, return_exceptions=True)
            await self.workers.cancel()

    async def _start(self, chats: set[int]) -> None:
        """Start (or stir) the drains of `chats`, reading the heads of their queues in one query
        for those with no drain under way, which then need not read them each."""
        idle = [chat_id for chat_id in chats if not self.workers.running(chat_id)]
        if idle:
            try:
                async with self._readers, self.db.reading() as session:
                    self._heads.update(await outbox.heads(session, self.assembly_id, idle))
            except Exception as error:
                if not unavailable(error):
                    raise
                # each drain reads its own head, and waits for the store as it does
        for chat_id in chats:
            self.workers.kick(chat_id)

    async def _look(self, *, everyone: bool) -> None:
        """Start the chats with a message due; unless `everyone`, only those with nothing under way
        (messages postponed until now, or queued by another worker): a chat being drained sees
        whatever was committed before its next look at its queue."""
        try:
            async with self.db.reading() as session:
                chats = await outbox.due_chats(session, self.assembly_id)
        except Exception as error:
            if not unavailable(error):
                raise
            log.warning("the outbox is unreadable (%s); looking again", type(error).__name__)
            return
        for chat_id in chats:
            if everyone or not self.workers.running(chat_id):
                self.workers.kick(chat_id)

    async def answering(self) -> None:
        """The queued button answers, until cancelled."""
        self._answering.clear()  # left by an earlier term cut short: pending again, taken up anew
        lane = asyncio.create_task(self._answer_loop())
        try:
            await lane
        finally:
            for task in (lane, *self._tasks):
                task.cancel()
            await asyncio.gather(lane, *self._tasks, return_exceptions=True)

    @staticmethod
    async def _nap(event: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()

    async def _press_loop(self) -> None:
        """Acknowledge presses whose step has not answered within the grace period; touches no
        store, so a queue of writers never delays it."""
        while True:
            self._presses.clear()
            for query_id in self.early.overdue():
                self._acknowledging += 1
                self._acknowledged.clear()
                ack = asyncio.create_task(self._acknowledge(query_id))
                self._acks.add(ack)
                ack.add_done_callback(self._acks.discard)
            deadline = self.early.next_deadline()
            wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
            await self._nap(self._presses, wait)

    async def _answer_loop(self) -> None:
        """Queued button answers, sent side by side as soon as they are due, whatever their chats
        wait for; deliveries are recorded together, in the background."""
        while True:
            self._answers_wake.clear()
            try:
                async with self.db.reading() as session:
                    due = await outbox.due_answers(session, self.assembly_id, skip=self._answering)
                for queued in due:
                    self._answering.add(queued.id)
                    self._spawn(self._answer(queued))
                if self._answered and (self._recording is None or self._recording.done()):
                    self._recording = self._spawn(self._record_answers())
            except Exception:
                log.exception("button answers: a pass failed; retrying")
                await asyncio.sleep(1.0)
            await self._nap(self._answers_wake, self._answers_look)

    async def _record_answers(self) -> None:
        done, self._answered = self._answered, {}
        try:
            async with self.db.transaction(short=True) as session:
                await outbox.mark_all_sent(session, done)
        except Exception as error:
            self._answered.update(done)  # recorded on a later pass
            if not unavailable(error):
                raise
            log.warning("button answers sent, not yet recorded (%s)", type(error).__name__)
            return
        self._answering.difference_update(done)
        self._answers_wake.set()

    def _spawn(self, work: Coroutine[None, None, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _acknowledge(self, query_id: str) -> None:
        """Stop the spinner of a press whose step has not answered it yet; nothing is recorded:
        if this fails, the step's own answer is still refused as too old, as it would have been."""
        try:
            if await self.budget.first_answer(query_id):
                async with self._in_flight:
                    await self.api.perform(AnswerButton(query_id))
        except ApiError as error:
            log.info("early answer to a button press failed: %s", error)
        finally:
            self._acknowledging -= 1
            if not self._acknowledging:
                self._acknowledged.set()

    async def _answer(self, queued: outbox.Queued) -> None:
        action = queued.action
        assert isinstance(action, AnswerButton)
        try:
            self.early.settle(action.query_id)
            if await self.budget.first_answer(action.query_id):
                async with self._in_flight:
                    await self.api.perform(action)
            elif action.text and await self._only_reply(queued):
                # Acknowledged already, without the step's notice, and nothing else of that step
                # tells the person what happened: the notice becomes a message.
                async with self._limits(queued.chat_id):
                    await self.api.perform(SendMessage(queued.chat_id, action.text))
        except Exception as error:
            self._answering.discard(queued.id)
            if unavailable(error):  # still pending: answered on a later pass
                log.warning("button answer %s waits for the store (%s)", queued.id, type(error).__name__)
                return
            await self._not_sent(queued.id, error)
        else:
            self._answered[queued.id] = None
        self._answers_wake.set()

    async def _only_reply(self, queued: outbox.Queued) -> bool:
        if queued.update_id is None:
            return True
        async with self.db.reading() as session:
            return await outbox.step_replies(session, self.assembly_id, queued.update_id, queued.chat_id) <= 1

    async def _drain_chat(self, chat_id: int) -> None:
        try:
            head = self._heads.pop(chat_id, None)  # read for this drain as it started (`_start`)
            while await self._send_next(chat_id, head):
                head = None
        except Exception as error:
            if not unavailable(error):
                raise
            # Nothing left undone that the store cannot resume: the next pass sends what is pending.
            log.warning("chat %s waits for the store (%s)", chat_id, type(error).__name__)

    async def _send_next(self, chat_id: int, head: tuple[outbox.Queued | None, bool] | None = None) -> bool:
        """Send the chat's oldest pending message if it is due (`head`: read already, in this
        drain); True when the chat may have more."""
        if head is None:
            async with self._readers, self.db.reading() as session:
                head = await outbox.next_due(session, self.assembly_id, chat_id)
        queued, more = head
        if queued is None:
            return False
        async with self._turn(chat_id) as mine:
            if not mine:
                return False  # another worker is sending this chat's messages
            if self.turns is not None:
                async with self.db.reading() as session:  # the turn is ours: is the row still next?
                    again, more = await outbox.next_due(session, self.assembly_id, chat_id)
                if again is None or again.id != queued.id:
                    return True
            try:
                # The budget last, right before the call: Telegram counts a message when the call
                # arrives, and the store's round trips for the turn would blur our count of it.
                async with self._limits(chat_id):
                    delivery = await self.api.perform(queued.action)
            except Blocked as error:
                async with self.db.transaction(short=True) as session:
                    await outbox.mark_blocked(session, self.assembly_id, chat_id, str(error))
                log.info("chat %s blocked the bot; its pending messages are stopped", chat_id)
                return False
            except Exception as error:
                return await self._not_sent(queued.id, error)
            # Recorded at once: a crash between Telegram's acceptance and this commit is the only way
            # a message goes twice, so nothing else is done in between.
            await self._record_sent(queued.id, delivery)
        # Whatever was queued after the look above is kicked (`queued`, `wake`): no look again.
        return more

    async def _record_sent(self, row_id: int, delivery: Delivery) -> None:
        """Record a delivery, waiting for the store if it is unreachable (a restart): the message
        has left, and a row left pending would be sent again."""
        backoff = 0.2
        while True:
            try:
                async with self.db.transaction(short=True) as session:
                    await outbox.mark_sent(session, row_id, delivery.message_id, delivery.poll_id)
                return
            except Exception as error:
                if not unavailable(error):
                    raise
                log.warning("row %s sent, not yet recorded (%s); retrying", row_id, type(error).__name__)
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, 5.0)

    @contextlib.asynccontextmanager
    async def _limits(self, chat_id: int) -> AsyncIterator[None]:
        """Wait for the budget a message must pass, then for a sending slot: waiting for the
        budget holds no slot."""
        async with self.budget.slot(chat_id), self._in_flight:
            yield

    def _turn(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[bool]:
        if self.turns is None:
            return contextlib.nullcontext(True)
        return self.turns(chat_id)

    async def _not_sent(self, row_id: int, error: Exception) -> bool:
        """Reschedule after a 429 or a transient error, give up on anything else."""
        async with self.db.transaction(short=True) as session:
            if isinstance(error, RetryLater):
                await outbox.postpone(session, row_id, error.seconds, f"429 retry after {error.seconds:g} s")
            elif isinstance(error, Transient):
                await outbox.retry_or_fail(session, row_id, str(error), self.max_attempts)
            else:  # Rejected, or a bug in an adapter: retrying the same call cannot help
                log.warning("outbox row %s refused, not sent: %s", row_id, error)
                await outbox.mark_failed(session, row_id, f"{type(error).__name__}: {error}")
        if isinstance(error, RetryLater):
            await asyncio.sleep(error.seconds)
            return True
        return not isinstance(error, Transient)
