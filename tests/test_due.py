"""When timed work is due, without a database: reminders, poll timers, feedback, live counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.assembly import Reminders
from flows.due import (
    FEEDBACK_WINDOW,
    DueReminder,
    count_changed,
    due_reminders,
    grace_horizon,
    in_feedback_window,
    timer_ran_out,
)

STARTS = datetime(2027, 3, 6, 8, 30, tzinfo=UTC)
POLICY = Reminders(
    offsets=[timedelta(days=7), timedelta(days=1), timedelta(hours=2)], grace=timedelta(hours=3)
)
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def test_nothing_is_due_before_the_first_reminder() -> None:
    assert due_reminders(POLICY, STARTS, STARTS - 7 * DAY - MINUTE) == []


def test_a_reminder_is_due_at_its_time_and_stays_sendable_through_its_grace_period() -> None:
    on_time = STARTS - 7 * DAY
    assert due_reminders(POLICY, STARTS, on_time) == [DueReminder(7 * DAY, on_time, late=False)]
    assert due_reminders(POLICY, STARTS, on_time + 3 * HOUR) == [DueReminder(7 * DAY, on_time, late=False)]
    assert due_reminders(POLICY, STARTS, on_time + 3 * HOUR + MINUTE) == [
        DueReminder(7 * DAY, on_time, late=True)
    ]


def test_a_bot_back_after_days_sends_only_the_reminder_still_in_its_grace_period() -> None:
    now = STARTS - 2 * HOUR + HOUR  # the 2-hour reminder, one hour late
    assert due_reminders(POLICY, STARTS, now) == [
        DueReminder(7 * DAY, STARTS - 7 * DAY, late=True),
        DueReminder(DAY, STARTS - DAY, late=True),
        DueReminder(2 * HOUR, STARTS - 2 * HOUR, late=False),
    ]


def test_no_reminder_goes_once_the_session_has_begun_even_within_grace() -> None:
    short = Reminders(offsets=[HOUR], grace=timedelta(hours=3))
    assert due_reminders(short, STARTS, STARTS - MINUTE) == [DueReminder(HOUR, STARTS - HOUR, late=False)]
    assert due_reminders(short, STARTS, STARTS) == [DueReminder(HOUR, STARTS - HOUR, late=True)]


def test_a_reminder_waiting_in_the_outbox_is_withdrawn_exactly_when_it_would_be_skipped() -> None:
    due = STARTS - 7 * DAY
    verdicts = []
    for now in (due + 3 * HOUR, due + 3 * HOUR + MINUTE):
        (reminder,) = due_reminders(POLICY, STARTS, now)
        assert reminder.late == (due < grace_horizon(POLICY, now))
        verdicts.append(reminder.late)
    assert verdicts == [False, True]


def test_a_poll_closes_when_its_timer_has_run_out_and_never_without_one() -> None:
    closes = STARTS + HOUR
    assert not timer_ran_out(closes, closes - MINUTE)
    assert timer_ran_out(closes, closes)
    assert not timer_ran_out(None, closes + DAY)


def test_a_live_count_is_edited_only_when_it_moved() -> None:
    assert not count_changed(answered=3, shown=3)
    assert count_changed(answered=4, shown=3)
    assert count_changed(answered=2, shown=3)


def test_feedback_is_asked_from_the_end_of_a_session_until_the_window_closes() -> None:
    ends = STARTS + 7 * HOUR
    assert not in_feedback_window(ends, ends - MINUTE)
    assert in_feedback_window(ends, ends)
    assert in_feedback_window(ends, ends + FEEDBACK_WINDOW - MINUTE)
    assert not in_feedback_window(ends, ends + FEEDBACK_WINDOW)
