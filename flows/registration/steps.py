"""Where a registration conversation stands: the flow's name, its button prefix, the definition it follows."""

from __future__ import annotations

from dataclasses import dataclass

from flows.buttons import ButtonData
from flows.engine import Turn
from flows.events import Event
from flows.questionnaire import Registration

FLOW = "registration"
OPEN_PAYLOAD = "register"
"""The open-registration deep link is `https://t.me/<bot>?start=register`."""
BEGIN = "begin"
"""Stands for the step in the Register button (`rg:begin:go`), which opens registration."""


@dataclass(frozen=True)
class StepButton(ButtonData, prefix="rg"):
    """`rg:<step>:<value>`: a button of a registration step, which names the step that sent it."""

    step: str
    value: str


def registration_of(turn: Turn[Event]) -> Registration | None:
    return turn.ctx.assembly.registration
