"""Where a registration conversation stands: the flow's name, its button prefix, the definition it follows."""

from __future__ import annotations

from flows.engine import Turn
from flows.questionnaire import Registration

FLOW = "registration"
PREFIX = "rg"
OPEN_PAYLOAD = "register"
"""The open-registration deep link is `https://t.me/<bot>?start=register`."""


def registration_of(turn: Turn) -> Registration | None:
    return turn.ctx.assembly.registration
