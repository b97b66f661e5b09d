"""Definition drift: an edited definition between two starts. Mistakes in the file are refused in one
line, and what changed is handled for the people already in the middle of something."""

from __future__ import annotations

import copy
import dataclasses
import logging
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FlowHarness, add_confirmed, mirror_sessions
from conftest import _apart as apart
from sqlalchemy import select

from bot.adapters.i18n import Catalogs
from bot.bootstrap import build_kit
from bot.definition import ConfigError, load_assembly
from bot.jobs.digest import send_digests
from bot.jobs.reminders import ReminderJob
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store import lottery
from bot.store.database import Database
from bot.store.models import OutboxMessage, ReminderDelivery
from bot.store.participants import SqlStore
from flows.actions import Action, AnswerButton, SendMessage
from flows.assembly import Assembly
from flows.confirmation import SeatButton
from flows.engine import ConversationState, Step
from flows.events import ButtonPress, Command, ContactShared, Event, Sender, Text
from flows.feedback import RatingButton
from flows.polls.ballots import VoteButton
from flows.polls.compose import spec_of
from flows.ports import Presence, Translations, Translator
from flows.registration.answers import still_valid
from flows.registration.steps import StepButton
from flows.sessions.notices import RsvpButton
from flows.status import ParticipantStatus


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text + "sessions: []\n",
            "line {end}: duplicate key 'sessions' (first given at line 62)",
        ),
        (
            lambda text: text.replace("  - id: s2\n", "  - id: s2\n    id: s7\n", 1),
            "line {s2}: duplicate key 'id' (first given at line {s2_id})",
        ),
    ],
    ids=["top-level", "inside-a-session"],
)
def test_a_key_given_twice_is_an_error_naming_the_key_and_the_line(
    tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    text = EXAMPLE_ASSEMBLY.read_text(encoding="utf-8")
    lines = text.splitlines()
    s2_id = lines.index("  - id: s2") + 1
    path = tmp_path / "assembly.yaml"
    path.write_text(edit(text), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_assembly(path)
    expected = message.format(end=len(lines) + 1, s2=s2_id + 1, s2_id=s2_id)
    assert str(raised.value) == f"{path}: {expected}"


S1_START = datetime(2027, 3, 6, 8, 30, tzinfo=UTC)


class FailingFor:
    """The bot's translations, except that one language raises: a recipient whose message cannot be
    built, whatever the cause, to show that one such person never costs the others their message."""

    def __init__(self, translations: Translations, language: str) -> None:
        self.translations, self.language = translations, language

    def for_language(self, language: str) -> Translator:
        if language == self.language:
            raise LookupError(f"no catalog for {language}")
        return self.translations.for_language(language)


async def _reminders(db: Database) -> list[tuple[int, str]]:
    async with db.transaction() as session:
        query = select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
        return [(row.chat_id, row.payload["text"]) for row in (await session.execute(query)).scalars()]


async def test_a_dropped_language_falls_back_and_one_bad_recipient_never_fails_the_batch(
    db: Database, assembly: Assembly, caplog: pytest.LogCaptureFixture
) -> None:
    """German is dropped while one person uses it: all six confirmed people are reminded (the German
    speaker in French, the fallback); the next message tells them once, in French; and a recipient
    whose reminder cannot be built is logged and marked while the five others get theirs."""
    one = assembly.model_copy(update={"sessions": assembly.sessions[:1]})
    people = [
        await add_confirmed(db, one, 700 + n, code)
        for n, code in enumerate(["de", "fr", "nl", "en", "ar", "fr"])
    ]
    await mirror_sessions(db, one, S1_START - timedelta(days=30))
    dropped = one.model_copy(update={"languages": ["fr", "nl", "en", "ar"]})
    kit = build_kit(dropped)
    await ReminderJob(db, dropped, kit.translations, lambda: None)(
        S1_START - timedelta(days=7) + timedelta(minutes=1)
    )
    sent = dict(await _reminders(db))
    assert sorted(sent) == sorted(p.chat_id for p in people)
    assert sent[700].startswith("🔔 Rappel : Séance 1")  # German is gone: the fallback, French
    assert sent[702].startswith("🔔 Herinnering: Sessie 1")

    flow = FlowHarness(db, dropped)
    german = flow.sender(700, "de")
    first = await flow.send(Command(german, "sessions", ""))
    assert isinstance(first[0], SendMessage)
    assert first[0].text.startswith(
        "La langue que vous utilisiez avec moi n'est plus proposée : je vous écrirai désormais en français."
    )
    assert len(first) > 1
    again = await flow.send(Command(german, "sessions", ""))
    assert not any("n'est plus proposée" in getattr(action, "text", "") for action in again)

    broken = FailingFor(kit.translations, "nl")
    with caplog.at_level(logging.ERROR, logger="bot.jobs.recipients"):
        await ReminderJob(db, dropped, broken, lambda: None)(
            S1_START - timedelta(days=1) + timedelta(minutes=1)
        )
    others = sorted(p.chat_id for p in people if p.chat_id != 702)
    assert sorted(chat for chat, _ in await _reminders(db)) == others  # the week's were past their grace
    async with db.transaction() as session:
        failed = (
            (await session.execute(select(OutboxMessage).where(OutboxMessage.status == "failed")))
            .scalars()
            .all()
        )
        marks = (
            await session.execute(
                select(ReminderDelivery.participant_id).where(ReminderDelivery.status == "failed")
            )
        ).all()
    assert [(row.chat_id, row.topic) for row in failed] == [(702, "reminder:s1")]
    assert marks == [(people[2].id,)]
    assert "chat 702" in caplog.text
    await ReminderJob(db, dropped, broken, lambda: None)(S1_START - timedelta(days=1) + timedelta(minutes=2))
    assert sorted(chat for chat, _ in await _reminders(db)) == others
    async with db.transaction() as session:  # the failure is recorded once, not retried at every run
        assert (
            len(
                (
                    await session.execute(select(OutboxMessage.id).where(OutboxMessage.status == "failed"))
                ).all()
            )
            == 1
        )


def test_a_language_no_longer_offered_gets_the_fallback_translator(assembly: Assembly) -> None:
    """So the apology after a failed step, a digest or a notice never depends on a dropped language."""
    translations = Catalogs(["fr", "nl"], assembly.zone, "nl")
    assert translations.for_language("de").language == "nl"
    assert translations.for_language("fr").language == "fr"


# --- The drift matrix: people mid-flow in every state, then the definition changes under them. ---

AFTER_S1 = datetime(2027, 3, 6, 18, 0, tzinfo=UTC)
"""Session s1 (09:30-16:30 in Brussels) is over: its feedback is being asked."""
ORIGINAL = yaml.safe_load(EXAMPLE_ASSEMBLY.read_text(encoding="utf-8"))
QUESTIONS = [question["id"] for question in ORIGINAL["registration"]["questions"]]
REGISTRATION_STEPS = ["lang", "consent", *(f"q.{q}" for q in QUESTIONS[:-1]), "n.access", "q.phone", "sum"]
"""Every step of registration in the order a person meets them (the accessibility note after its choices)."""
OTHER_STATES = ["awaiting-confirmation", "mid-poll", "rsvp-reason", "feedback-rating", "feedback-comment"]
STATES = [*REGISTRATION_STEPS, *OTHER_STATES]
FIRST_USER = 9_000
SELECTION, POLL = 1, 1
"""The ids the store gives the one draw and the one poll of the store below."""


def _first_value(question_id: str) -> str:
    question = next(q for q in ORIGINAL["registration"]["questions"] if q["id"] == question_id)
    if question["kind"] == "availability":
        return str(question["dates"][0])
    return "yes" if question["kind"] == "yes_no" else str(question["choices"][0]["id"])


def answer_to(flow: FlowHarness, sender: Sender, step: str) -> list[Event]:
    """What a person at `step` sends to answer it, as in the original definition."""
    if step == "awaiting-confirmation":  # declining offers the seat to the best-matching reserve
        return [flow.press(sender, SeatButton(SELECTION, "no").pack())]
    if step == "mid-poll":
        return [flow.press(sender, VoteButton(POLL, "c", "0").pack())]
    if step in ("rsvp-reason", "feedback-comment"):
        return [Text(sender, "The train was late")]
    if step == "feedback-rating":
        return [flow.press(sender, RatingButton("s1", 1, 4).pack())]
    at = Step.decode(step)
    assert at is not None
    press = lambda value: flow.press(sender, StepButton.at(at, value))  # noqa: E731
    if step == "lang":
        return [press("de")]
    if step == "consent":
        return [press("yes")]
    if step == "sum":
        return [press("ok")]
    if step == "n.access":
        return [Text(sender, "A ramp at the entrance, please")]
    kind = next(q["kind"] for q in ORIGINAL["registration"]["questions"] if q["id"] == at.item)
    if kind == "text":
        return [Text(sender, "Anna")]
    if kind == "number":
        return [Text(sender, "3")]
    if kind == "phone":
        return [ContactShared(sender, "+32470000000", own=True)]
    if kind in ("multiple", "availability", "accessibility"):
        return [press(f"t.{_first_value(at.item or '')}"), press("done")]
    return [press(_first_value(at.item or ""))]


async def _register(flow: FlowHarness, sender: Sender, until: str = "") -> None:
    """Through registration's real conversation up to step `until`, or to its end."""
    shown = await flow.send(Command(sender, "start", "register"))
    steps = REGISTRATION_STEPS[: REGISTRATION_STEPS.index(until)] if until else REGISTRATION_STEPS
    for step in steps:
        for event in answer_to(flow, sender, step):
            shown = await flow.send(_as_shown(event, shown) or event)


def _as_shown(event: Event, shown: Sequence[Action]) -> Event | None:
    """`event` pressing the button as the bot last showed it: a multiple-choice question's buttons
    also name the copy of the question they are on."""
    if not isinstance(event, ButtonPress):
        return None
    for action in shown:
        for row in getattr(action, "buttons", ()):
            for button in row:
                if button.data.startswith(f"{event.data}:"):
                    return dataclasses.replace(event, data=button.data)
    return None


async def _draw(flow: FlowHarness, drawn: Sender, reserve: Sender) -> None:
    """A draw in which `drawn` is offered a seat and `reserve` is first in line, both registered."""
    now = flow.clock.now()
    async with flow.db.transaction() as session:
        store = SqlStore(session, flow.kit.assembly.id)
        draw = lottery.DrawRecord(1, 7, "maximin", "maximin", 2, "", "", "", None, {})
        assert await lottery.record_draw(session, flow.kit.assembly.id, draw, now) == SELECTION
        for sender, status in ((drawn, ParticipantStatus.SELECTED), (reserve, ParticipantStatus.RESERVE)):
            person = await store.participant(sender.user_id)
            assert person is not None
            await store.registrations.set_status(person.id, status, now)
            if status is ParticipantStatus.SELECTED:
                lottery.offer_seat(session, SELECTION, person.id, now, now + timedelta(days=7))
            else:
                lottery.rank_reserve(session, SELECTION, person.id, 1)


async def _bring(flow: FlowHarness, sender: Sender, state: str) -> None:
    """Take a new person through the real conversation to `state`."""
    if state in REGISTRATION_STEPS:
        await _register(flow, sender, state)
        return
    if state == "awaiting-confirmation":
        reserve = Sender(FIRST_USER - 1, FIRST_USER - 1, "Reserve", "fr")
        await _register(flow, sender)
        await _register(flow, reserve)
        await _draw(flow, sender, reserve)
        return
    person = await add_confirmed(flow.db, flow.kit.assembly, sender.user_id, "de")
    if state == "mid-poll":
        async with flow.db.transaction() as session:
            store = SqlStore(session, flow.kit.assembly.id)
            spec = spec_of(flow.kit.assembly.polls[0])
            poll = await store.polls.create(
                spec,
                "s1",
                table=None,
                facilitator_id=person.id,
                recipients=[person.id],
                now=AFTER_S1,
                closes_at=None,
            )
            assert poll.id == POLL
        return
    if state == "rsvp-reason":
        await flow.send(flow.press(sender, RsvpButton("s2", "no").pack()))
        return
    async with flow.db.transaction() as session:
        await SqlStore(session, flow.kit.assembly.id).sessions.check_in(
            person.id, "s1", Presence(AFTER_S1 - timedelta(hours=8), False, "code")
        )
    await flow.send(flow.press(sender, RatingButton("s1", 0, 5).pack()))
    if state == "feedback-comment":
        await flow.send(flow.press(sender, RatingButton("s1", 1, 3).pack()))


def _sender(state: str) -> Sender:
    return Sender(FIRST_USER + STATES.index(state), FIRST_USER + STATES.index(state), "Test", "de")


async def _people_mid_flow(path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        flow = FlowHarness(db, Assembly.model_validate(ORIGINAL))
        flow.clock.set(AFTER_S1)
        await flow.prepare()
        await mirror_sessions(db, flow.kit.assembly, AFTER_S1 - timedelta(days=30))
        for state in STATES:
            await _bring(flow, _sender(state), state)
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def mid_flow_store(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store with a person in every state, built once through the real flows; each change gets a copy."""
    path = tmp_path_factory.mktemp("drift") / "store.sqlite"
    shutil.copyfile(sqlite_template, path)
    apart(_people_mid_flow(path))
    return path


def _questions(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["registration"]["questions"]  # type: ignore[no-any-return]


def _question(data: dict[str, Any], question_id: str) -> dict[str, Any]:
    return next(q for q in _questions(data) if q["id"] == question_id)


def _remove_question(question_id: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["registration"]["questions"] = [q for q in _questions(data) if q["id"] != question_id]
        balance = data.get("tables", {}).get("balance", [])
        data.get("tables", {})["balance"] = [q for q in balance if q != question_id]

    return change


def _drop_option(question_id: str, rename: bool) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        question = _question(data, question_id)
        if question["kind"] == "availability":
            question["dates"] = question["dates"][1:]
            return
        first = question["choices"][0]
        if rename:
            question["choices"][0] = {**first, "id": f"{first['id']}_new"}
        else:
            question["choices"] = question["choices"][1:]
        if "quotas" in question:
            question["quotas"] = {
                (f"{key}_new" if rename and key == first["id"] else key): quota
                for key, quota in question["quotas"].items()
                if rename or key != first["id"]
            }

    return change


def _add_question(data: dict[str, Any]) -> None:
    texts = {code: "Where did you hear of the assembly?" for code in data["languages"]}
    _questions(data).insert(1, {"id": "heard_of", "kind": "text", "text": texts, "max_length": 200})


def _drop_language(data: dict[str, Any]) -> None:
    data["languages"] = [code for code in data["languages"] if code != "de"]


def _drop_session(data: dict[str, Any]) -> None:
    data["sessions"] = [s for s in data["sessions"] if s["id"] not in ("s1", "s2")]


def _move_sessions(data: dict[str, Any]) -> None:
    for session in data["sessions"][:2]:
        session["starts"] = str(session["starts"]).replace("2027-03-", "2027-04-")
        session["ends"] = str(session["ends"]).replace("2027-03-", "2027-04-")


def _drop_polls(data: dict[str, Any]) -> None:
    data["polls"] = []


def _drop_feature(data: dict[str, Any]) -> None:
    question = _question(data, "gender")
    question.pop("quotas", None)
    question["feature"] = False


def _rename_feature(data: dict[str, Any]) -> None:
    _question(data, "age_band")["id"] = "age_group"
    balance = data.get("tables", {}).get("balance", [])
    data.get("tables", {})["balance"] = ["age_group" if q == "age_band" else q for q in balance]


def _drop_rating(data: dict[str, Any]) -> None:
    data["feedback"]["ratings"] = data["feedback"]["ratings"][:1]


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "language-removed": _drop_language,
    **{f"question-removed-{q}": _remove_question(q) for q in QUESTIONS},
    **{
        f"option-{'renamed' if rename else 'removed'}-{q}": _drop_option(q, rename)
        for q in ("age_band", "languages", "availability", "access")
        for rename in (False, True)
    },
    "question-added-required": _add_question,
    "sessions-removed": _drop_session,
    "sessions-moved": _move_sessions,
    "poll-templates-removed": _drop_polls,
    "quota-feature-removed": _drop_feature,
    "quota-feature-renamed": _rename_feature,
    "feedback-rating-removed": _drop_rating,
}


async def _snapshot(
    db: Database, assembly: Assembly, user_id: int
) -> tuple[Any, ConversationState, dict[str, Any]]:
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        person = await store.participant(user_id)
        assert person is not None
        status = await store.registrations.status(person.id)
        return status, await store.load_state(user_id), await store.registrations.answers(person.id)


def _addressed(actions: tuple[Action, ...], chat: int) -> list[Action]:
    return [a for a in actions if isinstance(a, AnswerButton) or getattr(a, "chat_id", None) == chat]


EVEN, ODD = QUESTIONS[0::2], QUESTIONS[1::2]
EDITS = {
    "A": [
        "language-removed",
        *(f"question-removed-{q}" for q in EVEN),
        "option-removed-languages",
        "quota-feature-renamed",
        "sessions-removed",
        "poll-templates-removed",
        "feedback-rating-removed",
    ],
    "B": [
        *(f"question-removed-{q}" for q in ODD),
        "option-renamed-access",
        "option-removed-availability",
        "question-added-required",
        "sessions-moved",
        "quota-feature-removed",
    ],
    "C": [
        "option-renamed-age_band",
        "option-removed-access",
        "option-renamed-languages",
        "option-renamed-availability",
    ],
    "D": ["option-removed-age_band"],
}
"""Definitions edited between two starts, each several changes at once, so that every question is removed
under the person answering it and every change meets every state, in four runs instead of one per change."""


def test_the_edits_try_every_change() -> None:
    tried = [change for changes in EDITS.values() for change in changes]
    assert sorted(tried) == sorted(CHANGES)
    assert (len(CHANGES), len(STATES)) == (28, 21)


@pytest.mark.parametrize("edit", list(EDITS))
async def test_people_mid_flow_get_a_sensible_answer_after_the_definition_changed(
    edit: str, mid_flow_store: Path, tmp_path: Path
) -> None:
    """For each edit between two starts and each person mid-flow: their next message (what they
    would have sent anyway) is answered, never with the apology; every answer still valid is kept;
    the conversation points at a step the new definition has; statuses stay known."""
    data = copy.deepcopy(ORIGINAL)
    for name in EDITS[edit]:
        CHANGES[name](data)
    change = ", ".join(EDITS[edit])
    changed = Assembly.model_validate(data)
    path = tmp_path / "store.sqlite"
    shutil.copyfile(mid_flow_store, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        flow = FlowHarness(db, changed)
        flow.clock.set(AFTER_S1)
        reg = changed.registration
        assert reg is not None
        for state in STATES:
            sender = _sender(state)
            _, _, before = await _snapshot(db, changed, sender.user_id)
            for event in answer_to(flow, sender, state):
                actions = await flow.send(event)  # a step that raised would have got the apology
                assert _addressed(actions, sender.chat_id), (change, state, event)
            status, after_state, after = await _snapshot(db, changed, sender.user_id)
            assert status in set(ParticipantStatus), (change, state)
            answering = state.partition(".")[2]  # the step's own answer is what the message changes
            for question_id, value in before.items():
                question = reg.question(question_id)
                if question_id != answering and question is not None and still_valid(question, value):
                    assert after.get(question_id) == value, (change, state, question_id)
            if after_state.flow == "registration":
                step = after_state.step
                assert step is not None
                assert (
                    step.stage in ("lang", "consent", "sum") or reg.question(step.item or "") is not None
                ), (
                    change,
                    state,
                    step,
                )
    finally:
        await db.dispose()


async def test_one_organiser_whose_digest_cannot_be_built_never_costs_the_others_theirs(
    db: Database, assembly: Assembly, caplog: pytest.LogCaptureFixture
) -> None:
    """The digest goes to three organisers; the Dutch one's copy cannot be built: logged, recorded as a
    failed send, and the two others get theirs."""
    organisers = {100_000_001: "fr", 100_000_002: "nl", 100_000_003: "ar"}
    several = assembly.model_copy(
        update={"digest": assembly.digest.model_copy(update={"recipients": list(organisers)})}  # type: ignore[union-attr]
    )
    for user_id, language in organisers.items():
        await add_confirmed(db, several, user_id, language)
    kit = build_kit(several)
    with caplog.at_level(logging.ERROR, logger="bot.jobs.recipients"):
        sent = await send_digests(db, several, FailingFor(kit.translations, "nl"), kit.charts, S1_START)
    assert sent == 3
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage.chat_id, OutboxMessage.status))).all()
    assert {chat for chat, status in rows if status == "pending"} == {100_000_001, 100_000_003}
    assert [chat for chat, status in rows if status == "failed"] == [100_000_002]
    assert "digest: the message for chat 100000002 could not be built" in caplog.text
