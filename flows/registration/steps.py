"""The steps of registration (language, consent, each question, a note, the summary) and their buttons."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows.assembly import Assembly
from flows.buttons import ButtonData
from flows.engine import ConversationState, Step, Turn
from flows.events import Event
from flows.questionnaire import Question, Registration

FLOW = "registration"
BY_PHONE = "phone"
"""The flow in which staff register someone else by phone, through these same steps (by_phone.py)."""
MULTI = ("multiple", "availability", "accessibility")
"""Question kinds answered by ticking several buttons, then Done: the ticks are a draft in the state."""
COPY = "copy"
"""The state's count of question messages sent; a multiple-choice question's buttons carry the count
of their copy, so only the newest copy can change the draft."""
OPEN_PAYLOAD = "register"
"""The open-registration deep link is `https://t.me/<bot>?start=register`."""


class Stage(StrEnum):
    """The kinds of registration step; the values are the stored tokens (`q.<question id>` and
    `n.<question id>` carry the question)."""

    LANGUAGE = "lang"
    CONSENT = "consent"
    QUESTION = "q"
    NOTE = "n"
    """The free note after an accessibility question's choices."""
    SUMMARY = "sum"


LANGUAGE, CONSENT, SUMMARY = Step(Stage.LANGUAGE), Step(Stage.CONSENT), Step(Stage.SUMMARY)


def asking(question: Question) -> Step:
    return Step(Stage.QUESTION, question.id)


def noting(question: Question) -> Step:
    return Step(Stage.NOTE, question.id)


def registration_of(turn: Turn[Event]) -> Registration | None:
    return turn.ctx.assembly.registration


def current_step(turn: Turn[Event]) -> Step:
    """The step the participant is at; a conversation without one starts at the language."""
    return turn.state.step or LANGUAGE


def question_of(turn: Turn[Event], step: Step) -> Question | None:
    """The question a QUESTION or NOTE step is about; None for other steps or an unknown question."""
    reg = registration_of(turn)
    if reg is None or step.item is None or step.stage not in (Stage.QUESTION, Stage.NOTE):
        return None
    return reg.question(step.item)


BEGIN = "begin"
"""Stands for the step in the Register button (`rg:begin:go`), which opens registration."""
TOGGLE, EDIT = "t", "e"
"""Value prefixes: `t.<choice>` ticks or unticks a choice, `e.<question>` edits an answer from the summary."""


@dataclass(frozen=True)
class StepButton(ButtonData, prefix="rg"):
    """`rg:<step>:<value>[:<copy>]`: a button of a registration step, which names the step that sent it,
    so a button from an earlier step is recognised as such, and for a multiple-choice question the copy
    of the question it is on, so a button of an older copy cannot change the answer being made."""

    step: str
    value: str
    copy: str | None = None

    @classmethod
    def at(cls, step: Step, value: str, copy: int | None = None) -> str:
        """The data of the button for `value` at `step`, on the `copy`-th question sent."""
        return cls(step.encode(), value, None if copy is None else str(copy)).pack()

    def item(self, action: str) -> str | None:
        """The choice or question of a `t.<choice>` or `e.<question>` value, when `action` is its prefix."""
        head, dot, rest = self.value.partition(".")
        return rest if dot and head == action else None


def expects_number(assembly: Assembly, state: ConversationState) -> bool:
    """True while a number question waits for its answer: typed digits answer it, whatever buttons
    (Back, Skip) the question also shows; a runtime that presses buttons by number must not take them."""
    reg, step = assembly.registration, state.step
    if reg is None or state.flow not in (FLOW, BY_PHONE) or step is None or step.stage != Stage.QUESTION:
        return False
    question = reg.question(step.item or "")
    return question is not None and question.kind == "number"
