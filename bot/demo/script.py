"""The assembly the demo plays: each phase drives simulated people through the emulator and the real bot.

Time is a `ManualClock` that the script moves from registration to the end of session 1; the bot's
scheduler (every 0.2 s of real time) sends what becomes due, exactly as it would on a real clock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from bot.adapters.clock import ManualClock
from bot.bootstrap import App
from bot.demo.actors import Actor, DemoError, Person, buttons, has_button
from bot.emulator import Emulator, SentMessage
from bot.organiser.lottery.selection import run_selection
from bot.store import invitations, outbox, sessions
from bot.store.participants import SqlStore, ensure_assembly
from bot.store.roles import create_invite
from flows.assembly import Assembly
from flows.questionnaire import Question
from flows.registration.steps import StepButton

SEATS, RESERVES, SEED = 8, 4, 20270301
REGISTRATION_OPENS = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
RG = StepButton.prefix


def _thanked(prompt: SentMessage, message: SentMessage) -> bool:
    return message is prompt and not message.buttons


class DemoScript:
    """One run of the demo assembly against a running bot; phases run in the order of `phases()`."""

    def __init__(
        self, assembly: Assembly, emulator: Emulator, app: App, clock: ManualClock, people: list[Person]
    ) -> None:
        self.assembly, self.emulator, self.app, self.clock = assembly, emulator, app, clock
        self.rng = random.Random(SEED)
        self.actors = {p.user_id: Actor(p, emulator.user(p.user_id, p.name, p.language)) for p in people}
        self.facilitator = Actor(None, emulator.user(7900, "Sofia", "en"))
        self.organiser = Actor(None, emulator.user(7901, "Omar", "en"))
        self.confirmed: list[Actor] = []
        self.present: list[Actor] = []
        self.algorithm = ""
        self.drawn: list[int] = []
        self.digest_chart = b""
        session = assembly.sessions[0]
        self.session = session.id
        self.starts, self.ends = assembly.start_of(session), assembly.end_of(session)

    def phases(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        return [
            ("invitations and registration", self.register_everyone),
            ("lottery (maximin)", self.lottery),
            ("confirmations and a reserve", self.confirmations),
            ("reminders and RSVPs", self.reminders),
            ("check-in", self.check_in),
            ("roles and tables", self.tables),
            ("table polls", self.polls),
            ("feedback", self.feedback),
            ("the organiser's digest", self.digest),
        ]

    @property
    def everyone(self) -> list[Actor]:
        return [*self.actors.values(), self.facilitator, self.organiser]

    # -- helpers --------------------------------------------------------------------------------

    async def settle(self) -> None:
        """Let the scheduler run (it ticks every 0.2 s), then wait until the outbox is empty."""
        await asyncio.sleep(0.6)
        async with asyncio.timeout(30):
            while True:
                async with self.app.db.transaction() as session:
                    waiting = await outbox.earliest_due(session, self.assembly.id)
                if waiting is None and not self.emulator.pending_updates():
                    return
                await asyncio.sleep(0.05)

    async def actor_of(self, participant_id: int) -> Actor:
        async with self.app.db.transaction() as session:
            found = await SqlStore(session, self.assembly.id).participants([participant_id])
        return self.actors[found[0].user_id if found else 0]

    # -- registration ---------------------------------------------------------------------------

    async def register_everyone(self) -> None:
        async with self.app.db.transaction() as session:
            await ensure_assembly(session, self.assembly)
            codes = invitations.create(
                session, self.assembly.id, len(self.actors), self.clock.now() + timedelta(days=60)
            )
        actors = list(self.actors.values())
        await asyncio.gather(
            *(
                self.register(actor, code, clumsy=n % 3 == 0)
                for n, (actor, code) in enumerate(zip(actors, codes[: len(actors)], strict=True))
            )
        )
        await self.forget(actors[-1])

    async def register(self, actor: Actor, code: str, *, clumsy: bool) -> None:
        """The whole registration conversation; a clumsy person gives a few bad answers first."""
        person = actor.person
        assert person is not None
        if clumsy:  # an unknown code is answered with the open registration's button
            await actor.button(f"{RG}:begin:", await actor.say("/start NOT-A-REAL-CODE"))
        since = await actor.say(f"/start {code}")
        first = await actor.button(f"{RG}:", since)
        if has_button(first, f"{RG}:begin:"):
            since = await actor.press(f"{RG}:begin:go")
        await actor.button(f"{RG}:lang:", since)
        if clumsy:
            await actor.reply(await actor.say("hello?"))
        since = await actor.press(f"{RG}:lang:{person.language}")
        await actor.button(f"{RG}:consent:", since)
        since = await actor.press(f"{RG}:consent:yes")
        registration = self.assembly.registration
        assert registration is not None
        for question in registration.questions:
            await actor.button(f"{RG}:q.{question.id}:", since)
            since = await self.answer(actor, person, question, clumsy=clumsy)
        await actor.button(f"{RG}:sum:ok", since)
        await actor.reply(await actor.press(f"{RG}:sum:ok"))

    async def answer(self, actor: Actor, person: Person, question: Question, *, clumsy: bool) -> int:
        """Answer one question the way a person would; returns the message index to wait from."""
        qid, kind = question.id, question.kind
        token = f"{RG}:q.{qid}"
        if kind == "text":
            if clumsy:
                await actor.reply(await actor.say("x" * (question.max_length + 1)))
            return await actor.say(person.name)
        if kind == "number":
            if clumsy:
                await actor.reply(await actor.say("many"))
            return await actor.say(str(person.household))
        if kind in ("choice", "yes_no"):
            value = person.profile.get(qid) or question.values[-1]
            return await actor.press(f"{token}:{value}")
        if kind in ("multiple", "availability", "accessibility"):
            # A ticking button's data ends with the copy of the question it is on: `...:t.fr:3`.
            shown = actor.messages[-1]
            data = {d.removeprefix(f"{token}:t.").split(":")[0]: d for d in buttons(shown, f"{token}:t.")}
            options = list(data)
            wanted = {"multiple": person.language, "availability": options[0]}.get(kind)
            pick = wanted if wanted in options else (options[0] if kind != "accessibility" else None)
            if pick is not None:
                await actor.press(data[pick])
                await actor.until(
                    lambda m: any(
                        b.callback_data == data[pick] and b.text.startswith("☑")
                        for row in m.buttons
                        for b in row
                    ),
                    what="a ticked box",
                )
            since = await actor.press(buttons(shown, f"{token}:done")[0])
            if kind == "accessibility":
                await actor.button(f"{RG}:n.{qid}:", since)
                return await actor.press(f"{RG}:n.{qid}:none")
            return since
        if kind == "phone":
            if person.user_id % 2:
                return await actor.share_contact(f"+3247000{person.user_id}")
            return await actor.press(f"{token}:skip")
        raise DemoError(f"the demo cannot answer a '{kind}' question")

    async def forget(self, actor: Actor) -> None:
        """One person changes their mind and erases their data with /forget."""
        await actor.button("fg:yes", await actor.say("/forget"))
        await actor.reply(await actor.press("fg:yes"))

    # -- lottery and confirmations --------------------------------------------------------------

    async def lottery(self) -> None:
        outcome = await run_selection(
            self.app.db,
            self.assembly,
            self.app.core.kit.translations,
            seats=SEATS,
            seed=SEED,
            algorithm="maximin",
            reserves=RESERVES,
            now=self.clock.now(),
        )
        self.algorithm = outcome.draw.algorithm
        self.selection = outcome.selection_id
        self.drawn = outcome.draw.selected
        self.app.runner.sender.wake()
        await self.settle()

    async def confirmations(self) -> None:
        actors = [await self.actor_of(pid) for pid in sorted(self.drawn)]
        for n, actor in enumerate(actors):
            await actor.button(f"cf:{self.selection}:")
            answer = "no" if n == 0 else "yes"
            await actor.reply(await actor.press(f"cf:{self.selection}:{answer}"))
        await self.settle()
        promoted = [
            a
            for a in self.actors.values()
            if a not in actors and any(has_button(m, f"cf:{self.selection}:") for m in a.messages)
        ]
        if not promoted:
            raise DemoError("no reserve was offered the declined seat")
        for actor in promoted:
            await actor.reply(await actor.press(f"cf:{self.selection}:yes"))
        await self.settle()
        async with self.app.db.transaction() as session:
            confirmed = await sessions.confirmed_recipients(session, self.assembly.id)
        self.confirmed = [self.actors[uid] for uid in sorted(p.user_id for p in confirmed)]

    # -- sessions -------------------------------------------------------------------------------

    async def reminders(self) -> None:
        offsets = sorted(self.assembly.reminders.offsets, reverse=True)
        for round_, offset in enumerate(offsets):
            marks = {a.user.id: len(a.messages) for a in self.confirmed}
            self.clock.set(self.starts - offset + timedelta(minutes=1))
            await self.settle()
            if round_:
                continue
            for n, actor in enumerate(self.confirmed):
                await actor.button(f"rsvp:{self.session}:", marks[actor.user.id])
                if n == len(self.confirmed) - 1:
                    since = await actor.press(f"rsvp:{self.session}:no")
                    await actor.button(f"rsvp:{self.session}:skip", since)
                    await actor.reply(await actor.say("Désolé, je travaille ce samedi-là."))
                else:
                    await actor.reply(await actor.press(f"rsvp:{self.session}:yes"))

    async def check_in(self) -> None:
        async with self.app.db.transaction() as session:
            stored = await sessions.session_rows(session, self.assembly.id)
        code = next(record.checkin_code for record in stored if record.key == self.session)
        self.clock.set(self.starts + timedelta(minutes=5))
        coming = self.confirmed[:-1]
        for n, actor in enumerate(coming):
            if n == 0:
                await actor.reply(await actor.say("/checkin"))
                await actor.reply(await actor.say("ZZZ999"))
                await actor.reply(await actor.say(str(code).lower()))
            elif n % 2:
                await actor.reply(await actor.say(f"/start checkin-{code}"))
            else:
                await actor.reply(await actor.say(f"/checkin {code}"))
        self.present = coming

    async def tables(self) -> None:
        for actor, role in ((self.facilitator, "facilitator"), (self.organiser, "organiser")):
            async with self.app.db.transaction() as session:
                code = await create_invite(
                    session, self.assembly.id, role, self.clock.now(), timedelta(hours=2)
                )
            await actor.reply(await actor.say(f"/start role-{code}"))
        await self.organiser.reply(await self.organiser.say("/tables"))
        await self.settle()

    async def digest(self) -> None:
        """The organiser asks for the digest in the bot; its chart is the demo's digest.png."""
        since = await self.organiser.say("/digest")
        chart = await self.organiser.until(lambda m: m.photo is not None, since, what="the digest chart")
        await self.organiser.until(lambda m: m.document is not None, since, what="the digest CSV")
        self.digest_chart = chart.photo or b""

    async def polls(self) -> None:
        await self.poll("car-free-2035", "t")
        await self.poll("heat-pumps", "s")

    async def poll(self, template: str, scope: str) -> None:
        """The facilitator starts a template; everyone who gets a ballot answers; the facilitator closes."""
        facilitator = self.facilitator
        marks = {a.user.id: len(a.messages) for a in self.present}
        await facilitator.button(f"pt:{template}", await facilitator.say("/poll"))
        await facilitator.button(f"ps:{template}:{scope}", await facilitator.press(f"pt:{template}"))
        live = await facilitator.until(
            lambda m: "answered" in (m.text or ""),
            await facilitator.press(f"ps:{template}:{scope}"),
            "a live count",
        )
        await self.settle()
        voters = [
            a for a in self.present if any(has_button(m, "pv:") for m in a.messages[marks[a.user.id] :])
        ]
        for actor in voters:
            ballot = next(m for m in reversed(actor.messages) if has_button(m, "pv:"))
            choices = buttons(ballot, "pv:")
            weights = [4 if i == 0 else 1 for i in range(len(choices))]
            await actor.press(self.rng.choices(choices, weights)[0])
        done = f"{len(voters)} of {len(voters)} answered"
        await facilitator.until(lambda m: m is live and done in (m.text or ""), what=f"“{done}”")
        close = buttons(live, "pf:")[0].rsplit(":", 1)[0] + ":close"
        await facilitator.until(
            lambda m: (m.text or "").startswith("📊"), await facilitator.press(close), "results"
        )
        await self.settle()

    async def feedback(self) -> None:
        marks = {a.user.id: len(a.messages) for a in self.present}
        self.clock.set(self.ends + timedelta(minutes=1))
        await self.settle()
        ratings = len(self.assembly.feedback.ratings)
        prefix = f"fb:{self.session}"
        for n, actor in enumerate(self.present):
            since = marks[actor.user.id]  # each rating edits the invitation in place
            for index in range(ratings):
                await actor.button(f"{prefix}:{index}:", since)
                await actor.press(f"{prefix}:{index}:{self.rng.randint(3, 5)}")
            prompt = await actor.until(
                lambda m: buttons(m, f"{prefix}:") == [f"{prefix}:skip"], since, "the comment prompt"
            )
            assert actor.person is not None
            if n % 3 == 2:
                # Skipping edits the prompt into thanks (its buttons go) rather than sending a message.
                await actor.press(f"{prefix}:skip")
                await actor.until(partial(_thanked, prompt), what="thanks for the feedback")
            else:
                await actor.reply(await actor.say(actor.person.comment))
