"""Which button presses are acknowledged before their flow step answers them, and when."""

from __future__ import annotations

from bot.telegram.sender import EarlyAnswers


def test_a_calm_press_waits_for_its_step_and_a_crowded_one_does_not() -> None:
    early = EarlyAnswers(grace=0.0, calm=60.0)
    early.expect("calm", crowded=False)
    assert early.overdue() == []
    early.settle("calm")  # its step answered in time: nothing to acknowledge
    early.expect("crowded", crowded=True)
    assert early.overdue() == ["crowded"]
    assert early.next_deadline() is None


def test_presses_from_before_the_crowd_are_acknowledged_with_it() -> None:
    """The first presses of a plenary arrive while the bot is calm; once the crowd follows, their
    steps wait behind it, so they are acknowledged with the crowd instead of after the calm delay."""
    early = EarlyAnswers(grace=0.0, calm=60.0)
    early.expect("first", crowded=False)
    early.expect("second", crowded=False)
    assert early.overdue() == []
    early.expect("crowd", crowded=True)
    assert sorted(early.overdue()) == ["crowd", "first", "second"]
    early.expect("later", crowded=False)  # calm again: the calm delay again
    assert early.overdue() == []
