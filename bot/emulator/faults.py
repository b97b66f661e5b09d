"""Fault injection: the next matching calls fail, stall or lose their connection on purpose.

- "5xx": answered 500 without effect; "429": refused with `retry_after` = delay;
- "drop": the connection is closed unanswered, without effect;
- "slow": the call waits `delay` seconds before it is carried out; a client that stops waiting
  meanwhile leaves it undone (the request never reached Telegram);
- "late": the call is carried out at once and its answer held `delay` seconds; a client that stops
  waiting meanwhile never learns it took effect (Telegram's answer was lost on the way back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal["5xx", "slow", "late", "drop", "429"]


@dataclass
class Fault:
    """`remaining` more calls of `method` ("*" for any) suffer `kind`."""

    method: str
    kind: FaultKind
    remaining: int
    delay: float = 0.0


class Faults:
    """Pending faults, consumed in the order they were scheduled."""

    def __init__(self) -> None:
        self._pending: list[Fault] = []

    def add(self, method: str, kind: FaultKind, count: int = 1, delay: float = 0.0) -> None:
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}; use one of {get_args(FaultKind)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self._pending.append(Fault(method, kind, count, delay))

    def __len__(self) -> int:
        """Scheduled faults not yet consumed; 0 once the last one has hit a call."""
        return sum(fault.remaining for fault in self._pending)

    def clear(self) -> None:
        self._pending.clear()

    def take(self, method: str) -> Fault | None:
        """The fault that applies to this call of `method`, if any (method names ignore case)."""
        for fault in self._pending:
            if fault.method == "*" or fault.method.lower() == method.lower():
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._pending.remove(fault)
                return fault
        return None
