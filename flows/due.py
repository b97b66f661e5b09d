"""When timed work is due: reminders (sent, or skipped when too late), poll timers, feedback, live counts.

The jobs in `bot/` fetch candidates from the store and ask these rules what to do, so the rules are
tested without a database and stated once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.assembly import Reminders

FEEDBACK_WINDOW = timedelta(days=2)
"""Sessions that ended longer ago than this get no evaluation (the bot was down for too long)."""


@dataclass(frozen=True)
class DueReminder:
    """A reminder of one session whose time has come; a late one is recorded as skipped, never sent."""

    offset: timedelta
    due: datetime
    late: bool


def grace_horizon(policy: Reminders, now: datetime) -> datetime:
    """Reminders due before this moment are past their grace period: sending them now would
    only confuse (the 7-day reminder arriving the day before)."""
    return now - policy.grace


def due_reminders(policy: Reminders, starts: datetime, now: datetime) -> list[DueReminder]:
    """The reminders of a session starting at `starts` that are due by `now`, in the policy's order;
    late once past the grace period or once the session has begun."""
    horizon = grace_horizon(policy, now)
    return [
        DueReminder(offset, due, late=due < horizon or now >= starts)
        for offset in policy.offsets
        if (due := starts - offset) <= now
    ]


def timer_ran_out(closes_at: datetime | None, now: datetime) -> bool:
    """Whether a poll with this closing time (None: closed by hand only) must be closed now."""
    return closes_at is not None and closes_at <= now


def count_changed(answered: int, shown: int) -> bool:
    """Whether a live "9 of 12 answered" message needs an edit: only when the count moved since it
    was last shown, so a burst of answers between two runs becomes one edit (Telegram allows
    about one edit a second per chat)."""
    return answered != shown


def in_feedback_window(ends: datetime, now: datetime) -> bool:
    """Whether a session that ends at `ends` is over, recently enough to ask for an evaluation."""
    return now - FEEDBACK_WINDOW < ends <= now
